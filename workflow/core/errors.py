"""Domain errors raised by services; core/error_pages.py maps each to one HTTP status."""

from __future__ import annotations


class DomainError(Exception):
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(DomainError):
    """The request itself is malformed (not JSON, no version…)."""

    status = 400


class NotAllowed(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    """The request clashes with the current state (already exists, not possible now)."""

    status = 409


class StaleVersion(Conflict):
    """Someone changed the object since the caller read it."""


class GuardFailed(DomainError):
    """A rule of the procedure refuses the step; the message names what is missing."""

    status = 422


class InvalidData(GuardFailed):
    """A field of the step is missing or not valid."""


class TooLarge(DomainError):
    """An uploaded file over the configured size."""

    status = 413


class Unauthorized(DomainError):
    """No valid credentials (API token missing, wrong or revoked)."""

    status = 401


class TooManyAttempts(DomainError):
    """Login rate limit reached."""

    status = 429
