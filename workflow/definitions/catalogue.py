"""The catalogue of guards and routes that definition files name (`condizioni`, `esiti`).

A file names a guard; the code here says what it checks and why (each docstring cites its legal
source). A guard takes the facts of the object (ProcedureFacts, ActFacts) and the step's parsed
data and returns None, or the Italian sentence that says what is missing. Some guards take
arguments in the file, written after the name: `tappa_non_registrata(parere_revisori)`; they are
built here for the definition that names them, with its milestones' labels.

Adding a kind is adding a file; a rule no guard here expresses is one more small function here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from workflow.core.clock import format_date
from workflow.definitions import acts, psttm
from workflow.engine.definition import Guard, ProcedureFacts, Route


@dataclass(frozen=True)
class Entry:
    """One guard of the catalogue: `build(arguments, milestone labels)` gives the guard;
    `arity` is how many arguments it takes (None: one or more); `objects` what it reads."""

    build: Callable[[tuple[str, ...], Mapping[str, str]], Guard]
    arity: int | None
    objects: frozenset[str]
    doc: str
    arguments: str = "tappe"  # what the arguments name: milestones ("tappe") or fields ("campi")


def _plain(guard: Guard, *objects: str) -> Entry:
    return Entry(lambda args, labels: guard, 0, frozenset(objects), guard.__doc__ or "")


def milestone_not_recorded(args: tuple[str, ...], labels: Mapping[str, str]) -> Guard:
    """A step that may come in any order within its phase is recorded once: a second record of
    the same milestone is a slip, not a new fact (a new act is a new step of another kind)."""
    (code,) = args
    label = labels.get(code, code)

    def guard(facts: ProcedureFacts, data: Mapping[str, Any]) -> str | None:
        if code in facts.recorded:
            return f"È già stata registrata la tappa «{label}»."
        return None

    return guard


def milestones_recorded(args: tuple[str, ...], labels: Mapping[str, str]) -> Guard:
    """A step that needs every step of a group before it (the opinions a deliberation must
    acquire, e.g. TUEL art. 239 c. 1 lett. b for the revisori on the bilancio): refused, naming
    the missing ones, until each is recorded."""

    def guard(facts: ProcedureFacts, data: Mapping[str, Any]) -> str | None:
        missing = [f"«{labels.get(c, c)}»" for c in args if c not in facts.recorded]
        if not missing:
            return None
        if len(missing) == 1:
            return f"Non ancora possibile: manca la tappa {missing[0]}."
        return f"Non ancora possibile: mancano le tappe {', '.join(missing)}."

    return guard


def term_after_the_act(args: tuple[str, ...], labels: Mapping[str, str]) -> Guard:
    """A term an act sets in field `args[0]` (a deferral's new day, TUEL art. 151 c. 1) falls
    after the act's own date (`data`) and within two years of it: 01/01/1950 or 2099 for a
    decree of 2026 is a typing error, not a term."""
    (name,) = args

    def guard(facts: ProcedureFacts, data: Mapping[str, Any]) -> str | None:
        term, when = data.get(name), data.get("data")
        if not term or not when:
            return None
        if term <= when:
            return (
                f"Il nuovo termine ({format_date(term)}) deve seguire la data dell'atto "
                f"({format_date(when)})."
            )
        if term - when > psttm.LONGEST_TERM:
            return (
                f"Il nuovo termine ({format_date(term)}) è oltre due anni dopo l'atto del "
                f"{format_date(when)}: controlla l'anno."
            )
        return None

    return guard


def term_moves_later(args: tuple[str, ...], labels: Mapping[str, str]) -> Guard:
    """A step that sets again the term of field `args[0]` moves it later, never earlier than
    the one in force (a deferral defers: TUEL art. 151 c. 1)."""
    (name,) = args

    def guard(facts: ProcedureFacts, data: Mapping[str, Any]) -> str | None:
        new, before = data.get(name), facts.stated.get(name)
        if not new or not before or new > date.fromisoformat(before):
            return None
        return (
            f"Il nuovo termine {format_date(new)} non differisce quello in vigore "
            f"({format_date(date.fromisoformat(before))}): indica una data successiva."
        )

    return guard


PROCEDURE = "procedimento"
ACT = "atto"

GUARDS: dict[str, Entry] = {
    # Every procedure
    "data_non_futura": _plain(psttm.not_in_future, PROCEDURE),
    "date_in_ordine": _plain(psttm.in_order, PROCEDURE),
    "anno_del_numero": _plain(psttm.year_of_number, PROCEDURE),
    "tappa_non_registrata": Entry(
        milestone_not_recorded, 1, frozenset({PROCEDURE}), milestone_not_recorded.__doc__ or ""
    ),
    "tappe_registrate": Entry(
        milestones_recorded, None, frozenset({PROCEDURE}), milestones_recorded.__doc__ or ""
    ),
    # Terms an act sets (the DUP's deferral of the approval), the field named in brackets.
    "termine_dopo_l_atto_in": Entry(
        term_after_the_act, 1, frozenset({PROCEDURE}), term_after_the_act.__doc__ or "", "campi"
    ),
    "termine_successivo": Entry(
        term_moves_later, 1, frozenset({PROCEDURE}), term_moves_later.__doc__ or "", "campi"
    ),
    # The PSTTM's consultation (decreto R.G. 43/2025)
    "dopo_lo_schema": _plain(psttm.after_phase_start, PROCEDURE),
    "presentazioni_complete": _plain(psttm.presentations_complete, PROCEDURE),
    "consultazione_conclusa": _plain(psttm.consultation_over, PROCEDURE),
    "proroga_successiva": _plain(psttm.extends_the_term, PROCEDURE),
    "termine_dopo_l_atto": _plain(psttm.term_after_the_act, PROCEDURE),
    "commissione_non_registrata": _plain(psttm.not_yet("commissione"), PROCEDURE),
    "conferenza_non_registrata": _plain(psttm.not_yet("conferenza"), PROCEDURE),
    "forum_non_registrata": _plain(psttm.not_yet("forum"), PROCEDURE),
    # The life of an act
    "firma_dovuta": _plain(acts.signer_due, ACT),
    "pareri_validi": _plain(acts.opinions_valid, ACT),
    "firme_complete": _plain(acts.signatures_complete, ACT),
    "documento_firmato": _plain(acts.signed_document, ACT),
    "allegati_pubblicabili": _plain(acts.annexes_publishable, ACT),
    "proroga_ammessa": _plain(acts.extension_allowed, ACT),
    "inizio_non_passato": _plain(acts.start_not_past, ACT),
    "finestra_chiusa": _plain(acts.window_over, ACT),
    "eseguibilita_votata": _plain(acts.immediate_execution_voted, ACT),
}


def favourable(data: Mapping[str, Any]) -> bool:
    """The outcome of an opinion: favourable only when the step says so (`favorevole` true)."""
    return data.get("favorevole") is True


# `esiti: {favorevole: …, contrario: …}` routes on this one question.
ROUTES: dict[str, Route] = {"favorevole": favourable}

_REFERENCE = re.compile(r"^([a-z][a-z0-9_]*)(?:\(([a-z0-9_, ]*)\))?$")


class UnknownGuard(ValueError):
    """A file names a guard the catalogue does not have, or calls it wrongly (Italian message)."""


def parse(reference: str) -> tuple[str, tuple[str, ...]]:
    """`"tappe_registrate(a, b)"` → ("tappe_registrate", ("a", "b")); raises UnknownGuard."""
    match = _REFERENCE.match(reference)
    if match is None:
        raise UnknownGuard(f"«{reference}» non è il nome di una condizione")
    args = tuple(a.strip() for a in (match.group(2) or "").split(",") if a.strip())
    return match.group(1), args


def build(
    reference: str, obj: str, labels: Mapping[str, str], fields: frozenset[str] = frozenset()
) -> Guard:
    """The guard a file's `condizioni` names, for a definition of `obj` ("procedimento" or
    "atto") whose milestones are `labels` and whose steps have `fields`. Raises UnknownGuard
    with the reason in Italian."""
    name, args = parse(reference)
    entry = GUARDS.get(name)
    if entry is None or obj not in entry.objects:
        known = ", ".join(sorted(n for n, e in GUARDS.items() if obj in e.objects))
        raise UnknownGuard(f"condizione «{name}» sconosciuta (per un {obj}: {known})")
    if entry.arity == 0 and args:
        raise UnknownGuard(f"la condizione «{name}» non prende argomenti")
    if entry.arity is None and not args:
        raise UnknownGuard(f"la condizione «{name}» vuole almeno una tappa tra parentesi")
    if entry.arity and len(args) != entry.arity:
        raise UnknownGuard(f"la condizione «{name}» vuole {entry.arity} argomento")
    known = labels if entry.arguments == "tappe" else fields
    unknown = [a for a in args if a not in known]
    if unknown:
        what = "tappe" if entry.arguments == "tappe" else "campi"
        raise UnknownGuard(f"la condizione «{name}» cita {what} inesistenti: {', '.join(unknown)}")
    return entry.build(args, labels)
