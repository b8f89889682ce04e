"""Accounts: creating users, checking passwords, issuing and resolving API tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from workflow.access.models import (
    ApiToken,
    Delegation,
    LoginAttempt,
    User,
    UserRole,
    UserSession,
)
from workflow.access.roles import ADMIN, ANONYMOUS, ROLE_CODES, SYSTEM, USER
from workflow.audit import chain as audit
from workflow.core import codicefiscale, inputs
from workflow.core.clock import Clock, as_utc, rome_today
from workflow.core.errors import Conflict, InvalidData, NotFound, TooManyAttempts
from workflow.core.transaction import operation
from workflow.extensions import db

MIN_PASSWORD_LENGTH = 10
# The functions of the body a decree may delegate (the Sindaco's, the Segretario's…); the
# Amministratore of the application is a technical assignment, given as a role, never delegated.
DELEGABLE_ROLES: tuple[str, ...] = tuple(r for r in ROLE_CODES if r != ADMIN)
MAX_FULL_NAME = 200  # users.full_name


def _administered(
    actor: User | None,
    object_type: str,
    object_id: object,
    action: str,
    payload: dict[str, Any],
    clock: Clock,
) -> None:
    """The audit event of an administrator's change; with no actor, of a command run on the
    server (recorded as SYSTEM)."""
    audit.record(
        actor=actor,
        role=ADMIN if actor is not None else SYSTEM,
        object_type=object_type,
        object_id=object_id,
        action=action,
        payload=payload,
        clock=clock,
    )


@operation
def create_user(
    username: str,
    full_name: str,
    password: str,
    roles: Iterable[str],
    *,
    actor: User | None,
    clock: Clock,
    codice_fiscale: str | None = None,
) -> User:
    """Create an account with its roles and, optionally, the person's codice fiscale (how their
    digital signatures are recognised). Raises InvalidData (a field malformed, a codice fiscale
    with a wrong check character), Conflict (username or codice fiscale taken).
    """
    username = username.strip().lower()
    roles = sorted(set(roles))
    if not username or not username.replace(".", "").replace("_", "").isalnum():
        raise InvalidData(
            "Il nome utente può contenere solo lettere, cifre, punto e trattino basso."
        )
    if not full_name.strip():
        raise InvalidData("Manca il nome e cognome dell'utente.")
    if len(full_name.strip()) > MAX_FULL_NAME or not full_name.isprintable():
        # PostgreSQL refuses NUL in text; the name is printed on relate and in the audit trail.
        raise InvalidData(
            f"Il nome e cognome può avere al massimo {MAX_FULL_NAME} caratteri stampabili "
            "(niente a capo né caratteri di controllo)."
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidData(f"La password deve avere almeno {MIN_PASSWORD_LENGTH} caratteri.")
    unknown = [r for r in roles if r not in ROLE_CODES]
    if unknown or not roles:
        raise InvalidData(
            "Ruoli non validi: "
            + ", ".join(unknown or ["nessuno"])
            + ". Ruoli possibili: "
            + ", ".join(ROLE_CODES)
            + "."
        )
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise Conflict(f"L'utente «{username}» esiste già.")
    code = _free_codice_fiscale(codice_fiscale, None)
    user = User(
        username=username,
        full_name=full_name.strip(),
        codice_fiscale=code,
        password_hash=generate_password_hash(password),
        created_at=clock.now(),
        roles=[UserRole(role=r) for r in roles],
    )
    db.session.add(user)
    db.session.flush()
    _administered(
        actor,
        "user",
        user.id,
        "user.created",
        {
            "username": username,
            "full_name": user.full_name,
            "roles": roles,
            "codice_fiscale": code,
        },
        clock,
    )
    return user


def _free_codice_fiscale(value: str | None, user: User | None) -> str | None:
    """`value` checked (codicefiscale.check) and not held by another user; None when blank.
    Raises InvalidData, Conflict."""
    if value is None or not value.strip():
        return None
    code = codicefiscale.check(value)
    holder = db.session.scalar(select(User).where(User.codice_fiscale == code))
    if holder is not None and holder is not user:
        raise Conflict(f"Il codice fiscale {code} è già associato all'utente «{holder.username}».")
    return code


@operation
def set_codice_fiscale(
    username: str, value: str | None, *, actor: User | None, clock: Clock
) -> User:
    """Record (or clear, with a blank value) the codice fiscale of a user: from then on a
    signature is theirs only if its certificate carries it (TINIT-…). Raises NotFound,
    InvalidData (form or check character), Conflict (held by another user).
    """
    user = find_user(username)
    code = _free_codice_fiscale(value, user)
    if user.codice_fiscale == code:
        return user
    before = user.codice_fiscale
    user.codice_fiscale = code
    _administered(
        actor,
        "user",
        user.id,
        "user.codice_fiscale_changed",
        {"username": user.username, "before": before, "after": code},
        clock,
    )
    return user


def find_user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound(f"Utente «{username}» non trovato.")
    return user


# Rate limits on failed logins within a sliding window (brute force by account and by address).
LOGIN_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20


def _failures(column: Any, value: str, since: datetime) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(LoginAttempt)
            .where(column == value, LoginAttempt.attempted_at >= since)
            .where(LoginAttempt.succeeded.is_(False))
        )
        or 0
    )


def _account_failures_since(username: str, now: datetime) -> datetime:
    """Where the account's count of failed logins starts: the window's start, or the instant an
    administrator unlocked the account if later."""
    since = now - LOGIN_WINDOW
    cleared = db.session.scalar(select(User.failures_cleared_at).where(User.username == username))
    if cleared is None:
        return since
    # Strictly after the unlock: an attempt recorded in the same instant belongs before it.
    return max(since, as_utc(cleared) + timedelta(microseconds=1))


def locked_until(user: User, *, clock: Clock) -> datetime | None:
    """When the account's lock for failed logins ends (UTC), or None when it is not locked.

    Locked: MAX_FAILURES_PER_ACCOUNT failures within LOGIN_WINDOW (15 minutes), counted after
    the last unlock. The lock ends LOGIN_WINDOW after the oldest failure that still counts."""
    now = clock.now()
    since = _account_failures_since(user.username, now)
    failures = list(
        db.session.scalars(
            select(LoginAttempt.attempted_at)
            .where(LoginAttempt.username == user.username, LoginAttempt.attempted_at >= since)
            .where(LoginAttempt.succeeded.is_(False))
            .order_by(LoginAttempt.attempted_at.desc())
            .limit(MAX_FAILURES_PER_ACCOUNT)
        )
    )
    if len(failures) < MAX_FAILURES_PER_ACCOUNT:
        return None
    return as_utc(failures[-1]) + LOGIN_WINDOW


@operation
def login(username: str, password: str, *, address: str, clock: Clock) -> User | None:
    """Check credentials, recording the attempt and its audit event; None when refused.

    Raises TooManyAttempts when the account or the address failed too often in the last
    15 minutes (checked before the password, so a locked account cannot be probed).
    """
    username = username.strip().lower()[:80]
    now = clock.now()
    since = now - LOGIN_WINDOW
    if (
        _failures(LoginAttempt.username, username, _account_failures_since(username, now))
        >= MAX_FAILURES_PER_ACCOUNT
        or _failures(LoginAttempt.address, address, since) >= MAX_FAILURES_PER_ADDRESS
    ):
        raise TooManyAttempts(
            "Troppi tentativi di accesso non riusciti: riprova tra 15 minuti "
            "o rivolgiti all'amministratore."
        )
    user = authenticate(username, password)
    # Whatever was typed is recorded as a failed attempt, made fit for the columns.
    typed = inputs.made_safe(username, max_length=80)
    address = inputs.made_safe(address, max_length=64)
    db.session.add(
        LoginAttempt(
            username=typed,
            address=address,
            attempted_at=now,
            succeeded=bool(user),
        )
    )
    audit.record(
        actor=user,
        role=ANONYMOUS if user is None else USER,
        object_type="user",
        object_id=user.id if user else typed[:40],
        action="login.succeeded" if user else "login.failed",
        payload={"username": typed, "address": address},
        clock=clock,
    )
    return user


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None (unknown user and bad password alike)."""
    user = db.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or not user.active or not check_password_hash(user.password_hash, password):
        return None
    return user


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@operation
def issue_token(username: str, *, actor: User | None, clock: Clock) -> str:
    """Issue a fresh API token for a user and return it; only its SHA-256 is stored."""
    user = find_user(username)
    token = secrets.token_urlsafe(32)
    db.session.add(
        ApiToken(user_id=user.id, token_hash=_token_digest(token), created_at=clock.now())
    )
    _administered(actor, "user", user.id, "token.issued", {"username": user.username}, clock)
    return token


