"""The Albo's public face (issue 17 §4, §3 data di oblio): the AlboPOP feed read back by feedparser
and checked element by element, its filters; search by words (accents, case, order, numbers);
the public JSON API and what it never shows; the archive until the data di oblio; the numbers as
the seed's record writes them."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qs, urlsplit

import feedparser
import pytest
from sqlalchemy import update

from tests.act_factories import fire, make_people, propose, to_published
from tests.conftest import login
from workflow.acts import feed as albo_feed
from workflow.acts import registers
from workflow.acts.models import Act
from workflow.acts.register_models import ALBO, PROTOCOLLO, REPERTORIO
from workflow.extensions import db

ALBOPOP = "http://albopop.it/specs#"
CHANNEL_KEYS = {
    "country", "region", "province", "municipality", "latitude", "longitude", "uid", "type", "name",
}  # fmt: skip
ITEM_KEYS = {
    "country", "region", "province", "municipality", "latitude", "longitude", "uid", "type",
    "pubStart", "pubEnd", "relStart", "exeStart", "chapter", "unit", "amount", "currency",
    "annotation",
}  # fmt: skip
MONITORAGGIO = "MONITORAGGIO DEL PIANO STRATEGICO: VIABILITÀ E MOBILITÀ NELLA CITTÀ METROPOLITANA"
XHTML = "{http://www.w3.org/1999/xhtml}"


@pytest.fixture
def people(app, clock):
    return make_people(clock)


def at(clock, year: int, month: int, day: int, hour_utc: int = 8) -> None:
    clock.instant = datetime(year, month, day, hour_utc, 0, tzinfo=UTC)


@pytest.fixture
def seed_numbers(people, clock):
    """The registers continued from a previous system, so that the decree gets the seed's numbers:
    Albo 1084/2025, Repertorio Generale 43/2025, Protocollo 32556/2025."""
    for register, last in ((ALBO, 1083), (REPERTORIO, 42), (PROTOCOLLO, 32555)):
        registers.start_register(register, 2025, last, actor=people.segretario, clock=clock)


@pytest.fixture
def decree(people, clock, seed_numbers):
    """The seed's decree, published 01/07/2025–15/07/2025 as Albo 1084/2025."""
    return to_published(propose(people, clock), people, clock)


@pytest.fixture
def two(people, clock, decree):
    """The decree and a delibera del Consiglio on mobility, published an hour later (1085/2025)."""
    at(clock, 2025, 7, 1, 9)
    delibera = propose(
        people, clock, "delibera_consiglio", oggetto=MONITORAGGIO, materia="VIABILITÀ E TRASPORTI"
    )
    return decree, to_published(delibera, people, clock)


# ---- numbers ---------------------------------------------------------------------------------


def test_record_shows_the_numbers_as_the_seed_and_the_register_keeps_seven_digits(
    client, decree, clock
):
    page = client.get("/albo/2025/1084").get_data(as_text=True)
    assert '<dd id="protocollo">32556/2025</dd>' in page
    assert '<dd id="pubblicazione">1084/2025</dd>' in page
    assert '<dd id="repertorio">43/2025 del 01/07/2025</dd>' in page
    assert "0032556" not in page
    csv = registers.daily_register_csv(decree.repertorio_date, PROTOCOLLO)
    assert csv.splitlines()[1].startswith("0032556,2025,")


# ---- the AlboPOP feed ------------------------------------------------------------------------


def _rfc822(value: str) -> datetime:
    parsed = parsedate_to_datetime(value)
    assert parsed.tzinfo is not None, value
    return parsed


