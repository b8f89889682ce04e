"""The Albo's RSS 2.0 feed after the AlboPOP specification (albopop.it/specs), written with the
project's XML writer (workflow/core/xmlwriter.py), so no oggetto can make it ill-formed.

The specification, element by element (O obligatory, R recommended, F optional):
- the XML declaration with UTF-8 (O); `rss version="2.0"` with the namespaces used (O);
- channel: `title` "AlboPOP - [tipo pa] - [nome pa]" (O), `link` the feed's own URL (O),
  `description` "*non ufficiale* RSS feed dell'Albo Pretorio di [tipo pa] [nome pa]" (O),
  `language` ISO 639-1 (O), `pubDate` RFC 822 (O), `webMaster` "email (nome)" (O), `docs` a page
  describing the feed (O), `creativeCommons:license` or `copyright`, one or the other (R),
  `xhtml:meta name="robots" content="noindex"` (O), `category` with domain
  http://albopop.it/specs#channel-category-… : type and name (O), country, region, province,
  municipality, latitude, longitude (R), uid with a prefix (F);
- from zero to 25 `item`, latest publication first: `title` the oggetto as the Albo shows it,
  runs of spaces and tabs collapsed and trimmed (O), `link` the publication's page, not a
  document (O), `description` the Albo's excerpt (O), `pubDate` the official date and time of
  publication, RFC 822 (O), `guid isPermaLink="true"` the page's URL (O), `category`
  #item-category-uid "[anno]/[numero]" (O), -type, -pubStart, -pubEnd, -unit (R), -relStart,
  -exeStart (F); one `enclosure url length type` per published document (R).
Every URL is absolute. Not written: item chapter, amount and currency (an act here has none).
The acts of a public administration have no copyright (L. 633/1941 art. 5): the channel carries
the Creative Commons licence, not a `copyright`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from email.utils import format_datetime

from workflow.acts import operations as acts
from workflow.acts import queries
from workflow.acts.models import Act
from workflow.core.clock import ROME
from workflow.core.web import public_url
from workflow.core.xmlwriter import child, document, root

ALBOPOP = "http://albopop.it/specs#"
NAMESPACES = {
    "xmlns:creativeCommons": "http://cyber.law.harvard.edu/rss/creativeCommonsRssModule.html",
    "xmlns:xhtml": "http://www.w3.org/1999/xhtml",
    "xmlns:atom": "http://www.w3.org/2005/Atom",
    "version": "2.0",
}
PA_TYPE = "Città metropolitana"
PA_NAME = "Città metropolitana di Milano"
TITLE = f"AlboPOP - {PA_TYPE} - Milano"
DESCRIPTION = f"*non ufficiale* RSS feed dell'Albo Pretorio della {PA_NAME}"
WEBMASTER = "albo@cittametropolitana.mi.it (Ufficio Albo)"
LICENSE = "http://creativecommons.org/licenses/by/4.0/"
# The channel's AlboPOP categories: who publishes, and where. ISTAT code of the Città
# metropolitana di Milano: 215 (the metropolitan cities' codes are 2xx).
CHANNEL_CATEGORIES = {
    "country": "Italia",
    "region": "Lombardia",
    "province": "Milano",
    "municipality": "Milano",
    "latitude": "45.464211",
    "longitude": "9.191383",
    "uid": "istat:215",
    "type": PA_TYPE,
    "name": PA_NAME,
}
# "Possono essere zero (feed vuoto) o più, fino a 25".
MAX_ITEMS = 25
_SPACES = re.compile(r"[ \t]+")


def albo_text(value: str) -> str:
    """A text as the specification wants it in title and description: runs of spaces and tabs
    made one space, none at either end; nothing else touched (not the case, not the words)."""
    return _SPACES.sub(" ", value).strip(" ")


def rfc822(instant: datetime) -> str:
    """An aware instant as RFC 822 (RFC 2822) writes it: "Tue, 01 Jul 2025 00:00:00 +0200"."""
    return format_datetime(instant)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), ROME)


def _end_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), ROME)


@dataclass(frozen=True)
class Enclosure:
    url: str
    length: int
    type: str = "application/pdf"


@dataclass(frozen=True)
class FeedItem:
    """One publication as the feed gives it (RSS and the public API's JSON alike)."""

    title: str
    link: str
    description: str
    published_at: datetime  # the official instant of publication (aware)
    uid: str  # "[anno]/[numero]" of the Albo
    tipo: str
    materia: str
    pub_start: datetime
    pub_end: datetime
    rel_start: datetime | None
    exe_start: datetime | None
    unit: str
    enclosures: tuple[Enclosure, ...]

    def categories(self) -> list[tuple[str, str]]:
        """The item's AlboPOP categories, (key after #item-category-, value), those it has."""
        dated = {
            "pubStart": self.pub_start,
            "pubEnd": self.pub_end,
            "relStart": self.rel_start,
            "exeStart": self.exe_start,
        }
        found = [("uid", self.uid), ("type", self.tipo)]
        found += [(key, rfc822(value)) for key, value in dated.items() if value is not None]
        return [*found, ("unit", self.unit)] if self.unit else found


def items(
    rows: Iterable[Act],
    *,
    act_url: Callable[[Act], str],
    document_url: Callable[[Act, int], str],
) -> list[FeedItem]:
    """The feed's items for publications in progress `rows`: the latest publication first (its
    official instant, then its Albo number), at most MAX_ITEMS. URLs absolute, made by
    `act_url(act)` and `document_url(act, document_id)`."""
    latest = sorted(
        rows,
        key=lambda a: (queries.publication_instant(a), a.albo_year, a.albo_number),
        reverse=True,
    )
    return [_item(act, act_url(act), document_url) for act in latest[:MAX_ITEMS]]


def current_items(today: date, materia: str = "", tipo: str = "") -> list[FeedItem]:
    """The feed's items on `today` (Europe/Rome), filtered by materia (words) and act type code,
    with the app's public absolute URLs: what the RSS feed and the public API's feed data give.
    Raises InvalidData for an unknown act type."""
    filters = queries.AlboFilters(materia=materia, tipo=tipo)
    return items(
        queries.public_list(today, filters),
        act_url=lambda a: public_url("albo.show", anno=a.albo_year, numero=a.albo_number),
        document_url=lambda a, document_id: public_url(
            "albo.document", anno=a.albo_year, numero=a.albo_number, document_id=document_id
        ),
    )


def _item(act: Act, link: str, document_url: Callable[[Act, int], str]) -> FeedItem:
    kind = acts.act_type(act)
    executable = acts.executability_date(act)
    return FeedItem(
        title=albo_text(act.oggetto),
        link=link,
        description=albo_text(
            f"{kind.label} R.G. {act.repertorio_number}/{act.repertorio_year} — {act.oggetto}"
        ),
        published_at=queries.publication_instant(act),
        uid=f"{act.albo_year}/{act.albo_number}",
        tipo=kind.label,
        materia=act.materia,
        pub_start=_start_of(act.published_from),
        pub_end=_end_of(act.published_to),
        rel_start=_start_of(act.approval_date) if act.approval_date else None,
        exe_start=_start_of(executable) if executable else None,
        unit=act.struttura,
        enclosures=tuple(
            Enclosure(url=document_url(act, d.id), length=d.size)
            for d in queries.public_documents(act)
        ),
    )


def rss(feed_items: Iterable[FeedItem], *, now: datetime, self_url: str, docs_url: str) -> bytes:
    """The feed's bytes (UTF-8): `self_url` the feed's own URL (with its filters), `docs_url`
    the page that describes it, `now` the instant of this build (channel pubDate)."""
    rss_element = root("rss", NAMESPACES)
    channel = child(rss_element, "channel")
    child(channel, "title", TITLE)
    child(channel, "link", self_url)
    child(
        channel,
        "atom:link",
        attributes={"href": self_url, "rel": "self", "type": "application/rss+xml"},
    )
    child(channel, "description", DESCRIPTION)
    child(channel, "language", "it")
    child(channel, "pubDate", rfc822(now))
    child(channel, "webMaster", WEBMASTER)
    child(channel, "docs", docs_url)
    child(channel, "creativeCommons:license", LICENSE)
    child(channel, "xhtml:meta", attributes={"name": "robots", "content": "noindex"})
    for key, value in CHANNEL_CATEGORIES.items():
        child(channel, "category", value, {"domain": f"{ALBOPOP}channel-category-{key}"})
    for feed_item in feed_items:
        _write_item(channel, feed_item)
    return document(rss_element)


def _write_item(channel, feed_item: FeedItem) -> None:
    item = child(channel, "item")
    child(item, "title", feed_item.title)
    child(item, "link", feed_item.link)
    child(item, "description", feed_item.description)
    child(item, "pubDate", rfc822(feed_item.published_at))
    child(item, "guid", feed_item.link, {"isPermaLink": "true"})
    for key, value in feed_item.categories():
        child(item, "category", value, {"domain": f"{ALBOPOP}item-category-{key}"})
    for enclosure in feed_item.enclosures:
        attributes = {"url": enclosure.url, "length": enclosure.length, "type": enclosure.type}
        child(item, "enclosure", attributes=attributes)