@operation
def use_token(token: str, *, clock: Clock) -> User | None:
    """The user of an API token, or None; the first use of a token each day is audited.

    Once a day, not on every call: the audit trail records that a token was in use without
    doubling the cost of every API request.
    """
    found = db.session.execute(_token_query(token).add_columns(ApiToken)).unique().one_or_none()
    if found is None:
        return None
    user, row = found
    today = rome_today(clock)
    if row.last_used_on != today:
        row.last_used_on = today
        audit.record(
            actor=user,
            role=USER,
            object_type="token",
            object_id=row.id,
            action="token.used",
            payload={"username": user.username, "day": today.isoformat()},
            clock=clock,
        )
    return user


def _token_query(token: str) -> Select:
    """One round trip: the token's active user with roles and delegations, if the token is valid."""
    return (
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .options(joinedload(User.roles), joinedload(User.delegations))
        .where(
            ApiToken.token_hash == _token_digest(token),
            ApiToken.revoked_at.is_(None),
            User.active.is_(True),
        )
    )


def user_for_token(token: str) -> User | None:
    """The active user owning this unrevoked token, or None."""
    return db.session.execute(_token_query(token)).unique().scalar_one_or_none()


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.username)))


def tokens_of(user: User) -> list[ApiToken]:
    query = select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)
    return list(db.session.scalars(query))


