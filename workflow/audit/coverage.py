"""Which columns of which tables the audit trail vouches for, and how each is derived from events.

One registry, as data: a `Table` per covered table (its key, the columns compared, files whose
SHA-256 is re-read on disk) and `Source`s that say which events write which columns, each column
through a small `Derive` (a payload path, an event field, a register label's number…). Verify
(workflow/audit/replay.py) folds the events, in chain order, into the rows they describe and
compares them with the live rows; `flask audit verify --campi` prints this registry as a table.

A table added later (a protocol register with its correspondents, a rettifica of a step, a
document's role on the Albo) is covered by adding its `Table` and `Source`s to REGISTRY, and by
making the operation that writes the row state in its audit event the fields the sources read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app

from workflow.acts import daily, documents
from workflow.acts.proposal import proposal_sha256
from workflow.acts.register_models import ALBO, PROTOCOLLO, REPERTORIO
from workflow.audit.registrations import PAYLOAD_KEY
from workflow.core.clock import ROME
from workflow.core.files import MISSING as NOT_STORED
from workflow.core.files import FileStore

MISSING: Any = object()  # a derivation that finds nothing sets nothing (an older event's payload)


@dataclass(slots=True)  # one per covered event: no frozen-dataclass cost on the walk
class Event:
    """An audit event as the replay reads it: its own fields and its parsed payload."""

    seq: int
    actor_id: int | None
    role: str
    object_type: str
    object_id: str
    action: str
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class Derive:
    """How a value is read from an event (`read(event, item)`, MISSING when absent), and how the
    documentation names it. `item` is the element of a payload list when the source has `each`."""

    read: Callable[[Event, Mapping[str, Any]], Any]
    text: str


def _path(data: Mapping[str, Any], dotted: str) -> Any:
    return _walk(data, tuple(dotted.split(".")))


def _walk(data: Any, parts: tuple[str, ...]) -> Any:
    """The value under `parts` of a parsed payload (dicts), MISSING where a part is absent."""
    value = data
    for part in parts:
        if type(value) is not dict:  # parsed JSON: plain dicts (faster than an ABC check)
            return MISSING
        value = value.get(part, MISSING)
        if value is MISSING:
            return MISSING
    return value


def payload(dotted: str, *, non_empty: bool = False) -> Derive:
    """The payload's value at `dotted` ("data.oggetto"); `non_empty`: an empty one sets nothing."""
    parts = tuple(dotted.split("."))

    def read(event: Event, element: Mapping[str, Any]) -> Any:
        value = _walk(event.payload, parts)
        return MISSING if non_empty and not value else value

    return Derive(read, f"payload `{dotted}`")


def item(name: str) -> Derive:
    """A key of each element of the payload list the source iterates (`each`)."""
    return Derive(lambda event, element: element.get(name, MISSING), f"elemento `{name}`")


def either(*choices: Derive) -> Derive:
    """The first choice that finds a value (a newer payload's key, then an older one's)."""

    def read(event: Event, element: Mapping[str, Any]) -> Any:
        for choice in choices:
            value = choice.read(event, element)
            if value is not MISSING:
                return value
        return MISSING

    return Derive(read, " o ".join(c.text for c in choices))


def default(choice: Derive, value: Any) -> Derive:
    """`choice`, or `value` when the payload does not have it (an optional step field)."""

    def read(event: Event, element: Mapping[str, Any]) -> Any:
        found = choice.read(event, element)
        return value if found is MISSING else found

    return Derive(read, f"{choice.text} (assente: {value!r})")


def constant(value: Any) -> Derive:
    return Derive(lambda event, element: value, f"sempre {value!r}")


def event_field(name: str) -> Derive:
    """A field of the event itself: actor_id, role, object_id…"""
    return Derive(lambda event, element: getattr(event, name), f"evento `{name}`")


ACTION_SUFFIX = Derive(
    lambda event, element: event.action.partition(".")[2], "nome dell'azione dopo il punto"
)

_NUMBER = re.compile(r"^0*(\d+)/(\d{4})$")


def register_part(dotted: str, part: int) -> Derive:
    """Number (part 1) or year (part 2) of a register label in the payload ("0000012/2025")."""

    def read(event: Event, element: Mapping[str, Any]) -> Any:
        value = _path(event.payload, dotted)
        match = _NUMBER.match(value) if isinstance(value, str) else None
        return int(match.group(part)) if match else MISSING

    what = "numero" if part == 1 else "anno"
    return Derive(read, f"{what} di payload `{dotted}`")