def test_feed_follows_albopop_element_by_element(client, two):
    body = client.get("/albo/feed").data
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<rss ')
    parsed = feedparser.parse(body)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "rss20" and parsed.encoding.lower() == "utf-8"
    channel = parsed.feed
    assert re.fullmatch(r"AlboPOP - [^-]+ - [^-]+", channel.title)
    assert channel.title == "AlboPOP - Città metropolitana - Milano"
    assert channel.link == "http://127.0.0.1:5000/albo/feed"
    assert channel.subtitle == (
        "*non ufficiale* RSS feed dell'Albo Pretorio della Città metropolitana di Milano"
    )
    assert channel.language == "it"
    assert channel.published_parsed is not None
    assert re.fullmatch(r"[^@\s]+@[^@\s]+ \([^)]+\)", channel.publisher)  # "email (nome)"
    assert channel.docs.startswith("http://")
    assert "license" in channel and "rights" not in channel  # one or the other, not both
    # The channel's categories: AlboPOP domains only, type and name always.
    domains = {t.scheme: t.term for t in channel.tags}
    assert {d.removeprefix(ALBOPOP + "channel-category-") for d in domains} <= CHANNEL_KEYS
    assert domains[ALBOPOP + "channel-category-type"] == "Città metropolitana"
    assert domains[ALBOPOP + "channel-category-name"] == "Città metropolitana di Milano"
    # Items: the latest publication first.
    assert [e.link for e in parsed.entries] == [
        "http://127.0.0.1:5000/albo/2025/1085",
        "http://127.0.0.1:5000/albo/2025/1084",
    ]
    published = [_rfc822(e.published) for e in parsed.entries]
    assert published == sorted(published, reverse=True)
    for entry in parsed.entries:
        assert entry.title and entry.title == entry.title.strip()
        assert "  " not in entry.title
        assert entry.summary
        assert entry.link.startswith("http://") and not entry.link.endswith(".pdf")
        assert entry.id == entry.link  # guid: the page, isPermaLink (checked on the XML)
        categories = {t.scheme: t.term for t in entry.tags}
        assert all(d.startswith(ALBOPOP + "item-category-") for d in categories)
        assert {d.removeprefix(ALBOPOP + "item-category-") for d in categories} <= ITEM_KEYS
        assert re.fullmatch(r"\d{4}/\d+", categories[ALBOPOP + "item-category-uid"])
        start = _rfc822(categories[ALBOPOP + "item-category-pubStart"])
        end = _rfc822(categories[ALBOPOP + "item-category-pubEnd"])
        assert start < end
        for enclosure in entry.enclosures:
            assert enclosure.href.startswith("http://127.0.0.1:5000/albo/2025/")
            assert int(enclosure.length) > 0 and enclosure.type == "application/pdf"
    delibera, decree = parsed.entries
    tags = {t.scheme: t.term for t in decree.tags}
    assert tags[ALBOPOP + "item-category-uid"] == "2025/1084"
    assert tags[ALBOPOP + "item-category-type"] == "Decreto del Sindaco metropolitano"
    assert tags[ALBOPOP + "item-category-pubStart"] == "Tue, 01 Jul 2025 00:00:00 +0200"
    assert tags[ALBOPOP + "item-category-pubEnd"] == "Tue, 15 Jul 2025 23:59:59 +0200"
    assert tags[ALBOPOP + "item-category-unit"] == "DIREZIONE GENERALE"
    assert ALBOPOP + "item-category-exeStart" not in tags  # a decree: no art. 134 date
    delibera_tags = {t.scheme: t.term for t in delibera.tags}
    assert delibera_tags[ALBOPOP + "item-category-exeStart"] == "Fri, 11 Jul 2025 00:00:00 +0200"


def test_feed_xml_forms_feedparser_does_not_check(client, two):
    channel = ET.fromstring(client.get("/albo/feed").data).find("channel")
    assert channel.attrib == {}
    meta = channel.find(XHTML + "meta")
    assert meta.attrib == {"name": "robots", "content": "noindex"}
    assert channel.find("copyright") is None
    _rfc822(channel.findtext("pubDate"))
    for item in channel.findall("item"):
        assert item.find("guid").attrib == {"isPermaLink": "true"}
        for category in item.findall("category"):
            assert category.text and category.text == category.text.strip()
        for enclosure in item.findall("enclosure"):
            assert set(enclosure.attrib) == {"url", "length", "type"}


def test_feed_holds_at_most_the_limit_latest_first(client, two, monkeypatch, people, clock):
    at(clock, 2025, 7, 1, 10)
    to_published(propose(people, clock, oggetto="TERZO ATTO"), people, clock)
    monkeypatch.setattr(albo_feed, "MAX_ITEMS", 2)
    entries = feedparser.parse(client.get("/albo/feed").data).entries
    assert [e.title for e in entries] == ["TERZO ATTO", MONITORAGGIO]


