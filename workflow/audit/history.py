"""The audit trail read by people: Italian sentences per event, and exports (CSV, JSON Lines)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import select

from workflow.access.roles import ROLE_LABELS
from workflow.audit.chain import iso_utc
from workflow.audit.models import AuditEvent
from workflow.core import csvexport, inputs
from workflow.core.clock import format_date, format_instant
from workflow.definitions import DEFINITIONS
from workflow.engine.stepdata import parse_date
from workflow.extensions import db

Phrase = Callable[[dict[str, Any]], str]


def short_name(full_name: str) -> str:
    """ "Antonio Sebastiano Purcaro" → "A. S. Purcaro", as signatures are cited."""
    parts = full_name.split()
    if len(parts) < 2:
        return full_name
    return " ".join(f"{p[0]}." for p in parts[:-1]) + f" {parts[-1]}"


def who(event: AuditEvent) -> str:
    label = ROLE_LABELS.get(event.role, event.role.capitalize())
    return f"{label} ({short_name(event.actor_name)})"


def _step_phrase(event_name: str) -> Phrase | None:
    """Steps: "Registra il decreto di avvio" becomes "ha registrato il decreto di avvio"."""
    for definition in DEFINITIONS.values():
        for step in definition.steps:
            if step.event != event_name:
                continue
            text = step.label
            if text.startswith("Registra "):
                text = "ha registrato " + text[len("Registra ") :]
            return lambda payload, text=text, step=step: text + _act_suffix(step, payload)
    return None


def _act_suffix(step: Any, payload: dict[str, Any]) -> str:
    data = payload.get("data", {})
    parts = []
    if step.act and data.get("numero") and data.get("data"):
        when = format_date(parse_date(data["data"], "data"))
        parts.append(f"{step.act.citation} {data['numero']} del {when}")
    elif data.get("data"):
        parts.append(f"seduta del {format_date(parse_date(data['data'], 'data'))}")
    if "favorevole" in data:
        parts.append("parere favorevole" if data["favorevole"] else "parere contrario")
    return f" ({', '.join(parts)})" if parts else ""


def _rettifica_phrase(payload: dict[str, Any]) -> str:
    """ "ha rettificato il decreto di avvio (prima: Decreto R.G. 999/2025 del 22/10/2025; ora:
    Decreto R.G. 4/2025 del 22/10/2025), motivo: «…»": both values, as the record keeps both."""
    step = next(
        (s for d in DEFINITIONS.values() for s in d.steps if s.event == payload.get("event")),
        None,
    )
    if step is None:
        return f"ha rettificato un passaggio, motivo: «{payload.get('motivo', '')}»"
    text = step.label.removeprefix("Registra ")
    before = _act_suffix(step, {"data": payload.get("before", {})}).strip(" ()")
    after = _act_suffix(step, {"data": payload.get("after", {})}).strip(" ()")
    motivo = payload.get("motivo", "")
    return f"ha rettificato {text} (prima: {before}; ora: {after}), motivo: «{motivo}»"


PHRASES: dict[str, Phrase] = {
    "procedure.opened": lambda p: f"ha aperto il procedimento «{p.get('title', '')}»",
    "procedure.planned": lambda p: "ha aggiornato le date previste delle tappe",
    "procedure.rettifica": _rettifica_phrase,
    "procedure.migrata": lambda p: (
        "ha migrato il procedimento dalla versione "
        f"{str(p.get('from_version', ''))[:12]} della definizione alla "
        f"{str(p.get('definition_version', ''))[:12]}"
    ),
    "user.created": lambda p: (
        f"ha creato l'utente {p.get('username')} ({', '.join(p.get('roles', []))})"
    ),
    "token.issued": lambda p: f"ha emesso un token API per {p.get('username')}",
    "user.roles_changed": lambda p: (
        f"ha cambiato i ruoli di {p.get('username')} "
        f"da {', '.join(p.get('before', []))} a {', '.join(p.get('after', []))}"
    ),
    "user.codice_fiscale_changed": lambda p: (
        f"ha {'registrato' if p.get('after') else 'tolto'} il codice fiscale di {p.get('username')}"
    ),
    "user.enabled": lambda p: f"ha abilitato l'utente {p.get('username')}",
    "user.disabled": lambda p: f"ha disabilitato l'utente {p.get('username')}",
    "user.logged_out_everywhere": lambda p: "è uscito da tutte le sessioni",
    "login.succeeded": lambda p: f"ha effettuato l'accesso (da {p.get('address')})",
    "login.failed": lambda p: (
        f"tentativo di accesso non riuscito come «{p.get('username')}» (da {p.get('address')})"
    ),
    "delegation.created": lambda p: (
        f"ha registrato la delega del ruolo {p.get('role')} a {p.get('username')} ({p.get('act')})"
    ),
    "token.used": lambda p: f"ha usato un token API ({p.get('username')})",
    "token.revoked": lambda p: f"ha revocato un token API di {p.get('username')}",
    "deadline.created": lambda p: (
        f"ha registrato la scadenza «{p.get('title')}» per il "
        f"{format_date(parse_date(p['due_date'], 'scadenza'))}"
    ),
    "mail.requeued": lambda p: "ha rimesso in coda un messaggio di posta",
    "mail.settings": lambda p: "ha aggiornato le proprie impostazioni di notifica",
    "mail.digest_unsubscribed": lambda p: "si è disiscritto dal riepilogo giornaliero",
    "reminders.scanned": lambda p: "ha messo in coda i promemoria delle scadenze",
    "register.daily_produced": lambda p: (
        f"ha prodotto il registro giornaliero di protocollo del "
        f"{format_date(parse_date(p['day'], 'giorno'))} ({p.get('entries')} registrazioni)"
    ),
    "register.daily_handed_over": lambda p: (
        f"ha consegnato in conservazione il registro giornaliero di protocollo del "
        f"{format_date(parse_date(p['day'], 'giorno'))}"
    ),
    "audit.checkpoint": lambda p: (
        f"ha pubblicato il checkpoint della catena (evento {p.get('seq')}, "
        f"impronta {str(p.get('hash', ''))[:16]}…)"
    ),
}