@operation
def revoke_token(token_id: int, *, actor: User | None, clock: Clock) -> ApiToken:
    """Revoke an API token (kept, never deleted). Raises NotFound, Conflict (already revoked)."""
    row = db.session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"Token {token_id} non trovato.")
    if row.revoked_at is not None:
        raise Conflict(f"Il token {token_id} è già revocato.")
    row.revoked_at = clock.now()
    _administered(actor, "token", row.id, "token.revoked", {"username": row.user.username}, clock)
    return row


@operation
def set_roles(username: str, roles: Iterable[str], *, actor: User | None, clock: Clock) -> User:
    """Replace a user's roles. Raises NotFound, InvalidData (unknown role or none)."""
    user = find_user(username)
    wanted = sorted(set(roles))
    unknown = [r for r in wanted if r not in ROLE_CODES]
    if unknown or not wanted:
        if not wanted:
            raise InvalidData("Scegli almeno un ruolo: un utente senza ruoli non può fare nulla.")
        raise InvalidData("Ruoli non validi: " + ", ".join(unknown) + ".")
    before = sorted(user.role_codes)
    if before == wanted:
        return user
    if ADMIN in before and ADMIN not in wanted and user.active:
        _keep_an_admin(user, "togliere il ruolo di Amministratore a")
    user.roles = [UserRole(role=r) for r in wanted]
    _administered(
        actor,
        "user",
        user.id,
        "user.roles_changed",
        {"username": user.username, "before": before, "after": wanted},
        clock,
    )
    return user


@operation
def set_active(username: str, active: bool, *, actor: User | None, clock: Clock) -> User:
    """Enable or disable an account; disabling also ends its sessions. Raises NotFound."""
    user = find_user(username)
    if user.active == active:
        return user
    if not active and ADMIN in user.role_codes:
        _keep_an_admin(user, "disabilitare")
    user.active = active
    if not active:
        user.session_epoch += 1
    action = "user.enabled" if active else "user.disabled"
    _administered(actor, "user", user.id, action, {"username": user.username}, clock)
    return user


def _keep_an_admin(user: User, what: str) -> None:
    """Raise Conflict when `user` is the last active administrator: without one, nobody could
    manage accounts from the application any more (only from the server's command line)."""
    others = db.session.scalar(
        select(func.count())
        .select_from(User)
        .join(UserRole)
        .where(User.active.is_(True), UserRole.role == ADMIN, User.id != user.id)
    )
    if not others:
        raise Conflict(
            f"Non si può {what} {user.username}: è l'ultimo amministratore attivo. "
            "Abilita o nomina prima un altro amministratore."
        )


@operation
def unlock(username: str, *, actor: User | None, clock: Clock) -> User:
    """Unlock an account locked by failed logins: failures before now stop counting.

    The attempts stay recorded (they are evidence); the limit per address is untouched.
    Raises NotFound, Conflict (the account is not locked)."""
    user = find_user(username)
    if locked_until(user, clock=clock) is None:
        raise Conflict(f"L'utente {user.username} non è bloccato.")
    user.failures_cleared_at = clock.now()
    _administered(actor, "user", user.id, "user.unlocked", {"username": user.username}, clock)
    return user