def fascicolo_part(index: int) -> Derive:
    """A part of the payload's fascicolo "titolario/anno/numero" (years and numbers as int)."""

    def read(event: Event, element: Mapping[str, Any]) -> Any:
        value = event.payload.get("fascicolo")
        parts = value.split("/") if isinstance(value, str) else []
        if len(parts) != 3:
            return MISSING
        return parts[0] if index == 0 else int(parts[index])

    return Derive(read, f"parte {index + 1} di payload `fascicolo`")


INCREMENT = Derive(lambda event, element: INCREMENT, "+1 a ogni evento")


# --- How values are compared: both sides reduced to the same plain form --------------------
# "value": as stored (dates ISO, instants ISO UTC, bytes hex, JSON canonical); "int": as integer;
# "instant": an ISO-8601 text or datetime, as ISO UTC to the microsecond; "text": as text (a
# definition's version: the number 1 of the events written before versions were hashes, "1").
VALUE, INT, INSTANT, TEXT = "value", "int", "instant", "text"


@dataclass(frozen=True)
class Column:
    """A compared column: `name` in the table (or in Table.computed), its Italian label, kind."""

    name: str
    label: str
    kind: str = VALUE


@dataclass(frozen=True)
class FileCheck:
    """A column holding the SHA-256 of a stored file, and the store that holds the file."""

    column: str
    store: Callable[[], FileStore | _FirstStore]


@dataclass(frozen=True)
class Parent:
    """The row a child row belongs to (`fk` → `table`.id), whose `columns` the child's rows are
    read with, under their own names: a child keyed by its parent's natural key (a hand-over by
    its register's register and day, a correspondent by its registration's entry)."""

    fk: str
    table: str
    columns: tuple[str, ...]


class _FirstStore:
    """Files that may be in one of several stores (a protocol document: registered in the
    protocol's store, or a contribution's file in the contributions' store)."""

    def __init__(self, *stores: Callable[[], FileStore]) -> None:
        self._stores = stores

    def __call__(self) -> _FirstStore:
        return self

    def problem(self, digest: str) -> str:
        """ "" when a store holds the file intact; else what the store holding it found (an
        altered file), or that no store holds it."""
        problems = [store().problem(digest) for store in self._stores]
        if "" in problems:
            return ""
        return next((p for p in problems if p != NOT_STORED), problems[0])


@dataclass(frozen=True)
class Table:
    """A covered table: how its rows are keyed, which columns verify compares, which computed
    values stand for columns too long for a payload (a text, by its fingerprint), which files.

    `key`: the columns that identify a row ("id", or a natural key such as register, year,
    number); `ordinal_parent`: for older events that do not name the row's id, the n-th event of
    an object is the n-th row of that parent column, in id order. `parent`: columns read from the
    parent row; `position_within`: a column "position" numbers the rows sharing this (parent)
    column from 1, in id order, as the n-th element of an event's list. `presence`: rows with no
    event creating them, and events whose row is gone, are reported."""

    name: str
    label: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ("id",)
    computed: Mapping[str, Callable[[Mapping[str, Any]], Any]] = field(default_factory=dict)
    reads: tuple[str, ...] = ()  # further columns `computed` needs
    files: tuple[FileCheck, ...] = ()
    ordinal_parent: str | None = None
    parent: Parent | None = None
    position_within: str | None = None
    presence: bool = True

    def column(self, name: str) -> Column:
        return _COLUMNS_BY_NAME[self.name][name]


@dataclass(frozen=True)
class Source:
    """Events that write rows of `table`: `actions` (exact names, or "prefix.*"), only those whose
    payload has every key of `requires` and none of `absent`. `key` derives the row's key
    columns (ORDINAL: the ordinal fallback of the table); `each` iterates a payload list, one row
    per element; `creates`: the event brings the row into being (else it only changes it), or
    with `optional` may have (an older event, from before the row was written for it);
    `sets`: column → derivation. A mapping under `each` gives one element {"key", "value"} per
    entry (the planned dates, by milestone code)."""

    table: str
    actions: tuple[str, ...]
    key: Mapping[str, Derive]
    sets: Mapping[str, Derive]
    creates: bool = False
    optional: bool = False  # with creates: explains the row if there, does not require it
    requires: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    each: str | None = None

    def names(self, action: str) -> bool:
        """Whether `action` is one of this source's actions (exact, or under a "prefix.*")."""
        return action in self.actions or any(
            a.endswith(".*") and action.startswith(a[:-1]) for a in self.actions
        )

    def applies(self, event: Event) -> bool:
        """Whether the event's payload has what the source needs (`requires`, not `absent`)."""
        return all(k in event.payload for k in self.requires) and not any(
            k in event.payload for k in self.absent
        )

    def elements(self, event: Event) -> Iterable[Mapping[str, Any]]:
        """The elements a row is derived from: the event alone, or each of the `each` list."""
        if self.each is None:
            return _WHOLE_EVENT
        listed = _path(event.payload, self.each)
        if type(listed) is dict:  # a mapping: one element {"key", "value"} per entry
            return [{"key": k, "value": v} for k, v in listed.items()]
        if type(listed) is list:  # each with its place in the list, from 1 (see `position`)
            return [{**e, POSITION_KEY: n} for n, e in enumerate(listed, 1) if type(e) is dict]
        return ()


