"""The demo after the seed: illustrative data ("Dato dimostrativo") that makes the office look
current on the day the demo is loaded.

- PSTTM 2025-2027 goes on from the consultation to its approval (Commissione, Conferenza, Forum,
  adoption, the Conferenza's opinion, final approval by 30/06/2025), each step on its own day and
  each act a real act of the tracker, replayed on that day's clock;
- every triennio whose cycle ended before the load day is completed the same way (2026-2028
  approved by June 2026, …);
- one later triennio is in progress with planned dates relative to the load day: its avvio and
  linee guida recorded, the schema's planned date a few days past (one overdue milestone), the
  rest in the weeks and months ahead;
- the DUP and bilancio di previsione of the next year (dup.yaml), as far as the load day goes:
  the DUP presented in July, deliberated in September, the schema in November, the revisori's
  parere; the approval by 31 December ahead;
- acts in every state (workflow/demo/acts.every_state).

Nothing dated after the load day is recorded: a step or move still in the future is left for
later. Loading twice adds nothing (procedures by triennio, acts by oggetto, steps by event).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from workflow.access import operations as users
from workflow.access.models import User
from workflow.consultations import operations as contributions
from workflow.consultations import queries
from workflow.core.clock import ROME, Clock, FixedClock, as_utc
from workflow.demo import acts as demo_acts
from workflow.demo import files
from workflow.extensions import db
from workflow.procedures import operations as procedures
from workflow.procedures.models import Procedure

ILLUSTRATIVE = "Dato dimostrativo: non tratto dal seed."
# How long before the load day the triennio in progress was started (its avvio decree).
STARTED_DAYS_AGO = 75


@dataclass(frozen=True)
class Planned:
    """One step of an illustrative cycle: the event, its day, and the act that justifies it
    (kind and oggetto), if any; `extra` data the step needs besides number, date and note."""

    event: str
    day: date
    act_kind: str | None = None
    oggetto: str = ""
    extra: tuple[tuple[str, object], ...] = ()


def cycle_2025() -> list[Planned]:
    """PSTTM 2025-2027 after the consultation (the seed stops at the schema decree)."""
    title = "PSTTM 2025-2027"
    return [
        Planned("esame_commissione", date(2025, 3, 12)),
        Planned("presenta_conferenza", date(2025, 3, 20)),
        Planned("presenta_forum", date(2025, 3, 27)),
        *_approval(2025, title, date(2025, 4, 29), date(2025, 5, 28), date(2025, 6, 30)),
    ]


def _approval(
    start: int, title: str, adopted: date, opinion: date, approved: date
) -> list[Planned]:
    return [
        Planned(
            "adotta",
            adopted,
            "delibera_consiglio",
            f"ADOZIONE DEL PIANO STRATEGICO TRIENNALE DEL TERRITORIO METROPOLITANO ({title}).",
        ),
        Planned(
            "parere_conferenza",
            opinion,
            "delibera_conferenza",
            f"PARERE DELLA CONFERENZA METROPOLITANA SUL {title} ADOTTATO.",
            (("favorevole", True),),
        ),
        Planned(
            "approva",
            approved,
            "delibera_consiglio",
            f"APPROVAZIONE DEFINITIVA DEL PIANO STRATEGICO TRIENNALE ({title}).",
        ),
    ]


def full_cycle(start: int) -> list[Planned]:
    """A whole illustrative cycle for the triennio starting in `start`: avvio in October of the
    year before, approval at the end of June (as PSTTM 2025-2027 went)."""
    title = f"PSTTM {start}-{start + 2}"
    return [
        Planned(
            "avvia",
            date(start - 1, 10, 21),
            "decreto_sindaco",
            f"AVVIO DEL PROCEDIMENTO DI AGGIORNAMENTO DEL PIANO STRATEGICO ({title}).",
        ),
        Planned("elabora_linee_guida", date(start, 1, 30)),
        Planned(
            "approva_schema",
            date(start, 2, 18),
            "decreto_sindaco",
            f"APPROVAZIONE DELLO SCHEMA DI PIANO STRATEGICO ({title}).",
            (("scadenza_contributi", date(start, 3, 20).isoformat()),),
        ),
        Planned("esame_commissione", date(start, 3, 4)),
        Planned("presenta_conferenza", date(start, 3, 11)),
        Planned("presenta_forum", date(start, 3, 18)),
        *_approval(start, title, date(start, 4, 28), date(start, 5, 27), date(start, 6, 29)),
    ]


def load(actor: User, *, clock: Clock) -> list[str]:
    """Continue the demo up to the load day (`clock`); returns one report line per item."""
    now = as_utc(clock.now())
    today = now.astimezone(ROME).date()
    lines = [_follow(_procedure(2025), cycle_2025(), actor, now)]
    current = _current_start(today)
    for start in range(2026, current):
        procedure = _open(start, actor, demo_acts.at(date(start - 1, 10, 1), 9))
        cycle = full_cycle(start)
        _plan(procedure, {_MILESTONE[p.event]: p.day for p in cycle}, actor, clock)
        lines.append(_follow(procedure, cycle, actor, now))
    lines.append(_in_progress(current, today, actor, clock))
    lines.append(_budget_cycle(today, actor, now))
    procedure = _procedure(current)
    lines.extend(
        demo_acts.every_state(
            clock=clock,
            procedure_id=procedure.id if procedure else None,
            fascicolo=_fascicolo(current),
        )
    )
    return lines


_MILESTONE = {
    "avvia": "avvio",
    "elabora_linee_guida": "linee_guida",
    "approva_schema": "schema",
    "esame_commissione": "commissione",
    "presenta_conferenza": "conferenza",
    "presenta_forum": "forum",
    "adotta": "adozione",
    "parere_conferenza": "parere_conferenza",
    "approva": "approvazione",
}


def budget_cycle(first_year: int) -> list[Planned]:
    """The DUP and bilancio di previsione for `first_year`-…, in the year before it: the DUP in
    July (TUEL art. 170: by 31 July), the Consiglio's deliberation in September, the schema and
    the nota di aggiornamento in November (by 15 November), the revisori's parere after it."""
    period = f"{first_year}-{first_year + 2}"
    year = first_year - 1
    return [
        Planned(
            "presenta_dup",
            date(year, 7, 28),
            "decreto_sindaco",
            f"PRESENTAZIONE AL CONSIGLIO METROPOLITANO DEL DUP {period}.",
        ),
        Planned(
            "delibera_dup",
            date(year, 9, 29),
            "delibera_consiglio",
            f"DELIBERAZIONE SUL DOCUMENTO UNICO DI PROGRAMMAZIONE (DUP) {period}.",
        ),
        Planned(
            "proponi_schema",
            date(year, 11, 12),
            "decreto_sindaco",
            f"PROPOSTA DELLO SCHEMA DI BILANCIO DI PREVISIONE {period} E DELLA NOTA DI "
            "AGGIORNAMENTO AL DUP.",
        ),
        # The revisori's verbale is not an act of the tracker: its number is theirs.
        Planned(
            "parere_revisori",
            date(year, 11, 26),
            extra=(("numero", f"18/{year}"), ("favorevole", True)),
        ),
    ]


