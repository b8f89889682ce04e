"""The proposal of an act: its classification, its descriptive fields and its fingerprint."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from workflow.core.errors import InvalidData

FASCICOLO = re.compile(r"^\s*(\d+(?:\.\d+)*)\s*/\s*(\d{4})\s*/\s*(\d{1,9})\s*$")
MAX_FIELD = 1000  # characters of a descriptive field (the text of the proposal has no limit)

# The descriptive fields, in the order they are checked, and how "Manca …" names each.
FIELDS = {
    "oggetto": "l'oggetto",
    "proponente": "il proponente",
    "materia": "la materia",
    "struttura": "la struttura organizzativa",
    "testo": "il testo della proposta",
}


def proposal_sha256(oggetto: str, testo: str, fascicolo: str) -> str:
    """The fingerprint of one version of the proposal: what each opinion and signature covers."""
    canonical = json.dumps(
        {"fascicolo": fascicolo, "oggetto": oggetto, "testo": testo},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def parse_fascicolo(value: str) -> tuple[str, int, int]:
    """Titolario class / year / file number, as "2.16/2024/1" (DPR 445/2000 artt. 56, 64)."""
    match = FASCICOLO.match(value or "")
    if not match:
        what = "Classificazione non valida" if (value or "").strip() else "Manca la classificazione"
        raise InvalidData(f"{what}: indicare Titolario/Anno/Fascicolo (es. 2.16/2024/1).")
    if int(match.group(3)) < 1:
        raise InvalidData(f"Fascicolo {value.strip()}: i fascicoli sono numerati da 1.")
    return match.group(1), int(match.group(2)), int(match.group(3))


def proposal_fields(**given: Any) -> dict[str, str]:
    """The descriptive fields of FIELDS, stripped; raises InvalidData naming the first missing,
    not a text, or longer than MAX_FIELD."""
    return {name: _text(given.get(name), label) for name, label in FIELDS.items()}


def _text(value: Any, label: str, required: bool = True) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidData(f"Manca {label}.")
        return ""
    if not isinstance(value, str):
        raise InvalidData(f"«{label}»: è atteso un testo.")
    if len(value) > MAX_FIELD and label != FIELDS["testo"]:
        raise InvalidData(f"«{label}»: al massimo {MAX_FIELD} caratteri.")
    return value.strip()
