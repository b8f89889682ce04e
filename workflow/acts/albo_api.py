"""The public JSON API of the Albo pretorio (read only, no token): the list and its search, one
publication's record, the feed's data. It answers exactly what the public pages show (L. 69/2009
art. 32) and nothing of the staff's: no act id, text, event, person or unpublished document; a
publication not yet on the Albo or past its data di oblio is not found (Garante privacy 243/2014).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import fields

from workflow.acts import feed as albo_feed
from workflow.acts import queries
from workflow.acts.feed import FeedItem
from workflow.acts.models import Act
from workflow.core.clock import rome_today
from workflow.core.openapi import Blueprint, Day, Schema, integer, one_of, text
from workflow.core.web import clock, iso, public_url
from workflow.definitions import acts as machine
from workflow.definitions.acts import ACT_TYPES

bp = Blueprint(
    "albo_api", __name__, url_prefix="/api/v1/albo", description="Albo pretorio (pubblico)"
)
ACT = Act.__table__.c
# A page of the list holds at most this many publications.
MAX_PER_PAGE = 100


class ListQuery(Schema):
    q = text(
        max_length=200,
        load_default="",
        metadata={"description": "parole di oggetto, proponente, materia o numeri (tutte)"},
    )
    numero = text(
        max_length=30,
        load_default="",
        metadata={"description": "numero di pubblicazione, repertorio o protocollo: 1084/2025"},
    )
    materia = text(ACT.materia, load_default="", metadata={"description": "parole della materia"})
    tipo = one_of(ACT_TYPES, metadata={"description": "tipo di atto"})
    data = Day(metadata={"description": "giorno di pubblicazione o di approvazione"})
    elenco = one_of(
        (queries.IN_CORSO, queries.ARCHIVIO),
        load_default=queries.IN_CORSO,
        metadata={"description": "in_corso (l'Albo) o archivio (pubblicazioni concluse)"},
    )
    pagina = integer(1, 1_000_000, strict=False, load_default=1)
    per_pagina = integer(1, MAX_PER_PAGE, strict=False, load_default=queries.PUBLIC_PER_PAGE)


class FeedQuery(Schema):
    materia = text(ACT.materia, load_default="", metadata={"description": "parole della materia"})
    tipo = one_of(ACT_TYPES, load_default="", metadata={"description": "tipo di atto"})


class PublicSignature(Schema):
    firmato_digitalmente_da = fields.String()
    integra = fields.Boolean()


class PublicDocument(Schema):
    nome = fields.String()
    sha256 = fields.String()
    dimensione = fields.Integer(metadata={"description": "byte"})
    url = fields.String()
    firme = fields.List(fields.Nested(PublicSignature))


class Annulment(Schema):
    annullata_il = fields.String()
    motivazione = fields.String()


class PublicRecord(Schema):
    pubblicazione_nr = fields.String()
    anno = fields.Integer()
    numero = fields.Integer()
    elenco = fields.String(metadata={"description": "in_corso o archivio"})
    stato = fields.String()
    tipo = fields.String()
    tipo_label = fields.String()
    in_pubblicazione_dal = fields.String()
    in_pubblicazione_al = fields.String()
    consultabile_fino_al = fields.String(metadata={"description": "il giorno prima dell'oblio"})
    repertorio_generale = fields.String(allow_none=True)
    data_approvazione = fields.String(allow_none=True)
    protocollo = fields.String(allow_none=True)
    titolario_anno_fascicolo = fields.String()
    proponente = fields.String()
    materia = fields.String()
    struttura_organizzativa = fields.String()
    oggetto = fields.String()
    url = fields.String()
    annullamento = fields.Nested(Annulment, allow_none=True)
    documenti = fields.List(fields.Nested(PublicDocument))


class PublicList(Schema):
    pubblicazioni = fields.List(fields.Nested(PublicRecord))
    pagina = fields.Integer()
    per_pagina = fields.Integer()
    pagine = fields.Integer()
    totale = fields.Integer()


class FeedEnclosure(Schema):
    url = fields.String()
    dimensione = fields.Integer()
    tipo = fields.String()


class FeedEntry(Schema):
    titolo = fields.String()
    link = fields.String()
    descrizione = fields.String()
    pubblicato_il = fields.String()
    uid = fields.String(metadata={"description": "anno/numero dell'Albo"})
    tipo = fields.String()
    materia = fields.String()
    inizio = fields.String()
    fine = fields.String()
    emissione = fields.String(allow_none=True)
    esecutivita = fields.String(allow_none=True)
    unita_organizzativa = fields.String()
    allegati = fields.List(fields.Nested(FeedEnclosure))


class FeedData(Schema):
    aggiornato_il = fields.String()
    elementi = fields.List(fields.Nested(FeedEntry))


def public_record_json(act: Act, today: date) -> dict[str, Any]:
    """A publication as the public sees it on `today` (Europe/Rome): the record's fields, its
    annulment if any, and the published documents only while the window is open."""
    phase = queries.public_phase(act, today)
    rec = queries.record(act, today)
    annulment = queries.annulment(act) if act.state == machine.ANNULLATO else None
    documents = queries.public_documents(act) if phase == queries.IN_CORSO else []
    return {
        "pubblicazione_nr": rec.pubblicazione,
        "anno": act.albo_year,
        "numero": act.albo_number,
        "elenco": phase,
        "stato": rec.stato,
        "tipo": act.act_type,
        "tipo_label": rec.tipo,
        "in_pubblicazione_dal": iso(act.published_from),
        "in_pubblicazione_al": iso(act.published_to),
        "consultabile_fino_al": iso(queries.public_until(act)),
        "repertorio_generale": rec.repertorio or None,
        "data_approvazione": iso(act.approval_date),
        "protocollo": rec.protocollo or None,
        "titolario_anno_fascicolo": rec.fascicolo,
        "proponente": rec.proponente,
        "materia": rec.materia,
        "struttura_organizzativa": rec.struttura,
        "oggetto": rec.oggetto,
        "url": public_url("albo.show", anno=act.albo_year, numero=act.albo_number),
        "annullamento": (
            {
                "annullata_il": iso(annulment.recorded_at),
                "motivazione": str(annulment.data.get("motivazione", "")),
            }
            if annulment
            else None
        ),
        "documenti": [
            {
                "nome": d.original_name,
                "sha256": d.sha256_hex,
                "dimensione": d.size,
                "url": public_url(
                    "albo.document", anno=act.albo_year, numero=act.albo_number, document_id=d.id
                ),
                "firme": [
                    {"firmato_digitalmente_da": s.signer_name, "integra": s.intact}
                    for s in d.signatures
                ],
            }
            for d in documents
        ],
    }


def feed_entry_json(item: FeedItem) -> dict[str, Any]:
    """One feed item as JSON: the RSS item's fields, instants in UTC (ISO 8601)."""
    return {
        "titolo": item.title,
        "link": item.link,
        "descrizione": item.description,
        "pubblicato_il": iso(item.published_at),
        "uid": item.uid,
        "tipo": item.tipo,
        "materia": item.materia,
        "inizio": iso(item.pub_start),
        "fine": iso(item.pub_end),
        "emissione": iso(item.rel_start),
        "esecutivita": iso(item.exe_start),
        "unita_organizzativa": item.unit,
        "allegati": [
            {"url": e.url, "dimensione": e.length, "tipo": e.type} for e in item.enclosures
        ],
    }


