"""The Albo pretorio online: public, no login (L. 69/2009 art. 32: the legally effective record).

Garante privacy, guidelines 243/2014: personal data are published only for the legal period and
not indexed by search engines — every page says `noindex`, robots.txt excludes the Albo, and after
the window neither the record nor its documents are served any more.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, render_template, request

from workflow.acts import documents, queries
from workflow.acts import feed as albo_feed
from workflow.acts import operations as acts
from workflow.audit import chain as audit
from workflow.core.clock import rome_today
from workflow.core.errors import DomainError, NotFound
from workflow.core.web import clock, public_url, send_pdf
from workflow.engine.stepdata import parse_date

bp = Blueprint("albo", __name__)


@bp.app_context_processor
def audit_checkpoint() -> dict[str, object]:
    """The chain head shown on the public pages (a callable: queried only where a page uses it)."""
    return {"latest_audit_checkpoint": audit.latest_checkpoint}


NOINDEX = "noindex, nofollow, noarchive"


class Gone(DomainError):
    status = 410


@bp.after_request
def no_index(response: Response) -> Response:
    response.headers["X-Robots-Tag"] = NOINDEX
    return response


@bp.get("/robots.txt")
def robots() -> Response:
    return Response("User-agent: *\nDisallow: /albo\n", mimetype="text/plain")


@bp.get("/albo")
def public_list() -> str:
    today = rome_today(clock())
    args = {k: request.args.get(k, "").strip() for k in ("q", "numero", "materia", "data")}
    day: date | None = parse_date(args["data"], "Data") if args["data"] else None
    rows = queries.public_list(
        today, args["q"], args["numero"], args["materia"], day, with_annulled=True
    )
    return render_template(
        "albo/list.html",
        rows=[(a, queries.record(a, today), queries.annulment(a)) for a in rows],
        args=args,
        today=today,
    )


@bp.get("/albo/<int:anno>/<int:numero>")
def show(anno: int, numero: int) -> str:
    today = rome_today(clock())
    act = queries.by_albo_number(anno, numero)
    status = queries.albo_status(act, today)
    if status is None or status == queries.IN_ATTESA:
        raise NotFound(f"Pubblicazione {numero}/{anno} non trovata all'Albo.")
    return render_template(
        "albo/show.html",
        act=act,
        record=queries.record(act, today),
        status=status,
        active=status == queries.ATTIVO,
        annulment=queries.annulment(act),
        extensions=queries.extensions(act),
        original_end=queries.original_end(act),
        published=acts.published_documents(act),
        referto=queries.referto(act),
        kind=acts.act_type(act),
    )


@bp.get("/albo/<int:anno>/<int:numero>/documenti/<int:document_id>")
def document(anno: int, numero: int, document_id: int) -> Response:
    """A document the Ufficio Albo chose to publish, while the publication is running; the
    signed referto as long as the record is public. Nothing else is ever served here."""
    act = queries.by_albo_number(anno, numero)
    status = queries.albo_status(act, rome_today(clock()))
    document = documents.get_document(act.id, document_id)
    referto = queries.referto(act)
    if referto is not None and document.id == referto.id:
        return send_pdf(documents.read(document), document.original_name, document.sha256)
    if status != queries.ATTIVO:
        raise Gone(
            f"La pubblicazione {numero}/{anno} non è in corso: "
            "i documenti non sono più consultabili."
        )
    if document not in acts.published_documents(act):
        raise NotFound("Documento non pubblicato all'Albo.")
    return send_pdf(documents.read(document), document.original_name, document.sha256)


@bp.get("/albo/feed")
def feed() -> Response:
    """RSS 2.0 after the AlboPOP specification (albopop.it/specs): one item per publication."""
    today = rome_today(clock())
    body = albo_feed.rss(
        queries.public_list(today),
        today=today,
        now=clock().now(),
        self_url=public_url("albo.feed"),
        list_url=public_url("albo.public_list"),
        act_url=lambda a: public_url("albo.show", anno=a.albo_year, numero=a.albo_number),
        document_url=lambda a, document_id: public_url(
            "albo.document", anno=a.albo_year, numero=a.albo_number, document_id=document_id
        ),
    )
    return Response(body, mimetype="application/rss+xml")