def test_the_spec_limit_is_25():
    assert albo_feed.MAX_ITEMS == 25


@pytest.mark.parametrize(
    ("query", "links"),
    [
        ("tipo=delibera_consiglio", ["1085"]),
        ("tipo=decreto_sindaco", ["1084"]),
        ("materia=viabilita", ["1085"]),  # accents ignored
        ("materia=Pianificazione+strategica", ["1084"]),
        ("materia=trasporti&tipo=decreto_sindaco", []),
        ("", ["1085", "1084"]),
    ],
)
def test_feed_filters_by_materia_and_act_type(client, two, query, links):
    parsed = feedparser.parse(client.get(f"/albo/feed?{query}").data)
    assert [e.link.rsplit("/", 1)[1] for e in parsed.entries] == links
    link = urlsplit(parsed.feed.link)  # the channel's link is the feed as asked
    assert link.path == "/albo/feed" and parse_qs(link.query) == parse_qs(query)


def test_feed_with_an_unknown_act_type_is_422(client, two):
    assert client.get("/albo/feed?tipo=ordinanza").status_code == 422


# ---- search by words -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("monitoraggio piano", ["1085"]),
        ("piano monitoraggio", ["1085"]),  # any order
        ("Monitoraggio del Piano", ["1085"]),
        ("viabilita citta", ["1085"]),  # no accents asked, accents stored
        ("VIABILITÀ", ["1085"]),
        ("mobilità", ["1085"]),
        ("monitoraggio bilancio", []),  # every word must be there
        ("vassallo", ["1085", "1084"]),  # proponente
        ("pianificazione strategica", ["1084"]),  # materia
        ("trasporti", ["1085"]),  # materia
        ("1084/2025", ["1084"]),  # numbers
        ("32556", ["1084"]),  # the protocollo
        ("0032556/2025", ["1084"]),  # as the register writes it
        ("del", []),  # only a stop word: nothing to look for
        ('"piano" OR NOT *', []),  # no query syntax gets through
    ],
)
def test_search_by_words(client, two, q, found):
    response = client.get("/api/v1/albo/pubblicazioni", query_string={"q": q})
    assert response.status_code == 200
    assert [str(p["numero"]) for p in response.get_json()["pubblicazioni"]] == found
    page = client.get("/albo", query_string={"q": q}).get_data(as_text=True)
    for number in ("1084", "1085"):
        assert (f'/albo/2025/{number}"' in page) is (number in found)


@pytest.mark.parametrize(
    ("numero", "found"),
    [
        ("1084/2025", ["1084"]),
        ("1084", ["1084"]),
        ("01084 / 2025", ["1084"]),
        ("1084/2024", []),
        ("43/2025", ["1084"]),  # Repertorio Generale
        ("32556/2025", ["1084"]),  # Protocollo
        ("0032556/2025", ["1084"]),
    ],
)
def test_the_number_field_takes_the_form_its_placeholder_shows(client, two, numero, found):
    response = client.get("/api/v1/albo/pubblicazioni", query_string={"numero": numero})
    assert [str(p["numero"]) for p in response.get_json()["pubblicazioni"]] == found
    page = client.get("/albo", query_string={"numero": numero}).get_data(as_text=True)
    assert 'placeholder="1084/2025"' in page
    assert ('/albo/2025/1084"' in page) is bool(found)


def test_search_follows_a_changed_oggetto(client, two, app):
    """The index follows the row (SQLite: triggers; PostgreSQL: an index on the row's own
    expression), whatever writes it."""
    _, delibera = two
    db.session.execute(update(Act).where(Act.id == delibera.id).values(oggetto="BILANCIO"))
    db.session.commit()
    found = client.get("/api/v1/albo/pubblicazioni?q=bilancio").get_json()["pubblicazioni"]
    assert [p["numero"] for p in found] == [1085]
    assert client.get("/api/v1/albo/pubblicazioni?q=monitoraggio").get_json()["totale"] == 0