def _budget_cycle(today: date, actor: User, now: datetime) -> str:
    """The budget cycle of the year after `today`'s, opened in June of the year before it (or
    on the load day, if earlier), followed up to the load day."""
    first_year = today.year + 1
    procedure = db.session.scalar(
        select(Procedure).where(Procedure.kind == "dup", Procedure.period_start == first_year)
    )
    if procedure is None:
        opened = demo_acts.at(date(first_year - 1, 6, 15), 9)
        procedure = procedures.open_procedure(
            "dup",
            first_year,
            actor=actor,
            clock=opened if opened.now() <= now else FixedClock(now),
            title=f"DUP e bilancio di previsione {first_year}-{first_year + 2} (dato dimostrativo)",
            fascicolo=f"4.1/{first_year - 1}/1",
        )
    return _follow(procedure, budget_cycle(first_year), actor, now)


def _current_start(today: date) -> int:
    """The triennio in progress on `today`: the one whose avvio, STARTED_DAYS_AGO days before,
    fell in the autumn before its first year; never before 2026 (2025-2027 is the seed's)."""
    return max(2026, (today - timedelta(days=STARTED_DAYS_AGO)).year + 1)


def _fascicolo(start: int) -> str:
    return f"2.16/{start - 1}/1"


def _procedure(start: int) -> Procedure | None:
    return db.session.scalar(
        select(Procedure).where(Procedure.kind == "psttm", Procedure.period_start == start)
    )


