"""Issue 17 (sections 1 and 3): what the Albo publishes is chosen among the act's documents, by
role, and only a validly signed act; a wrong upload is withdrawn before publication, never after;
an annulment reads as such forever; a proroga moves the window, the relata and its deadline; the
referto di pubblicazione is a PDF to sign and the signed copy is shown with the record."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from tests.act_factories import (
    attach_signed,
    fire,
    make_people,
    propose,
    to_adopted,
    to_published,
)
from tests.conftest import login
from workflow.acts import documents
from workflow.acts import operations as acts
from workflow.audit.models import AuditEvent
from workflow.core.errors import Conflict, GuardFailed, InvalidData
from workflow.deadlines.models import Deadline
from workflow.demo.signing import TestCA, sign, signed_pdf, simple_pdf
from workflow.extensions import db


@pytest.fixture
def people(app, clock):
    return make_people(clock)


def at(clock, day: int, month: int = 7) -> None:
    clock.instant = datetime(2025, month, day, 8, 0, tzinfo=UTC)


def upload(act, people, clock, name: str, content: bytes, kind: str, original_id=None):
    """Upload as the Ufficio Albo; returns the document and the act read again."""
    document = documents.attach(
        act.id,
        expected_version=act.version,
        filename=name,
        content=content,
        kind=kind,
        original_id=original_id,
        actor=people.albo,
        clock=clock,
    )
    return document, acts.get(act.id)


def signed_by_both(people, ca, text: str) -> bytes:
    return signed_pdf([text], ca, [people.sindaco.full_name, people.segretario.full_name])


@pytest.fixture
def adopted_with_four_uploads(people, clock):
    """The issue's trial: an unsigned draft, a copy signed by one signer only, the good one
    (each as *atto*), plus a publishable annex, one kept for staff and its omissis version,
    and an annex replaced by its omissis version."""
    ca = TestCA()
    act = to_adopted(propose(people, clock), people, clock)
    docs = {}
    docs["bozza"], act = upload(act, people, clock, "bozza.pdf", simple_pdf(["Bozza"]), "atto")
    one = signed_pdf(["Solo il Sindaco"], ca, [people.sindaco.full_name])
    docs["mezza"], act = upload(act, people, clock, "una-firma.pdf", one, "atto")
    good = signed_by_both(people, ca, "DECRETO")
    docs["buono"], act = upload(act, people, clock, "DecretoFirmato.pdf", good, "atto")
    annex = simple_pdf(["Allegato A - Piano"])
    docs["allegato"], act = upload(act, people, clock, "AllegatoA.pdf", annex, "allegato")
    staff = simple_pdf(["Istruttoria con dati personali"])
    docs["riservato"], act = upload(
        act, people, clock, "Istruttoria.pdf", staff, "non_pubblicabile"
    )
    names = simple_pdf(["Elenco beneficiari: Mario Rossi, via Roma 1"])
    docs["originale"], act = upload(act, people, clock, "Beneficiari.pdf", names, "allegato")
    redacted = simple_pdf(["Elenco beneficiari: omissis"])
    docs["omissis"], act = upload(
        act, people, clock, "Beneficiari-omissis.pdf", redacted, "omissis", docs["originale"].id
    )
    return act, docs


def publish(act, people, clock, **data):
    return fire(act, "pubblica", people.albo, clock, **data)


# ---- 1. roles and the choice at publication ----------------------------------------------------


def test_each_role_is_recorded_at_upload_with_its_label_and_original(
    adopted_with_four_uploads, client, people, token_for
):
    act, docs = adopted_with_four_uploads
    shown = client.get(f"/api/v1/acts/{act.id}", headers=token_for(people.albo)).get_json()
    by_name = {d["name"]: d for d in shown["record"]["documenti"]}
    assert by_name["bozza.pdf"]["kind"] == "atto"
    assert by_name["AllegatoA.pdf"]["kind_label"] == "Allegato pubblicabile"
    assert by_name["Istruttoria.pdf"]["kind"] == "non_pubblicabile"
    omissis = by_name["Beneficiari-omissis.pdf"]
    assert omissis["kind"] == "omissis" and omissis["original_id"] == docs["originale"].id
    assert not any(d["published"] for d in by_name.values())


def test_an_omissis_needs_its_original_and_only_it_names_one(people, clock):
    act = to_adopted(propose(people, clock), people, clock)
    pdf = simple_pdf(["x"])
    with pytest.raises(InvalidData, match="Indicare il documento originale"):
        upload(act, people, clock, "o.pdf", pdf, "omissis")
    with pytest.raises(InvalidData, match="Solo una versione per la pubblicazione"):
        upload(act, people, clock, "a.pdf", pdf, "allegato", original_id=1)
    with pytest.raises(InvalidData, match="non è tra quelli dell'atto"):
        upload(act, people, clock, "o.pdf", pdf, "omissis", original_id=999)
    with pytest.raises(InvalidData, match="Ruolo del documento non valido"):
        upload(act, people, clock, "r.pdf", pdf, "referto")


def test_the_api_takes_the_role_and_refuses_an_unknown_one(client, people, clock, token_for):
    act = to_adopted(propose(people, clock), people, clock)
    headers = token_for(people.albo)

    def post(kind: str, version: int, original: str = ""):
        form = {
            "version": str(version),
            "kind": kind,
            "file": (io.BytesIO(simple_pdf(["x"])), "x.pdf"),
        }
        if original:
            form["original_id"] = original
        return client.post(f"/api/v1/acts/{act.id}/documents", data=form, headers=headers)

    made = post("non_pubblicabile", act.version)
    assert made.status_code == 201 and made.get_json()["document"]["kind"] == "non_pubblicabile"
    version = made.get_json()["version"]
    original = str(made.get_json()["document"]["id"])
    assert post("segreto", version).status_code == 422
    omissis = post("omissis", version, original)
    assert omissis.status_code == 201
    assert omissis.get_json()["document"]["original_id"] == int(original)


def test_an_unsigned_or_half_signed_act_is_refused_as_the_published_one(
    adopted_with_four_uploads, people, clock
):
    act, docs = adopted_with_four_uploads
    with pytest.raises(GuardFailed, match="«bozza.pdf» non ha firme digitali"):
        publish(act, people, clock, atto=docs["bozza"].id)
    with pytest.raises(GuardFailed, match="manca la firma digitale di Antonio Sebastiano"):
        publish(act, people, clock, atto=docs["mezza"].id)
    assert acts.get(act.id).albo_number is None  # nothing numbered by a refusal


def test_an_annex_kept_for_staff_or_an_original_with_omissis_is_never_published(
    adopted_with_four_uploads, people, clock
):
    act, docs = adopted_with_four_uploads
    good = docs["buono"].id
    with pytest.raises(GuardFailed, match="allegato non pubblicabile"):
        publish(act, people, clock, atto=good, allegati=[docs["riservato"].id])
    with pytest.raises(GuardFailed, match="ha una versione per la pubblicazione"):
        publish(act, people, clock, atto=good, allegati=[docs["originale"].id])
    with pytest.raises(GuardFailed, match="è un allegato, non il documento dell'atto"):
        publish(act, people, clock, atto=docs["allegato"].id)


def test_the_albo_chooses_and_only_the_chosen_documents_go_public(
    adopted_with_four_uploads, client, people, clock
):
    act, docs = adopted_with_four_uploads
    act = publish(
        act,
        people,
        clock,
        atto=docs["buono"].id,
        allegati=[docs["allegato"].id, docs["omissis"].id],
    )
    assert [d.original_name for d in acts.published_documents(act)] == [
        "DecretoFirmato.pdf",
        "AllegatoA.pdf",
        "Beneficiari-omissis.pdf",
    ]
    page = client.get("/albo/2025/1").get_data(as_text=True)
    for shown in ("DecretoFirmato.pdf", "AllegatoA.pdf", "Beneficiari-omissis.pdf"):
        assert shown in page
    for hidden in ("bozza.pdf", "una-firma.pdf", "Istruttoria.pdf", "Beneficiari.pdf"):
        assert f">{hidden}<" not in page
        assert (
            client.get(f"/albo/2025/1/documenti/{docs[_key(docs, hidden)].id}").status_code == 404
        )
    feed = ET.fromstring(client.get("/albo/feed").data)
    urls = [e.get("url") for e in feed.iter("enclosure")]
    assert [u.rsplit("/", 1)[1] for u in urls] == [
        str(docs["buono"].id),
        str(docs["allegato"].id),
        str(docs["omissis"].id),
    ]
    event = act.events[-1]
    assert event.data["atto"]["sha256"] == docs["buono"].sha256_hex
    assert [a["nome"] for a in event.data["allegati"]] == [
        "AllegatoA.pdf",
        "Beneficiari-omissis.pdf",
    ]


def _key(docs, name: str) -> str:
    return next(k for k, d in docs.items() if d.original_name == name)


def test_staff_still_see_every_document_with_its_role(
    adopted_with_four_uploads, client, people, clock
):
    act, docs = adopted_with_four_uploads
    publish(act, people, clock, atto=docs["buono"].id, allegati=[docs["allegato"].id])
    login(client, people.direzione.username)
    page = client.get(f"/atti/{act.id}").get_data(as_text=True)
    for d in docs.values():
        assert d.original_name in page
    assert "Allegato non pubblicabile (resta agli uffici)" in page
    assert "pubblicato all&#39;Albo" in page or "pubblicato all'Albo" in page
    assert client.get(f"/atti/{act.id}/documenti/{docs['riservato'].id}").status_code == 200


def test_two_valid_acts_need_a_choice_one_is_taken_alone(people, clock):
    ca = TestCA()
    act = to_adopted(propose(people, clock), people, clock)
    _, act = upload(act, people, clock, "a.pdf", signed_by_both(people, ca, "A"), "atto")
    lone = to_published(propose(people, clock, oggetto="ALTRO"), people, clock)
    assert [d.kind for d in acts.published_documents(lone)] == ["atto"]
    second, act = upload(act, people, clock, "b.pdf", signed_by_both(people, ca, "B"), "atto")
    with pytest.raises(InvalidData, match="Scegliere quale documento pubblicare"):
        publish(act, people, clock)
    act = publish(act, people, clock, atto=second.id)
    assert [d.id for d in acts.published_documents(act)] == [second.id]


def test_the_publish_form_offers_the_documents_and_publishes_the_ticked_ones(
    adopted_with_four_uploads, client, people, clock
):
    act, docs = adopted_with_four_uploads
    login(client, people.albo.username)
    page = client.get(f"/atti/{act.id}").get_data(as_text=True)
    assert f'name="atto" value="{docs["buono"].id}"' in page
    assert "non ha firme digitali" in page  # the draft is offered disabled, with why
    response = client.post(
        f"/atti/{act.id}/passaggi/pubblica",
        data={
            "csrf_token": _csrf(page),
            "version": str(act.version),
            "atto": str(docs["buono"].id),
            "allegati": [str(docs["allegato"].id), str(docs["omissis"].id)],
        },
    )
    assert response.status_code == 302
    published = {d.id for d in acts.published_documents(acts.get(act.id))}
    assert published == {docs["buono"].id, docs["allegato"].id, docs["omissis"].id}


def _csrf(page: str) -> str:
    from tests.conftest import csrf_from

    return csrf_from(page)


# ---- 2. withdrawal before publication, never after ---------------------------------------------


def test_a_wrong_upload_is_withdrawn_before_publication_kept_and_audited(
    adopted_with_four_uploads, client, people, clock
):
    act, docs = adopted_with_four_uploads
    document = documents.withdraw(
        act.id,
        docs["bozza"].id,
        expected_version=act.version,
        reason="Caricata la bozza per errore.",
        actor=people.albo,
        clock=clock,
    )
    assert document.withdrawn_by_id == people.albo.id and document.withdrawn_at is not None
    act = acts.get(act.id)
    assert docs["bozza"].id in {d.id for d in act.documents}  # never deleted
    with pytest.raises(GuardFailed, match="è stato ritirato"):
        publish(act, people, clock, atto=docs["bozza"].id)
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "act.document_withdrawn")
    )
    assert json.loads(event.payload)["motivazione"] == "Caricata la bozza per errore."
    login(client, people.direzione.username)
    page = client.get(f"/atti/{act.id}").get_data(as_text=True)
    assert "Ritirato il" in page and "Caricata la bozza per errore." in page


def test_a_role_changes_before_publication_with_before_and_after_audited(
    adopted_with_four_uploads, people, clock
):
    act, docs = adopted_with_four_uploads
    documents.change_role(
        act.id,
        docs["allegato"].id,
        expected_version=act.version,
        kind="non_pubblicabile",
        actor=people.albo,
        clock=clock,
    )
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "act.document_role_changed")
    )
    payload = json.loads(event.payload)
    assert payload["before"]["kind"] == "allegato"
    assert payload["after"]["kind"] == "non_pubblicabile"


def test_an_original_with_a_live_omissis_is_not_withdrawn_first(
    adopted_with_four_uploads, people, clock
):
    act, docs = adopted_with_four_uploads
    with pytest.raises(Conflict, match="ritirare prima quella"):
        documents.withdraw(
            act.id,
            docs["originale"].id,
            expected_version=act.version,
            reason="x",
            actor=people.albo,
            clock=clock,
        )


def test_after_publication_nothing_is_withdrawn_or_changed_409(client, people, clock, token_for):
    act = to_published(propose(people, clock), people, clock)
    document = act.documents[0]
    headers = token_for(people.albo)
    withdrawn = client.post(
        f"/api/v1/acts/{act.id}/documents/{document.id}/withdraw",
        json={"version": act.version, "motivazione": "Errore"},
        headers=headers,
    )
    assert withdrawn.status_code == 409
    assert "si può solo annullarla" in withdrawn.get_json()["error"]["message"]
    changed = client.post(
        f"/api/v1/acts/{act.id}/documents/{document.id}/role",
        json={"version": act.version, "kind": "allegato"},
        headers=headers,
    )
    assert changed.status_code == 409
    assert acts.get(act.id).documents[0].withdrawn_at is None


def test_withdrawal_before_publication_through_the_api(client, people, clock, token_for):
    act = attach_signed(to_adopted(propose(people, clock), people, clock), people, clock)
    document = act.documents[0]
    response = client.post(
        f"/api/v1/acts/{act.id}/documents/{document.id}/withdraw",
        json={"version": act.version, "motivazione": "Versione sbagliata"},
        headers=token_for(people.albo),
    )
    assert response.status_code == 200
    withdrawn = response.get_json()["document"]["withdrawn"]
    assert (
        withdrawn["by"] == people.albo.username and withdrawn["motivazione"] == "Versione sbagliata"
    )
    with pytest.raises(GuardFailed, match="Manca il documento dell'atto"):
        publish(acts.get(act.id), people, clock)


# ---- 3. annulment forever ----------------------------------------------------------------------


def test_annulled_before_the_end_reads_annulled_after_it_everywhere(
    client, people, clock, token_for
):
    act = to_published(propose(people, clock), people, clock)
    fire(act, "annulla_pubblicazione", people.albo, clock, motivazione="Atto errato")
    at(clock, 20)  # window was 01/07–15/07
    page = client.get("/albo/2025/1").get_data(as_text=True)
    assert "PUBBLICAZIONE ANNULLATA" in page and "Atto errato" in page
    assert "PUBBLICAZIONE TERMINATA" not in page
    listed = client.get("/albo?numero=1/2025").get_data(as_text=True)
    assert "PUBBLICAZIONE ANNULLATA" in listed and "Atto errato" in listed
    shown = client.get(f"/api/v1/acts/{act.id}", headers=token_for(people.albo)).get_json()
    assert shown["record"]["stato"] == "PUBBLICAZIONE ANNULLATA"
    assert shown["albo"]["annullamento"]["motivazione"] == "Atto errato"
    assert shown["stato"] == "PUBBLICAZIONE ANNULLATA"
    login(client, people.direzione.username)
    staff = client.get(f"/atti/{act.id}").get_data(as_text=True)
    assert "PUBBLICAZIONE ANNULLATA" in staff and "Atto errato" in staff
    assert "PUBBLICAZIONE ANNULLATA" in client.get("/atti").get_data(as_text=True)


# ---- 4. proroga --------------------------------------------------------------------------------

PROROGA = {"motivazione": "Interruzione del servizio il 10/07/2025", "numero": "7/2025"}


def test_proroga_moves_the_window_the_relata_and_its_deadline(client, people, clock):
    act = to_published(propose(people, clock), people, clock)
    key = f"act:{act.id}:relata"
    before = db.session.scalar(select(Deadline).where(Deadline.source_key == key)).due_date
    assert before == date(2025, 7, 16)
    at(clock, 10)
    act = fire(act, "proroga", people.albo, clock, al="2025-07-18", data="2025-07-10", **PROROGA)
    assert act.published_to == date(2025, 7, 18) and act.state == "pubblicato"
    db.session.expire_all()
    after = db.session.scalar(select(Deadline).where(Deadline.source_key == key))
    assert after.due_date == date(2025, 7, 21)  # 19-20/07 are a weekend
    page = client.get("/albo/2025/1").get_data(as_text=True)
    assert "dal 01/07/2025 al 18/07/2025" in page
    assert "Periodo originario: dal 01/07/2025 al 15/07/2025" in page
    assert "atto n. 7/2025 del 10/07/2025" in page
    at(clock, 16)
    assert "PUBBLICATO ATTIVO" in client.get("/albo/2025/1").get_data(as_text=True)
    with pytest.raises(GuardFailed, match="ultimo giorno 18/07/2025"):
        fire(acts.get(act.id), "relata", people.segretario, clock)
    at(clock, 19)
    act = fire(acts.get(act.id), "relata", people.segretario, clock)
    assert act.state == "pubblicazione_certificata"


def test_proroga_refused_when_ended_annulled_or_not_later(people, clock):
    act = to_published(propose(people, clock), people, clock)
    with pytest.raises(GuardFailed, match="deve essere successiva alla fine attuale"):
        fire(act, "proroga", people.albo, clock, al="2025-07-15", data="2025-07-01", **PROROGA)
    at(clock, 16)
    with pytest.raises(GuardFailed, match="terminata il 15/07/2025"):
        fire(act, "proroga", people.albo, clock, al="2025-07-20", data="2025-07-16", **PROROGA)
    other = to_published(propose(people, clock, oggetto="ALTRO"), people, clock)
    other = fire(other, "annulla_pubblicazione", people.albo, clock, motivazione="Errore")
    with pytest.raises(Conflict):
        fire(other, "proroga", people.albo, clock, al="2025-08-20", data="2025-07-16", **PROROGA)


# ---- 5. referto di pubblicazione and the register ----------------------------------------------


@pytest.fixture
def certified(people, clock):
    """Published 01/07, extended to 18/07, relata on 21/07/2025."""
    act = to_published(propose(people, clock), people, clock)
    act = fire(act, "proroga", people.albo, clock, al="2025-07-18", data="2025-07-01", **PROROGA)
    at(clock, 21)
    return fire(act, "relata", people.segretario, clock, note="Pubblicazione regolare.")


def test_the_referto_pdf_carries_the_acts_data_window_proroga_and_attestation(
    certified, client, people
):
    login(client, people.segretario.username)
    response = client.get(f"/atti/{certified.id}/referto.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(response.data))
    text = " ".join(page.extract_text() for page in reader.pages)
    text = " ".join(text.split())
    for expected in (
        "REFERTO DI PUBBLICAZIONE N. 1/2025",
        "Repertorio Generale: 1/2025 del 01/07/2025",
        "Protocollo: 1/2025",
        "Oggetto: APPROVAZIONE DELLO SCHEMA",
        "In Pubblicazione: dal 01/07/2025 al 15/07/2025",
        "Proroga: al 18/07/2025, atto n. 7/2025 del 01/07/2025",
        certified.documents[0].sha256_hex,
        "ATTESTA",
        "per 18 giorni consecutivi, dal 01/07/2025 al 18/07/2025",
        "Antonio Sebastiano Purcaro",
    ):
        assert expected in text, expected
    assert reader.metadata is None or "Referto" in (reader.metadata.title or "Referto")
    # PDF/A-2B: the font it embeds ships with the package (PDF_FONT), so always.
    xmp = reader.xmp_metadata
    assert (xmp.pdfaid_part, xmp.pdfaid_conformance) == ("2", "B")
    assert xmp.dc_title["x-default"] == "Referto di pubblicazione n. 1/2025"


def test_the_signed_referto_is_checked_and_shown_with_the_record(certified, client, people, clock):
    login(client, people.segretario.username)
    body = client.get(f"/atti/{certified.id}/referto.pdf").data
    ca = TestCA()
    act = acts.get(certified.id)
    wrong = sign(body, ca.signer(people.sindaco.full_name), "Firma1")
    with pytest.raises(GuardFailed, match="manca la firma digitale di Antonio Sebastiano Purcaro"):
        documents.attach_referto(
            act.id,
            expected_version=act.version,
            filename="referto.pdf",
            content=wrong,
            actor=people.segretario,
            clock=clock,
        )
    good = sign(body, ca.signer(people.segretario.full_name), "Firma1")
    document = documents.attach_referto(
        act.id,
        expected_version=act.version,
        filename="referto-firmato.pdf",
        content=good,
        actor=people.segretario,
        clock=clock,
    )
    page = client.get("/albo/2025/1").get_data(as_text=True)
    assert "Referto di pubblicazione" in page and "referto-firmato.pdf" in page
    assert "PUBBLICAZIONE TERMINATA" in page
    download = client.get(f"/albo/2025/1/documenti/{document.id}")
    assert download.status_code == 200 and download.data == good
    act = acts.get(act.id)
    with pytest.raises(Conflict, match="già stato caricato"):
        documents.attach_referto(
            act.id,
            expected_version=act.version,
            filename="referto-2.pdf",
            content=good,
            actor=people.segretario,
            clock=clock,
        )


def test_the_register_of_the_year_lists_every_publication_printable_and_csv(
    certified, client, people, clock, token_for
):
    other = to_published(propose(people, clock, oggetto="SECONDO ATTO"), people, clock)
    fire(other, "annulla_pubblicazione", people.albo, clock, motivazione="Errore materiale")
    login(client, people.direzione.username)
    page = client.get("/atti/albo/registro?anno=2025").get_data(as_text=True)
    assert "1/2025" in page and "2/2025" in page and "18/07/2025" in page
    assert "PUBBLICAZIONE ANNULLATA" in page and "Errore materiale" in page
    csv = client.get("/atti/albo/registro?anno=2025&formato=csv")
    assert csv.status_code == 200
    lines = csv.get_data(as_text=True).splitlines()
    assert lines[0].startswith("Pubblicazione Nr,Tipo,Repertorio Generale")
    assert len(lines) == 3
    api = client.get("/api/v1/albo/registro?anno=2025", headers=token_for(people.albo))
    assert api.status_code == 200 and api.get_data(as_text=True).splitlines()[1:] == lines[1:]
    assert client.get("/atti/albo/registro?anno=abc").status_code == 422
