"""Who may do what: the role check every service operation and staff page asks.

A role is held in one's own right (user_roles) or by delegation (a decreto di delega, with its
dates). Every check is given the clock, so a delegation counts on the days it covers, on every
operation alike, and on no other day.
"""

from __future__ import annotations

from workflow.access.models import Delegation, User
from workflow.access.roles import ROLE_LABELS
from workflow.core.clock import Clock, rome_today
from workflow.core.errors import NotAllowed


def delegated_roles(user: User, clock: Clock) -> set[str]:
    """Roles the user holds today by a delegation still within its dates (Europe/Rome)."""
    today = rome_today(clock)
    return {d.role for d in user.delegations if d.honoured_on(today)}


def effective_roles(user: User, clock: Clock) -> set[str]:
    """Held roles plus the roles delegated to `user` for today (Europe/Rome day of `clock`)."""
    return set(user.role_codes) | delegated_roles(user, clock)


def role_for(user: User, allowed: tuple[str, ...], *, clock: Clock) -> str | None:
    """The role under which `user` may act among `allowed` today, or None.

    A role held in one's own right comes first (the first of `allowed` held); only then a
    delegated one, so the delegations are read only when the held roles do not suffice.
    """
    held = user.role_codes
    for role in allowed:
        if role in held:
            return role
    delegated = delegated_roles(user, clock)
    for role in allowed:
        if role in delegated:
            return role
    return None


def acting_role(user: User, allowed: tuple[str, ...], what: str, *, clock: Clock) -> str:
    """The role under which `user` acts (held first, then delegated today); raises NotAllowed.

    A delegation (decreto di delega, with its dates) counts only on the Europe/Rome days it
    covers: the day before or after, the same request is refused. `what` completes the Italian
    refusal "Non autorizzato: … spetta a …".
    """
    role = role_for(user, allowed, clock=clock)
    if role is None:
        names = ", ".join(ROLE_LABELS[r] for r in allowed)
        raise NotAllowed(f"Non autorizzato: {what} spetta a {names}.")
    return role


def delegation_for(user: User, role: str, clock: Clock) -> Delegation | None:
    """The delegation under which `user` holds `role` today; None when the role is held in
    one's own right (it then needs no delegation) or not held at all."""
    if role in user.role_codes:
        return None
    today = rome_today(clock)
    return next((d for d in user.delegations if d.role == role and d.honoured_on(today)), None)