POSITION_KEY = "\x00position"  # never a payload key: JSON from the application has none
POSITION = Derive(
    lambda event, element: element.get(POSITION_KEY, MISSING), "posizione nell'elenco"
)


_WHOLE_EVENT: tuple[Mapping[str, Any], ...] = ({},)
ORDINAL = Derive(lambda event, element: MISSING, "posizione tra gli eventi dell'oggetto")


def _contributions_store() -> FileStore:
    return FileStore(Path(current_app.config["CONTRIBUTIONS_DIR"]))


def _fascicolo(row: Mapping[str, Any]) -> str:
    return f"{row['titolario']}/{row['fascicolo_anno']}/{row['fascicolo_numero']}"


def _text_fingerprint(row: Mapping[str, Any]) -> str:
    """The act's proposal fingerprint recomputed from its oggetto, testo and fascicolo: a testo
    edited in place no longer matches the fingerprint the events recorded."""
    return proposal_sha256(row["oggetto"], row["testo"], _fascicolo(row))


def _classification(row: Mapping[str, Any]) -> str:
    """A registration's Titolario/Anno/Fascicolo as its payload states it ("" unclassified)."""
    return "" if row["titolario"] is None else _fascicolo(row)


def _protocol_documents_store() -> FileStore:
    return documents.store()


def _daily_store(index: int) -> Callable[[], FileStore]:
    return lambda: daily.stores()[index]


def first_entry(name: str) -> Derive:
    """A key of the first register entry the event lists (a contribution's protocol entry)."""

    def read(event: Event, element: Mapping[str, Any]) -> Any:
        listed = event.payload.get(PAYLOAD_KEY)
        if type(listed) is not list or not listed or type(listed[0]) is not dict:
            return MISSING
        return listed[0].get(name, MISSING)

    return Derive(read, f"`{name}` della prima voce di payload `{PAYLOAD_KEY}`")


def _rome_day(event: Event, element: Mapping[str, Any]) -> Any:
    value = event.payload.get("received_at")
    try:
        return datetime.fromisoformat(value).astimezone(ROME).date().isoformat()
    except (TypeError, ValueError):
        return MISSING


ROME_DAY_RECEIVED = Derive(_rome_day, "giorno (Europe/Rome) di payload `received_at`")

ACT_MACHINE = ("act.*",)  # an act's machine events: their payload has "from" and "to"
STEP_MACHINE = ("procedure.*",)

