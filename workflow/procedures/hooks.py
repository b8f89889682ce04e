"""What the areas built on procedures add to them, without procedures importing those areas.

Consultations (and any later area) import procedures; the reverse would be a cycle. So a
procedure's step asks here for what others cite in its record, and they register it at import:
the adoption cites the closed consultation (workflow.consultations.queries).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from workflow.procedures.models import Procedure

# By event, what each area adds to the step's record. Keyed by the function's qualified name,
# so registering again (a module reloaded) replaces rather than repeats.
StepCitation = Callable[[Procedure], Mapping[str, str]]
_CITATIONS: dict[str, dict[str, StepCitation]] = {}


def cites_on_record(*events: str) -> Callable[[StepCitation], StepCitation]:
    """Register a function of the procedure whose fields are added to the stored data of every
    step recording one of `events` (e.g. {"consultazione": "Consultazione chiusa il …"}), in
    the same transaction; it returns {} when it has nothing to cite."""

    def register(cite: StepCitation) -> StepCitation:
        for event in events:
            _CITATIONS.setdefault(event, {})[f"{cite.__module__}.{cite.__qualname__}"] = cite
        return cite

    return register


def citations_for(procedure: Procedure, event: str) -> dict[str, str]:
    """The fields the registered areas add to the record of `event` on `procedure`."""
    cited: dict[str, str] = {}
    for cite in _CITATIONS.get(event, {}).values():
        cited.update(cite(procedure))
    return cited
