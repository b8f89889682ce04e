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
