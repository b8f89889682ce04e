"""Replaying the audit trail against the live tables: what the events say each row holds, compared
with what the row holds now (and each stored file re-hashed), every difference named as
(table, row, field, expected, found).

The chain proves the events intact; this proves the tables the pages, the Albo and the exports
read agree with them: an oggetto, an opinion's outcome, a register entry's subject, a step's date
edited in the database with the triggers lifted, a row inserted or deleted there, a file replaced
on disk. What is covered is declared in workflow/audit/coverage.py (`flask audit verify --campi`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from workflow.audit.chain import canonical_json, iso_utc
from workflow.audit.coverage import (
    INCREMENT,
    INSTANT,
    INT,
    MISSING,
    REGISTRY,
    TEXT,
    VALUE,
    Event,
    Source,
    Table,
)
from workflow.audit.verify import event_rows
from workflow.extensions import db

Key = tuple[Any, ...]
ABSENT = "riga assente"
NO_EVENT = "nessun evento la registra"


@dataclass(frozen=True)
class Difference:
    """One disagreement: `table` (SQL name), `row` (its key as text), `field` (column, "riga" for
    a row missing or unexplained, "file" for a stored file), `expected` (what the events say),
    `found` (what the table or the disk holds), and the Italian labels of table and field."""

    table: str
    row: str
    field: str
    expected: str
    found: str
    table_label: str
    field_label: str

    @property
    def message(self) -> str:
        return (
            f"{self.table_label} [{self.table} {self.row}], {self.field_label} [{self.field}]: "
            f"atteso {self.expected}, trovato {self.found}"
        )


@dataclass
class _Expected:
    """A row as the events describe it: the columns set so far, the event that created it."""

    values: dict[str, Any] = field(default_factory=dict)
    created_by: int | None = None  # seq
    explained_by: int | None = None  # seq of an optional creator (Source.optional)


class Replay:
    """Fold events (chain rows, in seq order) into expected rows; `finish()` compares them with
    the tables. Feed it the rows verify_chain walks (`feed`), so the chain is read once."""

    def __init__(self) -> None:
        self._sources = [source for _table, sources in REGISTRY.values() for source in sources]
        self._by_action: dict[str, list[tuple[int, Source]]] = {}  # filled as actions are met
        self._tables = {name: table for name, (table, _sources) in REGISTRY.items()}
        self.expected: dict[str, dict[Key, _Expected]] = {name: {} for name in REGISTRY}
        self._ordinals: dict[tuple[int, str, str], int] = {}
        self.events = 0

    def feed(self, row: tuple) -> None:
        """One chain row (verify.event_rows' columns): applied if a source covers its action."""
        seq, _at, actor_id, _name, role, otype, oid, action, payload_text, _prev, _hash = row
        sources = self._by_action.get(action)
        if sources is None:
            sources = [(i, s) for i, s in enumerate(self._sources) if s.names(action)]
            self._by_action[action] = sources
        if not sources:
            return
        try:
            parsed = json.loads(payload_text)
        except ValueError:
            return  # a payload that is not JSON is the chain's problem, named there
        if not isinstance(parsed, dict):
            return
        event = Event(seq, actor_id, role, otype, oid, action, parsed)
        self.events += 1
        for index, source in sources:
            if source.applies(event):
                self._apply(event, index, source)

    def _apply(self, event: Event, index: int, source: Source) -> None:
        table = self._tables[source.table]
        rows = self.expected[source.table]
        ordinal = 0
        if table.ordinal_parent:
            position = (index, event.object_type, event.object_id)
            ordinal = self._ordinals[position] = self._ordinals.get(position, 0) + 1
        for element in source.elements(event):
            key = tuple(source.key[name].read(event, element) for name in table.key)
            if MISSING in key:
                if not ordinal:
                    continue
                key = ("#", _as_int(event.object_id), ordinal)
            else:
                key = tuple(map(_key_part, key))
            expected = rows.get(key)
            if expected is None:  # changed, not created: compared, not required
                expected = rows[key] = _Expected()
            if source.creates and source.optional:
                expected.explained_by = event.seq
            elif source.creates and expected.created_by is None:
                expected.created_by = event.seq
            values = expected.values
            for name, derive in source.sets.items():
                value = derive.read(event, element)
                if value is MISSING:
                    continue
                values[name] = (values.get(name) or 0) + 1 if value is INCREMENT else value

    def finish(self, progress: Callable[[int], None] | None = None) -> list[Difference]:
        """Compare every expected row with its table, and re-hash the files the tables name."""
        differences: list[Difference] = []
        for name, (table, _sources) in REGISTRY.items():
            differences += _compare(table, self.expected[name], progress)
        return differences


def _as_int(value: Any) -> Any:
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def _key_part(value: Any) -> Any:
    """Key values as the table gives them back: ids and years as int, the rest as text."""
    if type(value) is str and value.isdigit():
        return int(value)
    return value


def plain(value: Any, kind: str) -> Any:
    """A value reduced to the form both sides are compared in (see coverage's kinds)."""
    if value is None or value is MISSING:
        return value
    if kind == INT:
        return _as_int(value)
    if kind == TEXT:
        return str(value)
    if kind == INSTANT:
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return value
        return iso_utc(value) if isinstance(value, datetime) else value
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return canonical_json(value)
    return value


def shown(value: Any) -> str:
    """A value as the report writes it: «text», numbers bare, "vuoto" for none; long ones cut."""
    if value is None:
        return "vuoto"
    if isinstance(value, bool):
        return "sì" if value else "no"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return f"«{text[:117]}…»" if len(text) > 120 else f"«{text}»"


def _rows(table: Table) -> Iterator[dict[str, Any]]:
    """The table's live rows: key, compared, file and helper columns, with computed ones."""
    sql = db.metadata.tables[table.name]
    wanted = [*table.key, *(c.name for c in table.columns), *table.reads]
    wanted += [f.column for f in table.files]
    if table.ordinal_parent:
        wanted.append(table.ordinal_parent)
    names = [n for n in dict.fromkeys(wanted) if n in sql.c]
    columns = [sql.c[n] for n in names]
    order = [sql.c[k] for k in table.key if k in sql.c]
    query = select(*columns)
    if table.parent:  # the parent row's columns, under their own names (part of the key)
        parent = db.metadata.tables[table.parent.table]
        query = select(*columns, *(parent.c[n] for n in table.parent.columns)).join(
            parent, parent.c.id == sql.c[table.parent.fk]
        )
        order = [*order, *(parent.c[n] for n in table.parent.columns), sql.c.id]
    position: dict[Any, int] = defaultdict(int)
    for row in db.session.execute(query.order_by(*order)):
        values = dict(row._mapping)
        if table.position_within:  # the row's place among its parent's rows, from 1
            position[values[table.position_within]] += 1
            values["position"] = position[values[table.position_within]]
        for computed, compute in table.computed.items():
            values[computed] = compute(values)
        yield values


def _row_label(key: Key) -> str:
    return "/".join(str(part) for part in key)


def _compare(
    table: Table,
    expected: dict[Key, _Expected],
    progress: Callable[[int], None] | None,
) -> list[Difference]:
    differences: list[Difference] = []

    def differ(key: Key, column: str, label: str, want: str, found: str) -> None:
        differences.append(
            Difference(table.name, _row_label(key), column, want, found, table.label, label)
        )

    live: dict[Key, dict[str, Any]] = {}
    by_position: dict[tuple[Any, int], Key] = {}
    counts: dict[Any, int] = defaultdict(int)
    for values in _rows(table):
        key = tuple(_key_part(plain(values[k], VALUE)) for k in table.key)  # a day as ISO text
        live[key] = values
        if table.ordinal_parent:
            parent = values[table.ordinal_parent]
            counts[parent] += 1
            by_position[(parent, counts[parent])] = key
    resolved: dict[Key, _Expected] = {}
    for key, row in expected.items():
        if key and key[0] == "#":
            key = by_position.get((key[1], key[2]), ("#", key[1], key[2]))
        resolved[key] = row
    for key, want in resolved.items():
        found = live.get(key)
        if found is None:
            if want.created_by is not None and table.presence:
                shown_key = key if key[0] != "#" else (f"{key[1]}, n. {key[2]}",)
                differ(
                    shown_key, "riga", "riga", f"registrata dall'evento {want.created_by}", ABSENT
                )
            continue
        for name, value in want.values.items():
            column = table.column(name)
            expected_value, found_value = plain(value, column.kind), plain(found[name], column.kind)
            if expected_value != found_value:
                differ(key, name, column.label, shown(expected_value), shown(found_value))
    if table.presence:
        for key in live:
            want = resolved.get(key)
            if want is None or (want.created_by is None and want.explained_by is None):
                differ(key, "riga", "riga", NO_EVENT, "presente")
    for check in table.files:
        store = check.store()
        for key, values in live.items():
            digest = plain(values[check.column], "value")
            if not digest:
                continue
            problem = store.problem(digest)
            if problem:
                differ(key, "file", "file archiviato", f"SHA-256 {digest[:16]}…", problem)
            if progress:
                progress(1)
    return differences


def verify_tables(events: Iterable[tuple] | None = None) -> list[Difference]:
    """Replay `events` (chain rows in seq order; all of them by default) against the tables."""
    replay = Replay()
    for row in events if events is not None else event_rows():
        replay.feed(row)
    return replay.finish()


def count_files() -> int:
    """How many stored files verify re-hashes (for a progress bar)."""
    total = 0
    for table, _sources in REGISTRY.values():
        if table.files:
            sql = db.metadata.tables[table.name]
            total += len(table.files) * (
                db.session.scalar(select(func.count()).select_from(sql)) or 0
            )
    return total


def fields_table() -> list[tuple[str, str, str, str]]:
    """The covered fields, one line each: (table, column, Italian label, derived from which
    events and how), straight from the registry."""
    lines = []
    for table, sources in REGISTRY.values():
        for column in table.columns:
            how = [
                f"{_events_of(s)}: {s.sets[column.name].text}"
                + (f" (ogni elemento di `{s.each}`)" if s.each else "")
                for s in sources
                if column.name in s.sets
            ]
            lines.append((table.name, column.name, column.label, "; ".join(dict.fromkeys(how))))
        for check in table.files:
            lines.append(
                (table.name, "file", "file archiviato", f"ricalcolo SHA-256 di `{check.column}`")
            )
        if table.presence:
            creators = "; ".join(
                dict.fromkeys(
                    _events_of(s) + (" (se la riga c'è)" if s.optional else "")
                    for s in sources
                    if s.creates
                )
            )
            lines.append((table.name, "riga", "presenza", f"una riga per evento {creators}"))
    return lines


def _events_of(source: Source) -> str:
    """ "act.* (con `to` nel payload)": the actions of a source and the payload keys it needs."""
    text = ", ".join(source.actions)
    conditions = [f"con `{k}`" for k in source.requires] + [f"senza `{k}`" for k in source.absent]
    return f"{text} ({', '.join(conditions)} nel payload)" if conditions else text


def fields_markdown() -> str:
    """fields_table() as a Markdown table (docs/readme/i18-verify.md is this text)."""
    lines = [
        "| Tabella | Campo | Descrizione | Da quali eventi, come |",
        "|---|---|---|---|",
    ]
    for table, column, label, how in fields_table():
        lines.append(f"| `{table}` | `{column}` | {label} | {how.replace('|', '/')} |")
    return "\n".join(lines)