@bp.get("/pubblicazioni")
@bp.answers(200, PublicList, errors=(422,), public=True)
@bp.arguments(ListQuery, location="query")
def list_publications(query: dict[str, Any]) -> dict[str, Any]:
    """The publications in progress (or, with `elenco=archivio`, the concluded ones before their
    data di oblio), searched like the Albo's page, a page at a time, the latest first."""
    today = rome_today(clock())
    filters = queries.AlboFilters(
        q=query["q"],
        numero=query["numero"],
        materia=query["materia"],
        tipo=query.get("tipo", ""),
        data=query.get("data"),
        phase=query["elenco"],
    )
    page = queries.public_page(today, filters, query["pagina"], query["per_pagina"])
    return {
        "pubblicazioni": [public_record_json(a, today) for a in page.items],
        "pagina": page.number,
        "per_pagina": page.per_page,
        "pagine": page.pages,
        "totale": page.total,
    }


@bp.get("/pubblicazioni/<int:anno>/<int:numero>")
@bp.answers(200, PublicRecord, errors=(404,), public=True)
def show_publication(anno: int, numero: int) -> dict[str, Any]:
    """One publication by its Albo number (anno/numero), as its public page shows it."""
    today = rome_today(clock())
    act, _ = queries.public_act(anno, numero, today)
    return public_record_json(act, today)


@bp.get("/feed")
@bp.answers(200, FeedData, errors=(422,), public=True)
@bp.arguments(FeedQuery, location="query")
def feed(query: dict[str, Any]) -> dict[str, Any]:
    """The RSS feed's data (/albo/feed, AlboPOP): at most 25 publications in progress, the
    latest first, filtered by materia (words) and act type."""
    today = rome_today(clock())
    return {
        "aggiornato_il": iso(clock().now()),
        "elementi": [
            feed_entry_json(i)
            for i in albo_feed.current_items(today, query["materia"], query["tipo"])
        ],
    }
