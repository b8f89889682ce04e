"""Role codes (a contract: the CLI, the API and other tools use them) and their Italian names."""

from __future__ import annotations

DIREZIONE_GENERALE = "direzione_generale"
SEGRETARIO_GENERALE = "segretario_generale"
SINDACO = "sindaco"
DIRIGENTE = "dirigente"
RAGIONERIA = "ragioneria"
ALBO = "albo"
ADMIN = "admin"

ROLE_LABELS: dict[str, str] = {
    DIREZIONE_GENERALE: "Direzione Generale",
    SEGRETARIO_GENERALE: "Segretario Generale",
    SINDACO: "Sindaco metropolitano / Consigliere delegato",
    DIRIGENTE: "Dirigente competente",
    RAGIONERIA: "Ragioneria",
    ALBO: "Ufficio Albo",
    ADMIN: "Amministratore",
}

ROLE_CODES: tuple[str, ...] = tuple(ROLE_LABELS)

# The audit trail's `role` when nobody acts under one of ROLE_CODES. Never given to a user, so
# never in the rights table. The strings are stored in hashed events: they stay as they are, or a
# history would read one way before a date and another after it.
SYSTEM = "sistema"  # no person: the scheduler, a loader, a command run on the server
USER = "utente"  # a signed-in user acting on their own account (login, token, own settings)
ANONYMOUS = "anonimo"  # nobody signed in: a failed login

AUDIT_ONLY_ROLES: tuple[str, ...] = (SYSTEM, USER, ANONYMOUS)


def role_label(code: str) -> str:
    """The Italian name of a role code for pages and messages ("segretario_generale" →
    "Segretario Generale"); the audit-only codes are Italian words already."""
    return ROLE_LABELS.get(code, code)