TABLES: tuple[Table, ...] = (
    Table(
        "acts",
        "atti",
        (
            Column("act_type", "tipo di atto"),
            Column("definition_version", "versione della definizione", TEXT),
            Column("procedure_id", "procedimento", INT),
            Column("oggetto", "oggetto"),
            Column("fascicolo", "fascicolo"),
            Column("proponente", "proponente"),
            Column("materia", "materia"),
            Column("struttura", "struttura"),
            Column("testo_sha256", "testo (impronta SHA-256 ricalcolata)"),
            Column("proposal_sha256", "impronta della proposta"),
            Column("proposal_revision", "revisione della proposta", INT),
            Column("state", "stato"),
            Column("version", "versione", INT),
            Column("publication_days", "giorni di pubblicazione", INT),
            Column("repertorio_year", "anno del Repertorio", INT),
            Column("repertorio_number", "numero del Repertorio", INT),
            Column("repertorio_date", "data del Repertorio"),
            Column("approval_date", "data di adozione"),
            Column("protocollo_year", "anno di protocollo", INT),
            Column("protocollo_number", "numero di protocollo", INT),
            Column("immediately_executable", "immediata eseguibilità"),
            Column("executability_vote", "voto di immediata eseguibilità"),
            Column("albo_year", "anno dell'Albo", INT),
            Column("albo_number", "numero dell'Albo", INT),
            Column("published_from", "pubblicato dal"),
            Column("published_to", "pubblicato fino al"),
            Column("created_by_id", "proposto da (utente)", INT),
        ),
        computed={"fascicolo": _fascicolo, "testo_sha256": _text_fingerprint},
        reads=("titolario", "fascicolo_anno", "fascicolo_numero", "testo"),
    ),
    Table(
        "act_events",
        "eventi degli atti (pareri, firme, numerazione, pubblicazione…)",
        (
            Column("act_id", "atto", INT),
            Column("event", "evento"),
            Column("from_state", "stato di partenza"),
            Column("to_state", "stato di arrivo"),
            Column("data", "dati (esito del parere, firmatario, numeri…)"),
            Column("proposal_sha256", "impronta della proposta"),
            Column("recorded_by_id", "registrato da (utente)", INT),
            Column("recorded_role", "ruolo"),
        ),
        ordinal_parent="act_id",
    ),
    Table(
        "act_documents",
        "documenti degli atti",
        (
            Column("act_id", "atto", INT),
            Column("kind", "tipo"),
            Column("original_name", "nome del file"),
            Column("sha256", "impronta SHA-256"),
            Column("size", "dimensione (byte)", INT),
            Column("signature_status", "esito delle firme"),
            Column("uploaded_by_id", "caricato da (utente)", INT),
        ),
        files=(FileCheck("sha256", documents.store),),
    ),
    Table(
        "register_entries",
        "registrazioni (Protocollo, Repertorio Generale, Albo)",
        (
            Column("registered_at", "data e ora di registrazione", INSTANT),
            Column("object_type", "tipo di oggetto"),
            Column("object_id", "oggetto registrato"),
            Column("subject", "oggetto"),
            Column("fingerprint", "impronta"),
        ),
        key=("register", "year", "number"),
    ),
    Table(
        "procedures",
        "procedimenti",
        (
            Column("kind", "tipo"),
            Column("definition_version", "versione della definizione", TEXT),
            Column("title", "titolo"),
            Column("period", "triennio"),
            Column("fascicolo", "fascicolo"),
            Column("state", "stato"),
            Column("version", "versione", INT),
            Column("created_by_id", "aperto da (utente)", INT),
        ),
        computed={"period": lambda row: f"{row['period_start']}-{row['period_end']}"},
        reads=("period_start", "period_end"),
    ),
    Table(
        "procedure_steps",
        "passaggi dei procedimenti",
        (
            Column("procedure_id", "procedimento", INT),
            Column("event", "evento"),
            Column("milestone_code", "tappa"),
            Column("from_state", "stato di partenza"),
            Column("to_state", "stato di arrivo"),
            Column("occurred_on", "data"),
            Column("act_kind", "tipo di atto"),
            Column("act_number", "numero dell'atto"),
            Column("act_date", "data dell'atto"),
            Column("data", "dati del passaggio"),
            Column("recorded_by_id", "registrato da (utente)", INT),
            Column("recorded_role", "ruolo"),
        ),
        ordinal_parent="procedure_id",
    ),
    Table(
        "procedure_rettifiche",
        "rettifiche dei passaggi",
        (
            Column("step_id", "passaggio", INT),
            Column("procedure_id", "procedimento", INT),
            Column("data", "dati rettificati"),
            Column("motivo", "motivo della rettifica"),
            Column("recorded_by_id", "rettificato da (utente)", INT),
            Column("recorded_role", "ruolo"),
        ),
    ),
    Table(
        "milestones",
        "tappe previste",
        (Column("planned_date", "data prevista"),),
        key=("procedure_id", "code"),
        presence=False,  # created with the procedure from its definition, not by an event each
    ),
    Table(
        "consultations",
        "consultazioni",
        (
            Column("procedure_id", "procedimento", INT),
            Column("deadline", "termine"),
            Column("opened_by_id", "aperta da (utente)", INT),
            Column("outcome", "esito"),
            Column("summary", "riepilogo"),
            Column("summary_sha256", "impronta del riepilogo"),
            Column("closed_by_id", "chiusa da (utente)", INT),
        ),
    ),
    Table(
        "contributions",
        "contributi della consultazione",
        (
            Column("consultation_id", "consultazione", INT),
            Column("body_id", "ente", INT),
            Column("received_at", "ricevuto il", INSTANT),
            Column("channel", "canale"),
            Column("late", "tardivo"),
            Column("protocol", "protocollo"),
            Column("themes", "temi"),
            Column("file_name", "nome del file"),
            Column("file_sha256", "impronta SHA-256 del file"),
            Column("file_size", "dimensione del file (byte)", INT),
            Column("recorded_by_id", "registrato da (utente)", INT),
        ),
        computed={"protocol": lambda row: f"{row['protocol_number']:07d}/{row['protocol_year']}"},
        reads=("protocol_number", "protocol_year"),
        files=(FileCheck("file_sha256", _contributions_store),),
    ),
    Table(
        "protocol_registrations",
        "registrazioni di protocollo (per voce del registro)",
        (
            Column("direction", "direzione"),
            Column("oggetto", "oggetto"),
            Column("document_date", "data del documento"),
            Column("sender_protocol", "protocollo del mittente"),
            Column("sender_protocol_date", "data del protocollo del mittente"),
            Column("fascicolo", "classificazione (titolario/anno/fascicolo)"),
            Column("registered_by_id", "registrato da (utente)", INT),
            Column("registered_role", "ruolo"),
        ),
        key=("entry_id",),
        computed={"fascicolo": _classification},
        reads=("titolario", "fascicolo_anno", "fascicolo_numero"),
    ),
    Table(
        "protocol_correspondents",
        "corrispondenti delle registrazioni (per voce e posizione)",
        (
            Column("role", "ruolo (mittente o destinatario)"),
            Column("name", "denominazione"),
            Column("address", "indirizzo PEC o e-mail"),
            Column("codice_fiscale", "codice fiscale"),
        ),
        key=("entry_id", "position"),
        parent=Parent("registration_id", "protocol_registrations", ("entry_id",)),
        position_within="entry_id",
    ),
    Table(
        "protocol_documents",
        "documenti delle registrazioni (per voce e posizione)",
        (
            Column("kind", "tipo"),
            Column("file_name", "nome del file"),
            Column("sha256", "impronta SHA-256"),
            Column("size", "dimensione (byte)", INT),
        ),
        key=("entry_id", "position"),
        parent=Parent("registration_id", "protocol_registrations", ("entry_id",)),
        position_within="entry_id",
        files=(FileCheck("sha256", _FirstStore(_protocol_documents_store, _contributions_store)),),
    ),
    Table(
        "protocol_annulments",
        "annullamenti di protocollo (per voce del registro)",
        (
            Column("reason", "motivo"),
            Column("authorising_act", "provvedimento di autorizzazione"),
            Column("annulled_at", "annullato il", INSTANT),
            Column("annulled_by_id", "annullato da (utente)", INT),
            Column("annulled_role", "ruolo"),
        ),
        key=("entry_id",),
    ),
    Table(
        "daily_registers",
        "registri giornalieri",
        (
            Column("produced_at", "prodotto il", INSTANT),
            Column("entries", "numero di registrazioni", INT),
            Column("year", "anno", INT),
            Column("first_number", "primo numero", INT),
            Column("last_number", "ultimo numero", INT),
            Column("csv_sha256", "impronta SHA-256 del CSV"),
            Column("pdf_sha256", "impronta SHA-256 del PDF"),
            Column("pdf_a", "PDF/A"),
            Column("produced_by", "prodotto da"),
        ),
        key=("register", "day"),
        files=(FileCheck("csv_sha256", _daily_store(0)), FileCheck("pdf_sha256", _daily_store(1))),
    ),
    Table(
        "daily_register_handovers",
        "consegne dei registri giornalieri in conservazione",
        (
            Column("handed_over_at", "consegnato il", INSTANT),
            Column("target", "cartella di conservazione"),
            Column("manifest_sha256", "impronta SHA-256 del manifest"),
            Column("csv_sha256", "impronta SHA-256 del CSV consegnato"),
            Column("pdf_sha256", "impronta SHA-256 del PDF consegnato"),
            Column("handed_over_by", "consegnato da"),
        ),
        key=("register", "day"),
        parent=Parent("daily_register_id", "daily_registers", ("register", "day")),
    ),
)

