"""The public Albo: visible only during the window, noindex, documents with fingerprints, RSS."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from tests.act_factories import fire, make_people, propose, to_published
from tests.conftest import is_postgres, login
from workflow.acts.models import Act
from workflow.extensions import db

ALBOPOP = "http://albopop.it/specs#"


@pytest.fixture
def people(app, clock):
    return make_people(clock)


@pytest.fixture
def published(people, clock):
    """A decree published from 01/07/2025 to 15/07/2025 (Albo 1/2025)."""
    return to_published(propose(people, clock), people, clock)


def at(clock, day: int, month: int = 7, hour_utc: int = 8) -> None:
    clock.instant = datetime(2025, month, day, hour_utc, 0, tzinfo=UTC)


def test_public_list_shows_acts_in_publication_without_login(client, published):
    page = client.get("/albo").get_data(as_text=True)
    assert "1/2025" in page and "APPROVAZIONE DELLO SCHEMA" in page


def test_record_page_has_every_field_of_the_seed(client, published):
    page = client.get("/albo/2025/1").get_data(as_text=True)
    for text in (
        "PUBBLICATO ATTIVO",
        "Pubblicazione Nr",
        "dal 01/07/2025 al 15/07/2025",
        "Repertorio Generale",
        "1/2025 del 01/07/2025",
        "Data di Approvazione",
        '<dd id="protocollo">1/2025</dd>',  # as the seed shows it; the register keeps 0000001
        "2.16/2024/1",
        "CONSIGLIERE DELEGATO FRANCESCO VASSALLO",
        "PIANIFICAZIONE STRATEGICA",
        "Struttura Organizzativa",
        "DIREZIONE GENERALE",
        "APPROVAZIONE DELLO SCHEMA DI PIANO STRATEGICO",
        "2163_14487^DecretoFirmato.pdf",
        published.documents[0].sha256_hex,
        "Firmato digitalmente da: Francesco Vassallo",
    ):
        assert text in page, text


def test_document_served_during_the_window_with_its_fingerprint(client, published):
    document = published.documents[0]
    response = client.get(f"/albo/2025/1/documenti/{document.id}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    assert response.headers["X-Impronta-SHA256"] == document.sha256_hex
    assert response.headers["Repr-Digest"].startswith("sha-256=:")
    # `curl -OJ` reads only the ASCII filename=, which must carry the seed's name whole.
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="2163_14487^DecretoFirmato.pdf"; '
        "filename*=UTF-8''2163_14487%5EDecretoFirmato.pdf"
    )


def test_last_day_of_window_still_public_until_midnight_in_rome(client, published, clock):
    at(clock, 15, hour_utc=21)  # 23:00 in Rome
    assert "PUBBLICATO ATTIVO" in client.get("/albo/2025/1").get_data(as_text=True)
    at(clock, 15, hour_utc=22)  # 00:00 of the 16th in Rome
    assert "PUBBLICAZIONE TERMINATA" in client.get("/albo/2025/1").get_data(as_text=True)


def test_after_the_window_act_leaves_list_and_documents_are_gone(client, published, clock):
    """Only the record's metadata stays, in the archive (issue 17 §3, data di oblio)."""
    at(clock, 16)
    assert "APPROVAZIONE DELLO SCHEMA" not in client.get("/albo").get_data(as_text=True)
    page = client.get("/albo/2025/1").get_data(as_text=True)
    assert "PUBBLICAZIONE TERMINATA" in page and "terminata il 15/07/2025" in page
    assert "archivio delle pubblicazioni concluse" in page and "fino al 31/12/2030" in page
    assert published.documents[0].sha256_hex not in page
    assert "DecretoFirmato.pdf" not in page
    document = client.get(f"/albo/2025/1/documenti/{published.documents[0].id}")
    assert document.status_code == 410


def test_staff_still_see_everything_after_the_window(client, published, clock, people):
    at(clock, 20)
    login(client, people.direzione.username, "password-di-prova")
    page = client.get(f"/atti/{published.id}").get_data(as_text=True)
    assert "PUBBLICAZIONE TERMINATA" in page and "APPROVAZIONE DELLO SCHEMA" in page
    assert published.documents[0].sha256_hex in page
    download = client.get(f"/atti/{published.id}/documenti/{published.documents[0].id}")
    assert download.status_code == 200


def test_publication_starting_later_is_not_public_yet(client, people, clock):
    to_published(propose(people, clock), people, clock, dal="2025-07-03")
    assert client.get("/albo/2025/1").status_code == 404
    assert "APPROVAZIONE DELLO SCHEMA" not in client.get("/albo").get_data(as_text=True)
    at(clock, 3)
    assert client.get("/albo/2025/1").status_code == 200


