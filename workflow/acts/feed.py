"""The Albo's RSS 2.0 feed after the AlboPOP specification (albopop.it/specs), written with the
project's XML writer (workflow/core/xmlwriter.py), so no oggetto can make it ill-formed."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, time
from email.utils import format_datetime

from workflow.acts import operations as acts
from workflow.acts import queries
from workflow.acts.models import Act
from workflow.core.clock import ROME
from workflow.core.xmlwriter import child, document, root

ALBOPOP = "http://albopop.it/specs#"
NAMESPACES = {
    "xmlns:creativeCommons": "http://cyber.law.harvard.edu/rss/creativeCommonsRssModule.html",
    "xmlns:xhtml": "http://www.w3.org/1999/xhtml",
    "xmlns:atom": "http://www.w3.org/2005/Atom",
    "version": "2.0",
}
# The channel's fixed AlboPOP categories: who publishes, and where.
CHANNEL_CATEGORIES = {
    "country": "Italia",
    "region": "Lombardia",
    "province": "Milano",
    "municipality": "Milano",
    "latitude": "45.464211",
    "longitude": "9.191383",
    "type": "Città metropolitana",
    "name": "Città metropolitana di Milano",
}


def _start_of(day: date) -> str:
    return format_datetime(datetime.combine(day, time(0), ROME))


def _end_of(day: date) -> str:
    return format_datetime(datetime.combine(day, time(23, 59, 59), ROME))


def rss(
    rows: Iterable[Act],
    *,
    today: date,
    now: datetime,
    self_url: str,
    list_url: str,
    act_url: Callable[[Act], str],
    document_url: Callable[[Act, int], str],
) -> bytes:
    """The feed's bytes (UTF-8): one item per act in `rows`, links made by `act_url` and
    `document_url(act, document_id)` (absolute URLs: feed readers resolve nothing)."""
    rss_element = root("rss", NAMESPACES)
    channel = child(rss_element, "channel")
    child(channel, "title", "AlboPOP - Città metropolitana - Milano")
    child(channel, "link", self_url)
    child(
        channel,
        "atom:link",
        attributes={"href": self_url, "rel": "self", "type": "application/rss+xml"},
    )
    child(channel, "description", "RSS feed dell'Albo Pretorio della Città metropolitana di Milano")
    child(channel, "language", "it")
    child(channel, "pubDate", format_datetime(now))
    child(channel, "webMaster", "albo@cittametropolitana.mi.it (Ufficio Albo)")
    child(channel, "docs", list_url)
    child(channel, "copyright", f"Copyright {now.year}, Città metropolitana di Milano")
    child(channel, "creativeCommons:license", "http://creativecommons.org/licenses/by/4.0/")
    child(channel, "xhtml:meta", attributes={"name": "robots", "content": "noindex"})
    for key, value in CHANNEL_CATEGORIES.items():
        child(channel, "category", value, {"domain": f"{ALBOPOP}channel-category-{key}"})
    for act in rows:
        _item(channel, act, today, act_url(act), document_url)
    return document(rss_element)


def _item(channel, act: Act, today: date, link: str, document_url) -> None:
    record = queries.record(act, today)
    kind = acts.act_type(act)
    item = child(channel, "item")
    child(item, "title", record.oggetto)
    child(item, "link", link)
    child(item, "description", f"{kind.label} R.G. {record.repertorio} — {record.oggetto}")
    child(item, "pubDate", format_datetime(queries.publication_instant(act)))
    child(item, "guid", link, {"isPermaLink": "true"})
    categories = {
        "uid": record.pubblicazione,
        "type": kind.label,
        "pubStart": _start_of(act.published_from),
        "pubEnd": _end_of(act.published_to),
        "relStart": _start_of(act.approval_date),
        "unit": record.struttura,
    }
    for key, value in categories.items():
        child(item, "category", value, {"domain": f"{ALBOPOP}item-category-{key}"})
    for d in acts.published_documents(act):
        attributes = {"url": document_url(act, d.id), "length": d.size, "type": "application/pdf"}
        child(item, "enclosure", attributes=attributes)
