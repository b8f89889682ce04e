"""Who may do what: the role check every service operation and staff page asks."""

from __future__ import annotations

from workflow.access.models import User
from workflow.access.roles import ROLE_LABELS
from workflow.core.clock import Clock, rome_today
from workflow.core.errors import NotAllowed


def delegated_roles(user: User, clock: Clock) -> set[str]:
    """Roles the user holds today by a delegation still within its dates (Europe/Rome)."""
    today = rome_today(clock)
    return {d.role for d in user.delegations if d.honoured_on(today)}


def effective_roles(user: User, clock: Clock | None) -> set[str]:
    """Held roles, plus those delegated for today when the caller knows what day it is."""
    held = set(user.role_codes)
    return held | delegated_roles(user, clock) if clock is not None else held


def acting_role(
    user: User, allowed: tuple[str, ...], what: str, *, clock: Clock | None = None
) -> str:
    """The role under which `user` acts (the first of `allowed` held); raises NotAllowed.

    With a clock, a delegation (decreto di delega, with its dates) counts only on the days it
    covers: the day before or after, the same request is refused.
    """
    held = set(user.role_codes)
    for role in allowed:
        if role in held:
            return role
    if clock is not None:
        delegated = delegated_roles(user, clock)
        for role in allowed:
            if role in delegated:
                return role
    names = ", ".join(ROLE_LABELS[r] for r in allowed)
    raise NotAllowed(f"Non autorizzato: {what} spetta a {names}.")