def test_annulled_publication_shows_reason_and_no_document(client, published, people, clock):
    fire(published, "annulla_pubblicazione", people.albo, clock, motivazione="Errore materiale")
    page = client.get("/albo/2025/1").get_data(as_text=True)
    assert "PUBBLICAZIONE ANNULLATA" in page and "Errore materiale" in page
    assert client.get(f"/albo/2025/1/documenti/{published.documents[0].id}").status_code == 410
    # Issue 17: the list shows it too, as annulled with its reason, never as a live publication.
    listed = client.get("/albo").get_data(as_text=True)
    assert "PUBBLICAZIONE ANNULLATA" in listed and "Errore materiale" in listed
    assert published.documents[0].sha256_hex not in listed


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("q=schema+di+piano", True),
        ("q=bilancio", False),
        ("numero=1/2025", True),
        ("numero=2", False),
        ("materia=pianificazione", True),
        ("materia=viabilit%C3%A0", False),
        ("data=2025-07-01", True),
        ("data=2025-06-30", False),
    ],
)
def test_public_search_by_oggetto_number_materia_date(client, published, query, found):
    page = client.get(f"/albo?{query}").get_data(as_text=True)
    assert ("APPROVAZIONE DELLO SCHEMA" in page) is found


def test_public_search_with_a_bad_number_is_422_not_500(client, published):
    assert client.get("/albo?numero=abc").status_code == 422


def test_albo_pages_are_not_indexed(client, published):
    response = client.get("/albo/2025/1")
    assert response.headers["X-Robots-Tag"].startswith("noindex")
    assert '<meta name="robots" content="noindex' in response.get_data(as_text=True)
    assert '<meta name="robots" content="noindex' in client.get("/albo").get_data(as_text=True)
    robots = client.get("/robots.txt").get_data(as_text=True)
    assert "Disallow: /albo" in robots


def test_feed_follows_albopop(client, published):
    response = client.get("/albo/feed")
    assert response.mimetype == "application/rss+xml"
    assert response.data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    channel = ET.fromstring(response.data).find("channel")
    assert channel.findtext("title") == "AlboPOP - Città metropolitana - Milano"
    assert channel.find("{http://www.w3.org/1999/xhtml}meta").get("content") == "noindex"
    domains = {c.get("domain") for c in channel.findall("category")}
    assert {ALBOPOP + "channel-category-country", ALBOPOP + "channel-category-name"} <= domains
    (item,) = channel.findall("item")
    assert item.findtext("link").endswith("/albo/2025/1")
    assert item.find("guid").get("isPermaLink") == "true"
    cats = {c.get("domain"): c.text for c in item.findall("category")}
    assert cats[ALBOPOP + "item-category-uid"] == "2025/1"  # "[anno]/[numero atto]"
    assert cats[ALBOPOP + "item-category-pubEnd"].startswith("Tue, 15 Jul 2025")
    assert item.find("enclosure").get("type") == "application/pdf"


# Every C0 control character; PostgreSQL cannot store NUL in text at all, so there it is left out.
C0 = [chr(code) for code in range(0x20) if not (code == 0 and is_postgres())]


@pytest.mark.parametrize("char", C0, ids=[f"U+{ord(c):04X}" for c in C0])
def test_no_oggetto_can_make_the_feed_ill_formed(client, published, char):
    """The input layer refuses most control characters; the feed must not depend on it. The row
    is written directly, past every operation, as an old import or a database edit could."""
    oggetto = f"APPROVAZIONE{char}DEL <PIANO> & {char}ALLEGATI"
    db.session.execute(update(Act).where(Act.id == published.id).values(oggetto=oggetto))
    db.session.commit()
    response = client.get("/albo/feed")
    item = ET.fromstring(response.data).find("channel/item")  # raises if ill-formed
    expected = {"\t": "\t", "\n": "\n", "\r": "\n"}.get(char, "\ufffd")
    # AlboPOP: runs of spaces and tabs become one space in title and description.
    shown = re.sub("[ \t]+", " ", oggetto.replace(char, expected))
    assert item.findtext("title") == shown
    assert item.findtext("description").endswith(shown)


def test_feed_drops_ended_publications(client, published, clock):
    at(clock, 16)
    channel = ET.fromstring(client.get("/albo/feed").data).find("channel")
    assert channel.findall("item") == []


def test_public_albo_shows_the_latest_audit_checkpoint(app, client, clock):
    """Issue 3: the chain head is published where anyone can note it."""
    from workflow.audit import chain as audit

    assert "nessun checkpoint ancora pubblicato" in client.get("/albo").get_data(as_text=True)
    checkpoint = audit.checkpoint_now(actor=None, clock=clock)
    page = client.get("/albo").get_data(as_text=True)
    assert checkpoint.hash in page and f"evento {checkpoint.seq}" in page