_OBJECT_ID = {"id": event_field("object_id")}
_ACTOR = event_field("actor_id")

SOURCES: tuple[Source, ...] = (
    # --- acts ---
    Source(
        "acts",
        ("act.proposed",),
        _OBJECT_ID,
        {
            "act_type": payload("act_type"),
            "definition_version": payload("definition_version"),
            "state": payload("state"),
            "procedure_id": payload("procedure_id"),
            "oggetto": payload("oggetto"),
            "fascicolo": payload("fascicolo"),
            "proponente": payload("proponente"),
            "materia": payload("materia"),
            "struttura": payload("struttura"),
            "proposal_sha256": payload("proposal_sha256"),
            "testo_sha256": payload("proposal_sha256"),
            "proposal_revision": constant(1),
            "version": constant(1),
            "publication_days": payload("publication_days"),
            "created_by_id": _ACTOR,
        },
        creates=True,
    ),
    Source(
        "acts",
        ACT_MACHINE,
        _OBJECT_ID,
        {
            "state": payload("to"),
            "version": payload("version"),
            "proposal_sha256": payload("proposal_sha256"),
            "testo_sha256": payload("proposal_sha256"),
        },
        requires=("to",),
    ),
    Source(
        "acts",
        ("act.rivedi",),
        _OBJECT_ID,
        {"oggetto": payload("data.oggetto", non_empty=True), "proposal_revision": INCREMENT},
    ),
    Source(
        "acts",
        ("act.numera",),
        _OBJECT_ID,
        {
            "repertorio_number": register_part("data.repertorio", 1),
            "repertorio_year": register_part("data.repertorio", 2),
            "protocollo_number": register_part("data.protocollo", 1),
            "protocollo_year": register_part("data.protocollo", 2),
            "repertorio_date": payload("data.data"),
            "approval_date": payload("data.data"),
            "immediately_executable": default(payload("data.immediatamente_eseguibile"), False),
            "executability_vote": default(payload("data.votazione"), ""),
        },
    ),
    Source(
        "acts",
        ("act.pubblica",),
        _OBJECT_ID,
        {
            "albo_number": register_part("data.albo", 1),
            "albo_year": register_part("data.albo", 2),
            "published_from": payload("data.dal"),
            "published_to": payload("data.al"),
        },
    ),
    Source(
        "acts",
        (
            "act.document_attached",
            "act.document_role_changed",
            "act.document_withdrawn",
            "act.referto_attached",
        ),
        _OBJECT_ID,
        {"version": payload("version")},
    ),
    # --- act events: one row per machine event of an act ---
    Source(
        "act_events",
        ACT_MACHINE,
        {"id": either(payload("event_id"), ORDINAL)},
        {
            "act_id": event_field("object_id"),
            "event": ACTION_SUFFIX,
            "from_state": payload("from"),
            "to_state": payload("to"),
            "data": payload("data"),
            "proposal_sha256": payload("proposal_sha256"),
            "recorded_by_id": _ACTOR,
            "recorded_role": event_field("role"),
        },
        creates=True,
        requires=("to",),
    ),
    # --- documents ---
    Source(
        "act_documents",
        ("act.document_attached", "act.referto_attached"),
        {"id": payload("document_id")},
        {
            "act_id": event_field("object_id"),
            "kind": payload("kind"),
            "original_name": payload("name"),
            "sha256": payload("sha256"),
            "size": payload("size"),
            "signature_status": payload("signature_status"),
            "uploaded_by_id": _ACTOR,
        },
        creates=True,
    ),
    # The Ufficio Albo's role of a document, changed before publication (issue 17 §1).
    Source(
        "act_documents",
        ("act.document_role_changed",),
        {"id": payload("document_id")},
        {"kind": payload("after.kind")},
    ),
    # --- register entries: each numbering event lists the entries it wrote ---
    Source(
        "register_entries",
        ("act.numera", "act.pubblica", "contribution.registered", "protocol.registered"),
        {"register": item("register"), "year": item("year"), "number": item("number")},
        {
            "registered_at": item("registered_at"),
            "object_type": item("object_type"),
            "object_id": item("object_id"),
            "subject": item("subject"),
            "fingerprint": item("fingerprint"),
        },
        creates=True,
        each=PAYLOAD_KEY,
    ),
    # Older events, before they listed their entries: the numbers they cite, nothing more.
    Source(
        "register_entries",
        ("act.numera",),
        {
            "register": constant(REPERTORIO),
            "year": register_part("data.repertorio", 2),
            "number": register_part("data.repertorio", 1),
        },
        {"object_type": constant("act"), "object_id": event_field("object_id")},
        creates=True,
        absent=(PAYLOAD_KEY,),
    ),
    Source(
        "register_entries",
        ("act.numera",),
        {
            "register": constant(PROTOCOLLO),
            "year": register_part("data.protocollo", 2),
            "number": register_part("data.protocollo", 1),
        },
        {"object_type": constant("act"), "object_id": event_field("object_id")},
        creates=True,
        absent=(PAYLOAD_KEY,),
    ),
    Source(
        "register_entries",
        ("act.pubblica",),
        {
            "register": constant(ALBO),
            "year": register_part("data.albo", 2),
            "number": register_part("data.albo", 1),
        },
        {"object_type": constant("act"), "object_id": event_field("object_id")},
        creates=True,
        absent=(PAYLOAD_KEY,),
    ),
    Source(
        "register_entries",
        ("contribution.registered",),
        {
            "register": constant(PROTOCOLLO),
            "year": register_part("protocol", 2),
            "number": register_part("protocol", 1),
        },
        {"object_type": constant("contribution")},
        creates=True,
        absent=(PAYLOAD_KEY,),
    ),
    Source(
        "register_entries",
        ("protocol.registered",),
        {
            "register": constant(PROTOCOLLO),
            "year": register_part("protocollo", 2),
            "number": register_part("protocollo", 1),
        },
        {
            "registered_at": payload("registered_at"),
            "object_type": constant("protocollo"),
            "subject": payload("oggetto"),
        },
        creates=True,
        absent=(PAYLOAD_KEY,),
    ),
    # --- procedures and their steps ---
    Source(
        "procedures",
        ("procedure.opened",),
        _OBJECT_ID,
        {
            "kind": payload("kind"),
            "definition_version": payload("definition_version"),
            "title": payload("title"),
            "period": payload("period"),
            "fascicolo": payload("fascicolo"),
            "state": payload("state"),
            "version": constant(1),
            "created_by_id": _ACTOR,
        },
        creates=True,
    ),
    Source(
        "procedures",
        STEP_MACHINE,
        _OBJECT_ID,
        {"state": payload("to"), "version": payload("version")},
        requires=("to",),
    ),
    Source(
        "procedures",
        ("procedure.planned", "procedure.rettifica"),
        _OBJECT_ID,
        {"version": payload("version")},
    ),
    # A rettifica is its own row (the step stays as first recorded): issue 18 §1.
    Source(
        "procedure_rettifiche",
        ("procedure.rettifica",),
        {"id": payload("rettifica_id")},
        {
            "step_id": payload("step_id"),
            "procedure_id": event_field("object_id"),
            "data": payload("after"),
            "motivo": payload("motivo"),
            "recorded_by_id": _ACTOR,
            "recorded_role": event_field("role"),
        },
        creates=True,
        requires=("rettifica_id",),
    ),
    Source(
        "procedure_steps",
        STEP_MACHINE,
        {"id": either(payload("step_id"), ORDINAL)},
        {
            "procedure_id": event_field("object_id"),
            "event": ACTION_SUFFIX,
            "milestone_code": payload("milestone"),
            "from_state": payload("from"),
            "to_state": payload("to"),
            "occurred_on": either(payload("occurred_on"), payload("data.data")),
            "act_kind": payload("act_kind"),
            "act_number": either(payload("act_number"), default(payload("data.numero"), None)),
            "act_date": payload("act_date"),
            "data": payload("data"),
            "recorded_by_id": _ACTOR,
            "recorded_role": event_field("role"),
        },
        creates=True,
        requires=("to",),
        absent=("from_version",),  # a migration moves the state, it records no step
    ),
    # A migration to another version of the definition (flask procedures migrate): issue 19.
    Source(
        "procedures",
        ("procedure.migrata",),
        _OBJECT_ID,
        {"definition_version": payload("definition_version")},
    ),
    Source(
        "milestones",
        ("procedure.planned", "procedure.opened"),
        {"procedure_id": event_field("object_id"), "code": item("key")},
        {"planned_date": item("value")},
        each="planned",
    ),
    # --- consultations and contributions ---
    Source(
        "consultations",
        ("consultation.opened",),
        _OBJECT_ID,
        {
            "procedure_id": payload("procedure_id"),
            "deadline": payload("deadline"),
            "opened_by_id": _ACTOR,
            "outcome": constant(""),
        },
        creates=True,
    ),
    Source(
        "consultations",
        ("consultation.closed",),
        _OBJECT_ID,
        {
            "outcome": payload("outcome"),
            "summary": payload("summary"),
            "summary_sha256": payload("summary_sha256"),
            "closed_by_id": _ACTOR,
        },
    ),
    Source(
        "contributions",
        ("contribution.registered",),
        _OBJECT_ID,
        {
            "consultation_id": payload("consultation_id"),
            "body_id": payload("body_id"),
            "received_at": payload("received_at"),
            "channel": payload("channel"),
            "late": payload("late"),
            "protocol": payload("protocol"),
            "themes": payload("themes"),
            "file_name": payload("file"),
            "file_sha256": payload("sha256"),
            "file_size": payload("size"),
            "recorded_by_id": _ACTOR,
        },
        creates=True,
    ),
    # --- protocol register: protocol.registered states the registration at its payload's top,
    # contribution.registered (since it carries it) under "registration" ---
    *(
        source
        for action, entry_id, prefix in (
            ("protocol.registered", event_field("object_id"), ""),
            ("contribution.registered", payload("registration.entry_id"), "registration."),
        )
        for source in (
            Source(
                "protocol_registrations",
                (action,),
                {"entry_id": entry_id},
                {
                    "direction": payload(f"{prefix}direction"),
                    "oggetto": payload(f"{prefix}oggetto"),
                    "document_date": payload(f"{prefix}document_date"),
                    "sender_protocol": payload(f"{prefix}sender_protocol"),
                    "sender_protocol_date": payload(f"{prefix}sender_protocol_date"),
                    "fascicolo": payload(f"{prefix}fascicolo"),
                    "registered_by_id": _ACTOR,
                    "registered_role": event_field("role"),
                },
                creates=True,
            ),
            Source(
                "protocol_correspondents",
                (action,),
                {"entry_id": entry_id, "position": POSITION},
                {
                    "role": item("role"),
                    "name": item("name"),
                    "address": item("address"),
                    "codice_fiscale": item("cf"),
                },
                creates=True,
                each=f"{prefix}correspondents",
            ),
            Source(
                "protocol_documents",
                (action,),
                {"entry_id": entry_id, "position": POSITION},
                {
                    "kind": item("kind"),
                    "file_name": item("name"),
                    "sha256": item("sha256"),
                    "size": item("size"),
                },
                creates=True,
                each=f"{prefix}documents",
            ),
        )
    ),
    # A contribution's event written before it carried "registration": what it states of the
    # registration (entry, oggetto as the entry's subject, sender, file), nothing more; optional,
    # as contributions registered before the protocol register have no registration row.
    Source(
        "protocol_registrations",
        ("contribution.registered",),
        {"entry_id": first_entry("id")},
        {
            "direction": constant("entrata"),
            "oggetto": first_entry("subject"),
            "document_date": ROME_DAY_RECEIVED,
            "registered_by_id": _ACTOR,
            "registered_role": event_field("role"),
        },
        creates=True,
        optional=True,
        absent=("registration",),
    ),
    Source(
        "protocol_correspondents",
        ("contribution.registered",),
        {"entry_id": first_entry("id"), "position": constant(1)},
        {"role": constant("mittente"), "name": payload("body")},
        creates=True,
        optional=True,
        absent=("registration",),
    ),
    Source(
        "protocol_documents",
        ("contribution.registered",),
        {"entry_id": first_entry("id"), "position": constant(1)},
        {
            "kind": constant("principale"),
            "file_name": payload("file"),
            "sha256": payload("sha256"),
            "size": payload("size"),
        },
        creates=True,
        optional=True,
        absent=("registration",),
    ),
    Source(
        "protocol_annulments",
        ("protocol.annulled",),
        {"entry_id": event_field("object_id")},
        {
            "reason": payload("reason"),
            "authorising_act": payload("authorising_act"),
            "annulled_at": payload("annulled_at"),
            "annulled_by_id": _ACTOR,
            "annulled_role": event_field("role"),
        },
        creates=True,
    ),
    # --- registro giornaliero and its hand-over to preservation ---
    Source(
        "daily_registers",
        ("register.daily_produced",),
        {"register": payload("register"), "day": payload("day")},
        {
            "produced_at": payload("produced_at"),
            "entries": payload("entries"),
            "year": payload("year"),
            "first_number": payload("first_number"),
            "last_number": payload("last_number"),
            "csv_sha256": payload("csv_sha256"),
            "pdf_sha256": payload("pdf_sha256"),
            "pdf_a": payload("pdf_a"),
            "produced_by": payload("by"),
        },
        creates=True,
    ),
    Source(
        "daily_register_handovers",
        ("register.daily_handed_over",),
        {"register": payload("register"), "day": payload("day")},
        {
            "handed_over_at": payload("handed_over_at"),
            "target": payload("target"),
            "manifest_sha256": payload("manifest_sha256"),
            "csv_sha256": payload("csv_sha256"),
            "pdf_sha256": payload("pdf_sha256"),
            "handed_over_by": payload("by"),
        },
        creates=True,
    ),
)

REGISTRY: dict[str, tuple[Table, tuple[Source, ...]]] = {
    table.name: (table, tuple(s for s in SOURCES if s.table == table.name)) for table in TABLES
}

_COLUMNS_BY_NAME = {table.name: {c.name: c for c in table.columns} for table in TABLES}