# ---- the public API --------------------------------------------------------------------------

PUBLIC_FIELDS = {
    "pubblicazione_nr", "anno", "numero", "elenco", "stato", "tipo", "tipo_label",
    "in_pubblicazione_dal", "in_pubblicazione_al", "consultabile_fino_al", "repertorio_generale",
    "data_approvazione", "protocollo", "titolario_anno_fascicolo", "proponente", "materia",
    "struttura_organizzativa", "oggetto", "url", "annullamento", "documenti",
}  # fmt: skip


def test_public_api_needs_no_token_and_shows_only_public_data(client, two, people):
    decree, _ = two
    response = client.get("/api/v1/albo/pubblicazioni/2025/1084")
    assert response.status_code == 200
    record = response.get_json()
    assert set(record) == PUBLIC_FIELDS
    assert record["pubblicazione_nr"] == "1084/2025" and record["protocollo"] == "32556/2025"
    assert record["repertorio_generale"] == "43/2025 del 01/07/2025"
    assert record["elenco"] == "in_corso" and record["stato"] == "PUBBLICATO ATTIVO"
    assert record["consultabile_fino_al"] == "2030-12-31"
    (document,) = record["documenti"]
    assert set(document) == {"nome", "sha256", "dimensione", "url", "firme"}
    assert (
        document["url"]
        == f"http://127.0.0.1:5000/albo/2025/1084/documenti/{decree.documents[0].id}"
    )
    assert client.get(document["url"].removeprefix("http://127.0.0.1:5000")).status_code == 200
    text = json.dumps(record, ensure_ascii=False)
    for staff_only in (
        decree.testo,
        people.albo.full_name,  # who published, who gave the opinions: staff's business
        people.dirigente.full_name,
        people.ragioneria.full_name,
        "Nessun onere",
        "Parere favorevole",
        "proposal_sha256",
        "recorded_by",
        decree.proposal_sha256,
    ):
        assert staff_only not in text, staff_only


def test_public_api_list_pages_and_filters(client, two):
    page = client.get("/api/v1/albo/pubblicazioni?per_pagina=1&pagina=2").get_json()
    assert (page["totale"], page["pagine"], page["pagina"], page["per_pagina"]) == (2, 2, 2, 1)
    assert [p["numero"] for p in page["pubblicazioni"]] == [1084]
    only = client.get("/api/v1/albo/pubblicazioni?tipo=delibera_consiglio").get_json()
    assert [p["numero"] for p in only["pubblicazioni"]] == [1085]
    assert client.get("/api/v1/albo/pubblicazioni?tipo=ordinanza").status_code == 422
    assert client.get("/api/v1/albo/pubblicazioni?per_pagina=101").status_code == 422
    assert client.get("/api/v1/albo/pubblicazioni?numero=abc").status_code == 422
    assert client.get("/api/v1/albo/pubblicazioni?elenco=tutto").status_code == 422


def test_public_api_feed_data_is_the_rss_feed(client, two):
    data = client.get("/api/v1/albo/feed").get_json()
    rss = feedparser.parse(client.get("/albo/feed").data)
    assert [e["link"] for e in data["elementi"]] == [e.link for e in rss.entries]
    assert [e["uid"] for e in data["elementi"]] == ["2025/1085", "2025/1084"]
    only = client.get("/api/v1/albo/feed?materia=viabilit%C3%A0").get_json()["elementi"]
    assert [e["uid"] for e in only] == ["2025/1085"]


