"""Flask extensions, created unbound and initialised in create_app."""

from __future__ import annotations

from typing import Any

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from workflow.core.inputs import INT_MAX, INT_MIN

# Stable constraint names, so Alembic migrations can refer to them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class GuardedSession(Session):
    """Flask-SQLAlchemy's session, whose get() finds nothing for an integer key no INTEGER column
    can hold (PostgreSQL would answer "integer out of range", SQLite an OverflowError): an id
    typed by someone, past 2**31, is simply not found, whichever service looks it up."""

    def get(self, entity: Any, ident: Any, **kwargs: Any) -> Any:
        if isinstance(ident, dict):
            keys = tuple(ident.values())
        else:
            keys = tuple(ident) if isinstance(ident, tuple | list) else (ident,)
        for key in keys:
            if isinstance(key, int) and not INT_MIN <= key <= INT_MAX:
                return None
        return super().get(entity, ident, **kwargs)


# Objects stay readable after commit: a view that committed a change renders it without reloading.
db = SQLAlchemy(
    model_class=Base, session_options={"expire_on_commit": False, "class_": GuardedSession}
)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
