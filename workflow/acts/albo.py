"""The Albo pretorio online: public, no login (L. 69/2009 art. 32: the legally effective record).

Garante privacy, guidelines 243/2014: personal data are published only for the legal period and
not indexed by search engines — every page says `noindex`, robots.txt excludes the Albo. After the
window the documents are no longer served (410) and the record's metadata stays in the archivio
delle pubblicazioni concluse until the act type's data di oblio; from then on the publication is
not on the public site at all (404 everywhere), while staff keep everything.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, render_template, request

from workflow.acts import documents, queries
from workflow.acts import feed as albo_feed
from workflow.acts import operations as acts
from workflow.audit import chain as audit
from workflow.core.clock import rome_today
from workflow.core.errors import DomainError
from workflow.core.web import clock, public_url, send_pdf
from workflow.definitions import acts as machine
from workflow.engine.stepdata import parse_date
from workflow.procedures.browse import page_number

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


FILTERS = ("q", "numero", "materia", "tipo", "data")


def _filters(phase: str) -> tuple[queries.AlboFilters, dict[str, str]]:
    """The search filters of the query string, and the same as given (to refill the form)."""
    args = {k: request.args.get(k, "").strip() for k in FILTERS}
    day: date | None = parse_date(args["data"], "Data") if args["data"] else None
    filters = queries.AlboFilters(
        q=args["q"],
        numero=args["numero"],
        materia=args["materia"],
        tipo=args["tipo"],
        data=day,
        phase=phase,
        with_annulled=True,
    )
    return filters, args


def _list(phase: str, template: str) -> str:
    today = rome_today(clock())
    filters, args = _filters(phase)
    page = queries.public_page(
        today, filters, page_number(request.args.get("pagina")), queries.PUBLIC_PER_PAGE
    )
    return render_template(
        template,
        page=page,
        rows=[(a, queries.record(a, today), queries.annulment(a)) for a in page.items],
        args={k: v for k, v in args.items() if v},
        form=args,
        types=machine.ACT_TYPES,
        today=today,
        public_until=queries.public_until,
    )


@bp.get("/albo")
def public_list() -> str:
    """The publications in progress today, searched by words, number, materia, type, day."""
    return _list(queries.IN_CORSO, "albo/list.html")


@bp.get("/albo/archivio")
def archive() -> str:
    """L'archivio delle pubblicazioni concluse: ended or annulled publications before their data
    di oblio, metadata only (Garante privacy 243/2014: the documents are not served)."""
    return _list(queries.ARCHIVIO, "albo/archive.html")


@bp.get("/albo/<int:anno>/<int:numero>")
def show(anno: int, numero: int) -> str:
    today = rome_today(clock())
    act, phase = queries.public_act(anno, numero, today)
    status = queries.albo_status(act, today)
    return render_template(
        "albo/show.html",
        act=act,
        record=queries.record(act, today),
        status=status,
        active=phase == queries.IN_CORSO,
        documents=queries.public_documents(act) if phase == queries.IN_CORSO else [],
        public_until=queries.public_until(act),
        annulment=queries.annulment(act),
        extensions=queries.extensions(act),
        original_end=queries.original_end(act),
        referto=queries.referto(act),
        kind=acts.act_type(act),
    )


@bp.get("/albo/<int:anno>/<int:numero>/documenti/<int:document_id>")
def document(anno: int, numero: int, document_id: int) -> Response:
    """A document the Ufficio Albo chose to publish, while the publication is in progress; the
    signed referto as long as the record is public. Nothing else is ever served here."""
    act, phase = queries.public_act(anno, numero, rome_today(clock()))
    referto = queries.referto(act)
    if referto is not None and document_id == referto.id:
        return send_pdf(documents.read(referto), referto.original_name, referto.sha256)
    if phase != queries.IN_CORSO:
        raise Gone(
            f"La pubblicazione {numero}/{anno} non è in corso: "
            "i documenti non sono più consultabili."
        )
    document = queries.public_document(act, document_id)
    return send_pdf(documents.read(document), document.original_name, document.sha256)


@bp.get("/albo/feed")
def feed() -> Response:
    """RSS 2.0 after the AlboPOP specification (albopop.it/specs): one item per publication in
    progress, at most 25, the latest first; `?materia=…&tipo=…` filter it."""
    materia = request.args.get("materia", "").strip()
    tipo = request.args.get("tipo", "").strip()
    chosen = {k: v for k, v in (("materia", materia), ("tipo", tipo)) if v}
    body = albo_feed.rss(
        albo_feed.current_items(rome_today(clock()), materia, tipo),
        now=clock().now(),
        self_url=public_url("albo.feed", **chosen),
        docs_url=public_url("albo.public_list") + "#feed",
    )
    return Response(body, mimetype="application/rss+xml")
