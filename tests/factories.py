"""Step data that satisfies each PSTTM step, in an order whose dates never go backwards."""

from __future__ import annotations

from typing import Any

from workflow.access.models import User
from workflow.procedures import operations as procedures
from workflow.procedures.models import Procedure

STEP_DATA: dict[str, dict[str, Any]] = {
    "avvia": {"numero": "264/2024", "data": "2024-10-22"},
    "elabora_linee_guida": {"data": "2025-01-31"},
    "approva_schema": {"numero": "43", "data": "2025-02-19", "scadenza_contributi": "2025-02-28"},
    "esame_commissione": {"data": "2025-03-12"},
    "presenta_conferenza": {"data": "2025-03-20"},
    "presenta_forum": {"data": "2025-03-27"},
    "adotta": {"numero": "12", "data": "2025-04-30"},
    "parere_conferenza": {"numero": "4", "data": "2025-05-29", "favorevole": True},
    "riadotta": {"numero": "15", "data": "2025-06-10"},
    "approva": {"numero": "20", "data": "2025-06-30"},
    # Not on the path: the term of the contributions extended, during the consultation.
    "proroga_contributi": {
        "numero": "50",
        "data": "2025-02-25",
        "scadenza_contributi": "2025-03-14",
        "motivazione": "Richiesta dei Comuni",
    },
}

TO_CONSULTATION = ["avvia", "elabora_linee_guida", "approva_schema"]
PRESENTATIONS = ["esame_commissione", "presenta_conferenza", "presenta_forum"]
TO_ADOPTED = TO_CONSULTATION + PRESENTATIONS + ["adotta"]


def open_psttm(actor: User, clock, start: int = 2025) -> Procedure:
    return procedures.open_procedure(
        "psttm", start, actor=actor, clock=clock, fascicolo="2.16/2024/1"
    )


def run(procedure: Procedure, events: list[str], actor: User, clock, **overrides: Any) -> Procedure:
    for event in events:
        data = {**STEP_DATA[event], **overrides.get(event, {})}
        procedure = procedures.advance(
            procedure.id,
            event,
            expected_version=procedure.version,
            data=data,
            actor=actor,
            clock=clock,
        )
    return procedure
