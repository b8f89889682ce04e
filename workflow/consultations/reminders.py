"""Reminders to the missing: before the contributions' deadline, one e-mail to each invited body
that has not answered yet, written to the outbox once per consultation and address.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, time
from typing import Any

from flask import current_app, render_template
from sqlalchemy import select

from workflow.access.roles import DIREZIONE_GENERALE, SYSTEM
from workflow.audit import chain as audit
from workflow.consultations.models import Consultation
from workflow.consultations.queries import effective_deadline, get, status
from workflow.core.calendar import add_working_days, local_instant
from workflow.core.clock import Clock, as_utc, rome_today
from workflow.core.transaction import operation
from workflow.deadlines import operations as deadlines
from workflow.extensions import db
from workflow.mail import outbox as mail
from workflow.mail import settings
from workflow.procedures import operations as procedures

# --- Reminders to the missing ----------------------------------------------------------------


def reminder_instant(consultation: Consultation) -> datetime:
    """N working days before the deadline, at the reminders' hour (Europe/Rome)."""
    days = current_app.config["CONTRIBUTION_REMINDER_DAYS"]
    hour, minute = (int(p) for p in current_app.config["REMINDER_SEND_AT"].split(":"))
    day = add_working_days(effective_deadline(consultation), -days)
    return local_instant(day, time(hour, minute))


def _fingerprint(address: str) -> str:
    # Keys stay short whatever the address length; lower-cased, as mailboxes are matched.
    return hashlib.sha256(address.lower().encode()).hexdigest()[:24]


def _to_the_missing(context: dict[str, Any], instant: datetime, *, clock: Clock) -> int:
    """One e-mail per address of every invited body that has not contributed; rows written."""
    consultation, procedure = context["consultation"], context["procedure"]
    written = 0
    for body in context["status"].missing:
        for address in body.addresses:
            written += mail.enqueue(
                mail.Draft(
                    key=f"contributi:{consultation.id}:{body.id}:{_fingerprint(address.address)}",
                    kind="contributi",
                    recipient=address.address,
                    subject=f"[Promemoria] Contributo al {procedure.title} — entro il "
                    f"{context['deadline']:%d/%m/%Y}",
                    body_text=render_template(
                        "mail/contribution_reminder.txt", body=body, **context
                    ),
                    body_html=render_template(
                        "mail/contribution_reminder.html", body=body, **context
                    ),
                    due_at=as_utc(instant),
                ),
                clock=clock,
            )
    return written


def _to_the_direzione(context: dict[str, Any], instant: datetime, *, clock: Clock) -> int:
    """To each holder of the Direzione Generale with an address, who is missing; rows written."""
    consultation, procedure = context["consultation"], context["procedure"]
    figures = context["status"]
    base = current_app.config["PUBLIC_BASE_URL"]
    url = f"{base}/procedimenti/{procedure.id}/consultazione"
    written = 0
    for user in deadlines.holders_of(DIREZIONE_GENERALE):
        address = settings.address_of(user)
        if not address or not figures.missing:
            continue
        written += mail.enqueue(
            mail.Draft(
                key=f"contributi-mancanti:{consultation.id}:{user.id}",
                kind="contributi",
                recipient=address,
                subject=f"Contributi mancanti: {len(figures.missing)} enti — {procedure.title}",
                body_text=render_template("mail/contribution_missing.txt", url=url, **context),
                body_html=render_template("mail/contribution_missing.html", url=url, **context),
                due_at=as_utc(instant),
                user_id=user.id,
            ),
            clock=clock,
        )
    return written


@operation
def remind_missing(*, clock: Clock) -> int:
    """Write, for each open consultation whose reminder day has come and whose deadline has not
    passed, one e-mail per address of every invited body that has not contributed, and a digest
    of who is missing to the Direzione Generale. Returns rows written.

    Idempotent: the outbox key (consultation, body, address) is UNIQUE, so a second run or a
    second scheduler writes nothing twice; a body that answers in the meantime is left out.
    """
    now = as_utc(clock.now())
    today = rome_today(clock)
    written = 0
    open_ids = db.session.scalars(
        select(Consultation.id).where(Consultation.closed_at.is_(None)).order_by(Consultation.id)
    )
    for consultation in [get(i) for i in open_ids]:
        instant = reminder_instant(consultation)
        if now < instant or today > effective_deadline(consultation):
            continue
        context = dict(
            consultation=consultation,
            procedure=procedures.get(consultation.procedure_id),
            deadline=effective_deadline(consultation),
            status=status(consultation),
        )
        written += _to_the_missing(context, instant, clock=clock)
        written += _to_the_direzione(context, instant, clock=clock)
    if written:
        audit.record(
            actor=None,
            role=SYSTEM,
            object_type="consultation",
            object_id="promemoria",
            action="consultation.reminded",
            payload={"messages": written},
            clock=clock,
        )
    return written
