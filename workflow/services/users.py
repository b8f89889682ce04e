"""Accounts: creating users, checking passwords, issuing and resolving API tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from workflow.clock import Clock
from workflow.extensions import db
from workflow.models import ApiToken, User, UserRole
from workflow.roles import ADMIN, ROLE_CODES
from workflow.services import audit
from workflow.services.errors import Conflict, InvalidData, NotFound
from workflow.services.transaction import operation

MIN_PASSWORD_LENGTH = 10


@operation
def create_user(
    username: str,
    full_name: str,
    password: str,
    roles: Iterable[str],
    *,
    actor: User | None,
    clock: Clock,
) -> User:
    """Create an account with its roles. Raises InvalidData, Conflict (username taken)."""
    username = username.strip().lower()
    roles = sorted(set(roles))
    if not username or not username.replace(".", "").replace("_", "").isalnum():
        raise InvalidData(
            "Il nome utente può contenere solo lettere, cifre, punto e trattino basso."
        )
    if not full_name.strip():
        raise InvalidData("Manca il nome e cognome dell'utente.")
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
    user = User(
        username=username,
        full_name=full_name.strip(),
        password_hash=generate_password_hash(password),
        created_at=clock.now(),
        roles=[UserRole(role=r) for r in roles],
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        actor=actor,
        role=ADMIN,
        object_type="user",
        object_id=user.id,
        action="user.created",
        payload={"username": username, "full_name": user.full_name, "roles": roles},
        clock=clock,
    )
    return user


def find_user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound(f"Utente «{username}» non trovato.")
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
    audit.record(
        actor=actor,
        role=ADMIN,
        object_type="user",
        object_id=user.id,
        action="token.issued",
        payload={"username": user.username},
        clock=clock,
    )
    return token


def user_for_token(token: str) -> User | None:
    """The active user owning this unrevoked token, or None."""
    query = (
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .options(joinedload(User.roles))
        .where(
            ApiToken.token_hash == _token_digest(token),
            ApiToken.revoked_at.is_(None),
            User.active.is_(True),
        )
    )
    return db.session.execute(query).unique().scalar_one_or_none()


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.username)))
