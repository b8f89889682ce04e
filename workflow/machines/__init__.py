"""Machine definitions, looked up by kind and version (a running procedure keeps its version)."""

from __future__ import annotations

from workflow.machines import psttm
from workflow.machines.definition import Definition

DEFINITIONS: dict[tuple[str, int], Definition] = {
    (d.kind, d.version): d for d in (psttm.DEFINITION,)
}
LATEST: dict[str, Definition] = {
    d.kind: d for d in sorted(DEFINITIONS.values(), key=lambda d: d.version)
}


def definition_for(kind: str, version: int) -> Definition:
    return DEFINITIONS[(kind, version)]
