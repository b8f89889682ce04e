"""Users, the roles they hold and their API tokens."""

from __future__ import annotations

from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.access.roles import ROLE_CODES
from workflow.extensions import db

_ROLE_CHECK = "role IN (" + ", ".join(f"'{code}'" for code in ROLE_CODES) + ")"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    # The person's codice fiscale (upper case, check character verified): how a digital signature
    # is matched to its signer (the certificate's serialNumber TINIT-…, ETSI EN 319 412-1).
    codice_fiscale: Mapped[str | None] = mapped_column(String(16), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Part of the session id: raising it ends every open session of the user ("esci ovunque").
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    # Failed logins before this instant no longer lock the account: an administrator unlocked it.
    failures_cleared_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    # Read once per request (with the token, or on first need): what the user may do is asked
    # several times per request (route, operation, the events offered in the answer).
    delegations: Mapped[list[Delegation]] = relationship(
        back_populates="user", order_by="Delegation.id"
    )

    @property
    def role_codes(self) -> set[str]:
        return {r.role for r in self.roles}

    @property
    def is_active(self) -> bool:  # Flask-Login asks this
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_epoch}"


class UserRole(db.Model):
    __tablename__ = "user_roles"
    __table_args__ = (CheckConstraint(_ROLE_CHECK, name="known_role"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(40), primary_key=True)

    user: Mapped[User] = relationship(back_populates="roles")


class ApiToken(db.Model):
    """A bearer token, stored only as its SHA-256: a leaked database does not leak tokens."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The Europe/Rome day of the last audited use: token use is audited once a day per token.
    last_used_on: Mapped[date | None] = mapped_column(Date)

    user: Mapped[User] = relationship()


class UserSession(db.Model):
    """One login on one browser. Its key travels in the signed session cookie and only its
    SHA-256 is stored; logging out ends the row, so a copy of the cookie taken before "Esci" is
    refused afterwards, while the user's other sessions go on."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginAttempt(db.Model):
    """Every login attempt, for rate limiting per account and per address."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_username_at", "username", "attempted_at"),
        Index("ix_login_attempts_address_at", "address", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    address: Mapped[str] = mapped_column(String(64))
    attempted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    succeeded: Mapped[bool]


class Delegation(db.Model):
    """A role held by delegation (e.g. the Vice Sindaco's delega, decreto R.G. 148/2023), honoured
    only from `valid_from` to `valid_to` inclusive (Europe/Rome days) and while not revoked."""

    __tablename__ = "delegations"
    __table_args__ = (
        CheckConstraint(_ROLE_CHECK, name="known_role"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="period_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    act: Mapped[str] = mapped_column(String(200))  # the act that confers it, as cited
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(back_populates="delegations")

    def honoured_on(self, day: date) -> bool:
        return (
            self.revoked_at is None
            and self.valid_from <= day
            and (self.valid_to is None or day <= self.valid_to)
        )