def test_public_operations_declare_no_security(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/albo/pubblicazioni", "/api/v1/albo/feed"):
        operation = spec["paths"][path]["get"]
        assert operation["security"] == []
        assert "401" not in operation["responses"] and "403" not in operation["responses"]
    staff = spec["paths"]["/api/v1/acts"]["get"]
    assert "security" not in staff and "401" in staff["responses"]


def test_a_publication_not_yet_started_is_not_in_the_public_api(client, people, clock):
    to_published(propose(people, clock), people, clock, dal="2025-07-03")
    assert client.get("/api/v1/albo/pubblicazioni/2025/1").status_code == 404
    assert client.get("/api/v1/albo/pubblicazioni").get_json()["totale"] == 0
    assert client.get("/api/v1/albo/feed").get_json()["elementi"] == []


# ---- the archive and the data di oblio --------------------------------------------------------


def _numbers(client, url: str) -> list[int]:
    return [p["numero"] for p in client.get(url).get_json()["pubblicazioni"]]


def test_after_the_window_the_metadata_stays_in_the_archive_without_documents(
    client, decree, clock
):
    document_url = f"/albo/2025/1084/documenti/{decree.documents[0].id}"
    at(clock, 2025, 7, 16)
    page = client.get("/albo/2025/1084").get_data(as_text=True)
    assert "PUBBLICAZIONE TERMINATA" in page and "APPROVAZIONE DELLO SCHEMA" in page
    assert '<dd id="protocollo">32556/2025</dd>' in page
    assert decree.documents[0].sha256_hex not in page and document_url not in page
    assert client.get(document_url).status_code == 410
    archive = client.get("/albo/archivio").get_data(as_text=True)
    assert "/albo/2025/1084" in archive and "31/12/2030" in archive
    assert "/albo/2025/1084" not in client.get("/albo").get_data(as_text=True)
    assert _numbers(client, "/api/v1/albo/pubblicazioni?elenco=archivio") == [1084]
    assert _numbers(client, "/api/v1/albo/pubblicazioni") == []
    record = client.get("/api/v1/albo/pubblicazioni/2025/1084").get_json()
    assert record["elenco"] == "archivio" and record["documenti"] == []
    assert _numbers(client, "/api/v1/albo/pubblicazioni?elenco=archivio&q=schema+piano") == [1084]
    assert client.get("/api/v1/albo/feed").get_json()["elementi"] == []


def test_on_the_data_di_oblio_the_entry_leaves_the_public_site(client, decree, clock, people):
    document_url = f"/albo/2025/1084/documenti/{decree.documents[0].id}"
    at(clock, 2030, 12, 31, 22)  # 23:00 in Rome: the last day in the archive
    assert client.get("/albo/2025/1084").status_code == 200
    assert _numbers(client, "/api/v1/albo/pubblicazioni?elenco=archivio") == [1084]
    at(clock, 2030, 12, 31, 23)  # midnight in Rome: 01/01/2031, the data di oblio
    assert client.get("/albo/2025/1084").status_code == 404
    assert client.get(document_url).status_code == 404
    assert client.get("/api/v1/albo/pubblicazioni/2025/1084").status_code == 404
    assert _numbers(client, "/api/v1/albo/pubblicazioni?elenco=archivio") == []
    assert _numbers(client, "/api/v1/albo/pubblicazioni?elenco=archivio&numero=1084") == []
    assert "/albo/2025/1084" not in client.get("/albo/archivio?q=schema").get_data(as_text=True)
    assert b"1084" not in client.get("/albo/feed").data
    # Staff keep everything.
    login(client, people.direzione.username, "password-di-prova")
    page = client.get(f"/atti/{decree.id}").get_data(as_text=True)
    assert "APPROVAZIONE DELLO SCHEMA" in page and decree.documents[0].sha256_hex in page
    assert client.get(f"/atti/{decree.id}/documenti/{decree.documents[0].id}").status_code == 200


def test_an_annulled_publication_is_in_the_archive_until_its_oblio(client, decree, people, clock):
    fire(decree, "annulla_pubblicazione", people.albo, clock, motivazione="Errore materiale")
    assert _numbers(client, "/api/v1/albo/pubblicazioni") == []
    record = client.get("/api/v1/albo/pubblicazioni/2025/1084").get_json()
    assert record["elenco"] == "archivio" and record["documenti"] == []
    assert record["annullamento"]["motivazione"] == "Errore materiale"
    assert _numbers(client, "/api/v1/albo/pubblicazioni?elenco=archivio") == [1084]
    assert client.get(f"/albo/2025/1084/documenti/{decree.documents[0].id}").status_code == 410
    at(clock, 2031, 1, 1)
    assert client.get("/albo/2025/1084").status_code == 404
    assert _numbers(client, "/api/v1/albo/pubblicazioni?elenco=archivio") == []
