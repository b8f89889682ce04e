"""Who may do what: the role check every service operation and staff page asks."""

from __future__ import annotations

from workflow.models import User
from workflow.roles import ROLE_LABELS
from workflow.services.errors import NotAllowed


def acting_role(user: User, allowed: tuple[str, ...], what: str) -> str:
    """The role under which `user` acts (the first of `allowed` held); raises NotAllowed."""
    held = user.role_codes
    for role in allowed:
        if role in held:
            return role
    names = ", ".join(ROLE_LABELS[r] for r in allowed)
    raise NotAllowed(f"Non autorizzato: {what} spetta a {names}.")