def _open(start: int, actor: User, clock: Clock) -> Procedure:
    procedure = _procedure(start)
    if procedure is None:
        procedure = procedures.open_procedure(
            "psttm",
            start,
            actor=actor,
            clock=clock,
            title=f"PSTTM {start}-{start + 2} (dato dimostrativo)",
            fascicolo=_fascicolo(start),
        )
    return procedure


def _plan(procedure: Procedure, planned: dict[str, date], actor: User, clock: Clock) -> None:
    if all(m.planned_date is None for m in procedure.milestones):
        procedures.plan_milestones(
            procedure.id,
            expected_version=procedure.version,
            planned=planned,
            actor=actor,
            clock=clock,
        )


def _follow(procedure: Procedure | None, cycle: list[Planned], actor: User, now: datetime) -> str:
    """Record the steps of `cycle` not yet recorded, in order, each on its day with its act
    (replayed through the acts' machine), stopping at the first one after `now`."""
    if procedure is None:
        return "PSTTM: procedimento non trovato"
    people = {u.username: u for u in users.list_users()}
    for planned in cycle:
        procedure = procedures.get(procedure.id)
        if any(s.event == planned.event for s in procedure.steps):
            if planned.event == "approva_schema" and procedure.period_start > 2025:
                _consultation(procedure.id, planned.day, dict(planned.extra), actor, now)
            continue
        recorded = demo_acts.at(planned.day, 17)
        if recorded.now() > now:
            break
        data: dict[str, object] = {"data": planned.day.isoformat(), "note": ILLUSTRATIVE}
        data.update(planned.extra)
        if planned.act_kind:
            proposed = planned.day - timedelta(days=6)
            act = demo_acts.replayed(
                planned.act_kind,
                planned.oggetto,
                proposed=proposed,
                moves=demo_acts.life(proposed, planned.day),
                people=people,
                now=now,
                procedure_id=procedure.id,
                fascicolo=procedure.fascicolo,
            )
            if act is None or act.repertorio_number is None:
                break
            data["numero"] = demo_acts.citation(act)
        procedures.advance(
            procedure.id,
            planned.event,
            expected_version=procedure.version,
            data=data,
            actor=people["direzione"],
            clock=recorded,
        )
        if planned.event == "approva_schema" and procedure.period_start > 2025:
            _consultation(procedure.id, planned.day, dict(planned.extra), actor, now)
    procedure = procedures.get(procedure.id)
    return f"{procedure.title}: {procedures.state_label(procedure)}"