def describe(event: AuditEvent) -> str:
    """ "19/02/2025 10:42 — Segretario Generale (A. S. Purcaro) ha espresso parere favorevole"."""
    payload = json.loads(event.payload)
    phrase = PHRASES.get(event.action)
    if phrase is None and event.action.startswith("procedure."):
        phrase = _step_phrase(event.action.removeprefix("procedure."))
    text = phrase(payload) if phrase else f"ha eseguito «{event.action}»"
    return f"{format_instant(event.occurred_at)} — {who(event)} {text}"


def events_for(object_type: str, object_id: object) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == object_type, AuditEvent.object_id == str(object_id))
            .order_by(AuditEvent.seq)
        )
    )


def events_between(first: int | None, last: int | None, batch: int = 2000) -> Iterator[AuditEvent]:
    """Events with first ≤ seq ≤ last (either bound optional), in seq order, page by page.
    Bounds past the INTEGER column are clamped to it: a range, not a key, so "from 10²⁰" is
    simply empty and "to 10²⁰" is everything (the database would refuse the number)."""
    after = min(max((first or 1) - 1, 0), inputs.INT_MAX)
    if last is not None:
        last = min(max(last, 0), inputs.INT_MAX)
    while True:
        query = select(AuditEvent).where(AuditEvent.seq > after).order_by(AuditEvent.seq)
        if last is not None:
            query = query.where(AuditEvent.seq <= last)
        page = db.session.scalars(query.limit(batch)).all()
        if not page:
            return
        yield from page
        after = page[-1].seq
        db.session.expunge_all()


def as_export_record(event: AuditEvent) -> dict[str, Any]:
    """Exactly the hashed fields plus the two hashes: what the offline verifier needs."""
    return {
        "seq": event.seq,
        "occurred_at": iso_utc(event.occurred_at),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "role": event.role,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "action": event.action,
        "payload": json.loads(event.payload),
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def jsonl_lines(first: int | None, last: int | None) -> Iterator[str]:
    for event in events_between(first, last):
        yield json.dumps(as_export_record(event), ensure_ascii=False, sort_keys=True) + "\n"


CSV_HEADER = [
    "seq",
    "occurred_at_utc",
    "ora_roma",
    "attore",
    "ruolo",
    "oggetto",
    "id_oggetto",
    "azione",
    "descrizione",
    "payload",
    "prev_hash",
    "hash",
]


def csv_lines(
    first: int | None, last: int | None, form: csvexport.Variant = csvexport.PLAIN
) -> Iterator[str]:
    """The events `first`…`last` as CSV, one line at a time (streamed; for people: the JSON
    Lines export is the one verified offline)."""
    return csvexport.lines(CSV_HEADER, _csv_rows(first, last), form)


def _csv_rows(first: int | None, last: int | None) -> Iterator[list[object]]:
    for event in events_between(first, last):
        yield (
            [
                event.seq,
                iso_utc(event.occurred_at),
                format_instant(event.occurred_at),
                event.actor_name,
                event.role,
                event.object_type,
                event.object_id,
                event.action,
                describe(event),
                event.payload,
                event.prev_hash,
                event.hash,
            ]
        )