@operation
def logout_everywhere(user_id: int, *, actor: User, clock: Clock) -> None:
    """End every session of the user, on every device: the session id carries an epoch."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("Utente non trovato.")
    user.session_epoch += 1
    audit.record(
        actor=actor,
        role=USER,
        object_type="user",
        object_id=user.id,
        action="user.logged_out_everywhere",
        payload={"username": user.username},
        clock=clock,
    )


@operation
def open_session(user_id: int, *, clock: Clock, lifetime: timedelta) -> str:
    """Start a server-side session for a user who has just logged in; returns its key, for the
    signed session cookie (only its SHA-256 is stored). The user's sessions that ended, or that
    started more than `lifetime` ago (the absolute limit, SESSION_MAX_SECONDS), are dropped."""
    now = clock.now()
    db.session.execute(
        delete(UserSession)
        .where(UserSession.user_id == user_id)
        .where(or_(UserSession.ended_at.is_not(None), UserSession.started_at < now - lifetime))
    )
    key = secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user_id, key_hash=_token_digest(key), started_at=now))
    return key


@operation
def end_session(key: str, *, actor: User, clock: Clock) -> None:
    """Log out: end this session on the server, so its cookie, wherever a copy of it went, is
    refused from now on. The user's other sessions go on ("esci ovunque" ends them all)."""
    row = db.session.scalar(
        select(UserSession).where(
            UserSession.key_hash == _token_digest(key),
            UserSession.user_id == actor.id,
            UserSession.ended_at.is_(None),
        )
    )
    if row is None:
        return  # already ended: nothing left to do, nothing to record
    row.ended_at = clock.now()
    audit.record(
        actor=actor,
        role=USER,
        object_type="user",
        object_id=actor.id,
        action="user.logged_out",
        payload={"username": actor.username},
        clock=clock,
    )


def load_session_user(session_id: str, key: str | None) -> User | None:
    """Flask-Login's loader: "<id>:<epoch>" and the session's key from the cookie; None when
    the session ended on the server (logout), or elsewhere (an older epoch: "esci ovunque", a
    disabled account)."""
    user_id, _, epoch = session_id.partition(":")
    if not user_id.isdigit() or not epoch.isdigit() or not key:
        return None
    user = db.session.scalar(
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            User.id == int(user_id),
            UserSession.key_hash == _token_digest(key),
            UserSession.ended_at.is_(None),
        )
    )
    if user is None or not user.active or user.session_epoch != int(epoch):
        return None
    return user


@operation
def delegate(
    username: str,
    role: str,
    act: str,
    valid_from: date,
    valid_to: date | None,
    *,
    actor: User | None,
    clock: Clock,
) -> Delegation:
    """Record a delegation of `role` to a user by an act, honoured only within its dates.

    Raises NotFound, InvalidData (unknown role, no act, dates in the wrong order).
    """
    user = find_user(username)
    if role not in ROLE_CODES:
        raise InvalidData(f"Ruolo non valido: {role}.")
    if role not in DELEGABLE_ROLES:
        raise InvalidData(
            "Il ruolo di Amministratore non si delega: è un incarico tecnico, non una funzione "
            "dell'ente. Assegnalo all'utente dalla pagina Utenti."
        )
    if not act.strip():
        raise InvalidData("Manca l'atto di delega (es. Decreto R.G. 148/2023).")
    if valid_to is not None and valid_to < valid_from:
        raise InvalidData("La delega non può finire prima di iniziare.")
    delegation = Delegation(
        user=user,  # also joins user.delegations, when this session has it loaded
        role=role,
        act=act.strip()[:200],
        valid_from=valid_from,
        valid_to=valid_to,
        created_at=clock.now(),
    )
    db.session.add(delegation)
    db.session.flush()
    _administered(
        actor,
        "delegation",
        delegation.id,
        "delegation.created",
        {
            "username": user.username,
            "role": role,
            "act": delegation.act,
            "from": valid_from.isoformat(),
            "to": valid_to.isoformat() if valid_to else None,
        },
        clock,
    )
    return delegation


def delegations_of(user: User) -> list[Delegation]:
    query = select(Delegation).where(Delegation.user_id == user.id).order_by(Delegation.id)
    return list(db.session.scalars(query))


def all_delegations() -> list[Delegation]:
    """Every delegation ever recorded, newest first, with its user loaded."""
    query = select(Delegation).options(joinedload(Delegation.user)).order_by(Delegation.id.desc())
    return list(db.session.scalars(query))


@operation
def revoke_delegation(delegation_id: int, *, actor: User | None, clock: Clock) -> Delegation:
    """End a delegation now (it is kept, marked revoked, and no longer honoured).

    Raises NotFound, Conflict (already revoked)."""
    delegation = db.session.get(Delegation, delegation_id)
    if delegation is None:
        raise NotFound("Delega non trovata.")
    if delegation.revoked_at is not None:
        raise Conflict("La delega è già stata revocata.")
    delegation.revoked_at = clock.now()
    _administered(
        actor,
        "delegation",
        delegation.id,
        "delegation.revoked",
        {"username": delegation.user.username, "role": delegation.role},
        clock,
    )
    return delegation
