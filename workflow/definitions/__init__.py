"""Machine definitions, looked up by kind and version (a running procedure keeps its version)."""

from __future__ import annotations

from workflow.definitions import acts, psttm
from workflow.engine.definition import Definition

DEFINITIONS: dict[tuple[str, int], Definition] = {
    (d.kind, d.version): d for d in (psttm.DEFINITION,)
}
LATEST: dict[str, Definition] = {
    d.kind: d for d in sorted(DEFINITIONS.values(), key=lambda d: d.version)
}


# Acts run on their own definitions: they are not procedures one opens from the procedure list.
ACT_DEFINITIONS: dict[int, Definition] = {acts.DEFINITION.version: acts.DEFINITION}
ACT_LATEST: Definition = ACT_DEFINITIONS[max(ACT_DEFINITIONS)]


def definition_for(kind: str, version: int) -> Definition:
    return DEFINITIONS[(kind, version)]