def _consultation(
    procedure_id: int, opened: date, extra: dict[str, object], actor: User, now: datetime
) -> None:
    """The consultation that the schema decree of an illustrative triennio opens: about half of
    the invited bodies answer within the term, each registered on the day it arrived (protocol
    numbers of that year); closed a week after the term, which meets its deadline."""
    term = date.fromisoformat(str(extra["scadenza_contributi"]))
    consultation = queries.for_procedure(procedure_id)
    if consultation is None:
        consultation = contributions.open_consultation(
            procedure_id, deadline=term, forum=True, actor=actor, clock=demo_acts.at(opened, 15)
        )
    # A seeded generator on purpose: the same spread on every run and machine, not secret.
    rng = random.Random(opened.year)  # nosec B311
    answers = []
    for body in sorted((i.body for i in consultation.invitations), key=lambda b: (b.kind, b.name)):
        answers_, offset, hour = (
            rng.random() < 0.5,
            rng.randrange(1, (term - opened).days),
            rng.randrange(8, 18),
        )
        if answers_:
            answers.append((demo_acts.at(opened + timedelta(days=offset), hour), body))
    done = {c.body_id for c in consultation.contributions}
    for clock, body in sorted(answers, key=lambda a: (a[0].now(), a[1].name)):
        if body.id in done or clock.now() > now or consultation.closed:
            continue
        contributions.register_contribution(
            consultation.id,
            body_id=body.id,
            received_at=clock.now(),
            channel="pec",
            summary=f"Osservazioni di {body.name} sul Progetto di Piano ({ILLUSTRATIVE})",
            themes=["M1"],
            file_name=f"contributo-{files.slug(body.name)}-{opened.year}.pdf",
            content=files.demo_pdf(f"{body.name} {opened.year}"),
            actor=actor,
            clock=clock,
        )
    closing = demo_acts.at(term + timedelta(days=7), 12)
    if not consultation.closed and closing.now() <= now:
        contributions.close_consultation(
            consultation.id,
            expected_version=consultation.version,
            outcome=f"Consultazione conclusa: contributi trasmessi al Consiglio. {ILLUSTRATIVE}",
            actor=actor,
            clock=closing,
        )


# The triennio in progress, relative to the load day (days from it): planned milestones, and the
# term for the contributions that its schema decree sets.
IN_PROGRESS_PLAN = {
    "avvio": -STARTED_DAYS_AGO,
    "linee_guida": -45,
    "schema": -20,
    "commissione": -6,  # not yet recorded: the one overdue milestone
    "conferenza": 10,
    "forum": 17,
    "adozione": 60,
    "parere_conferenza": 100,
    "approvazione": 140,
}
IN_PROGRESS_TERM = 14


def in_progress_start(today: date) -> int:
    """The first year of the triennio in progress when the demo is loaded on `today`."""
    return _current_start(today)


def _in_progress(start: int, today: date, actor: User, clock: Clock) -> str:
    """The triennio in progress, planned relative to `today`: avvio, linee guida and schema
    recorded, its consultation open with the first contributions in; the Commissione's first
    exam planned six days ago and not yet recorded (overdue), the rest ahead."""

    def day(offset: int) -> date:
        return today + timedelta(days=offset)

    avvio = day(-STARTED_DAYS_AGO)
    procedure = _open(start, actor, demo_acts.at(avvio - timedelta(days=5), 9))
    _plan(procedure, {code: day(n) for code, n in IN_PROGRESS_PLAN.items()}, actor, clock)
    title = f"PSTTM {start}-{start + 2}"
    return _follow(
        procedure,
        [
            Planned(
                "avvia",
                avvio,
                "decreto_sindaco",
                f"AVVIO DEL PROCEDIMENTO DI AGGIORNAMENTO DEL PIANO STRATEGICO ({title}).",
            ),
            Planned("elabora_linee_guida", day(IN_PROGRESS_PLAN["linee_guida"])),
            Planned(
                "approva_schema",
                day(IN_PROGRESS_PLAN["schema"]),
                "decreto_sindaco",
                f"APPROVAZIONE DELLO SCHEMA DI PIANO STRATEGICO ({title}).",
                (("scadenza_contributi", day(IN_PROGRESS_TERM).isoformat()),),
            ),
        ],
        actor,
        as_utc(clock.now()),
    )
