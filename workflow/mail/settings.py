"""Each user's mail settings: the address reminders go to, the daily digest, the calendar secret."""

from __future__ import annotations

import secrets
from typing import Any

from email_validator import EmailNotValidError, validate_email

from workflow.access.authorize import role_for
from workflow.access.models import User
from workflow.access.rights import OPERATIONS
from workflow.access.roles import ADMIN, USER
from workflow.audit import chain as audit
from workflow.core.clock import Clock
from workflow.core.errors import InvalidData, NotAllowed, NotFound
from workflow.core.transaction import operation
from workflow.extensions import db
from workflow.mail.models import (
    MailSettings,
)

# --- Settings per user -----------------------------------------------------------------------


def settings_for(user: User) -> MailSettings:
    """The user's mail settings, created on first use (digest on, a fresh calendar secret)."""
    settings = db.session.get(MailSettings, user.id)
    if settings is None:
        settings = MailSettings(
            user_id=user.id, email="", digest=True, calendar_token=secrets.token_urlsafe(32)
        )
        db.session.add(settings)
        db.session.flush()
    return settings


def checked_address(address: str) -> str:
    """The address as it is stored and sent: one mailbox (no display name, no quotes, no
    spaces, a domain with a dot), checked by `email-validator` without asking DNS; the domain is
    lower-cased and an internationalised one written in ASCII (`città.it` → `xn--citt-3na.it`).

    An address with non-ASCII characters before the @ (`müller@esempio.it`) is refused: it can
    only travel with the SMTPUTF8 extension, which our sender does not ask for and most relays
    and PEC gateways of the public administration do not offer, so refusing it here is the one
    deterministic answer. Raises InvalidData with an Italian message.
    """
    try:
        result = validate_email(address, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        shown = " ".join(address.split())  # an error message on one line, whatever was typed
        if _needs_smtputf8(address):
            raise InvalidData(
                f"Indirizzo e-mail non accettato: «{shown}» ha caratteri accentati o non "
                "latini prima della @, che molti server di posta e gestori PEC della pubblica "
                "amministrazione non recapitano (SMTPUTF8). Usare un indirizzo con sole lettere "
                "non accentate, cifre e . _ -"
            ) from None
        raise InvalidData(
            f"Indirizzo e-mail non valido: «{shown}». Scrivere un solo indirizzo nella forma "
            "nome@dominio.it, senza spazi né nome visualizzato."
        ) from None
    return result.ascii_email or result.normalized


def _needs_smtputf8(address: str) -> bool:
    """Whether `address` is valid only for a server that speaks SMTPUTF8."""
    try:
        validate_email(address, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError:
        return False
    return True


@operation
def own_settings(user_id: int) -> MailSettings:
    """The user's settings, created with defaults on first visit. Raises NotFound."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(f"Utente {user_id} non trovato.")
    return settings_for(user)


# What the audit trail says of a renewed calendar secret (never the secret itself).
RENEWED = "rinnovato"


@operation
def update_settings(
    user_id: int,
    *,
    actor: User,
    clock: Clock,
    email: str | None = None,
    digest: bool | None = None,
    new_calendar_token: bool = False,
) -> MailSettings:
    """Change a user's address, digest subscription or calendar secret (themselves, or an admin).

    Raises NotFound, NotAllowed, InvalidData.
    """
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(f"Utente {user_id} non trovato.")
    others = OPERATIONS["mail.settings.others"]
    if actor.id != user.id and role_for(actor, others, clock=clock) is None:
        raise NotAllowed("Non autorizzato: si modificano solo le proprie impostazioni di posta.")
    settings = settings_for(user)
    changes: dict[str, Any] = {}
    if email is not None:
        email = email.strip()
        if email:
            email = checked_address(email)
        if email != settings.email:
            settings.email = changes["email"] = email
    if digest is not None and digest != settings.digest:
        settings.digest = changes["digest"] = digest
    if new_calendar_token:
        settings.calendar_token = secrets.token_urlsafe(32)
        changes["calendar_token"] = RENEWED
    if changes:
        audit.record(
            actor=actor,
            role=ADMIN if actor.id != user.id else USER,
            object_type="user",
            object_id=user.id,
            action="mail.settings",
            payload=changes,
            clock=clock,
        )
    return settings


@operation
def unsubscribe_digest(user_id: int, *, clock: Clock) -> None:
    """Stop the daily digest from the link in an e-mail (the signed link is the authority)."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("Utente non trovato.")
    settings = settings_for(user)
    if settings.digest:
        settings.digest = False
        audit.record(
            actor=user,
            role=USER,
            object_type="user",
            object_id=user.id,
            action="mail.digest_unsubscribed",
            payload={},
            clock=clock,
        )


def address_of(user: User) -> str:
    settings = db.session.get(MailSettings, user.id)
    return settings.email if settings else ""
