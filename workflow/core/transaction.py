"""One transaction per user intent: every public operation commits once, or not at all."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from workflow.core.conflicts import as_conflict
from workflow.core.errors import DomainError, StaleVersion
from workflow.extensions import db

P = ParamSpec("P")
R = TypeVar("R")


def operation(fn: Callable[P, R]) -> Callable[P, R]:
    """Run a service operation in one transaction: commit on success, roll back on any error.

    A concurrent writer that committed first makes our UPDATE … WHERE version = n match no row:
    SQLAlchemy raises StaleDataError and the caller gets a StaleVersion (HTTP 409). A writer that
    raced past a service's check into a named unique constraint gets that constraint's Conflict
    (409, workflow/core/conflicts.py); any other IntegrityError is re-raised as the bug it is.
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            result = fn(*args, **kwargs)
            db.session.commit()
        except DomainError:
            db.session.rollback()
            raise
        except StaleDataError as exc:
            db.session.rollback()
            raise StaleVersion(  # a procedure, an act, a consultation…: said for all of them
                "I dati sono stati modificati da un altro utente nel frattempo: "
                "ricarica la pagina e riprova."
            ) from exc
        except IntegrityError as exc:
            db.session.rollback()
            conflict = as_conflict(exc)
            if conflict is None:
                raise  # NOT NULL, CHECK, a foreign key…: a bug, logged as a 500, never a 409
            raise conflict from exc
        except BaseException:
            db.session.rollback()
            raise
        return result

    return wrapper
