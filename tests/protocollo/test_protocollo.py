"""The protocol register (DPR 445/2000 artt. 53-57): incoming and outgoing registrations with
their correspondents, number and date from the system, nothing edited afterwards (no route, and
the database refuses), annulment visible everywhere, the AgID segnatura read back, contributions
numbered as incoming registrations, the fascicolo on one page, and who may do what."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
from datetime import date, datetime
from pathlib import Path
from xml.etree import ElementTree

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.act_factories import FAVOREVOLE, fire, make_people, propose
from tests.conftest import csrf_from, login
from tests.factories import TO_CONSULTATION, open_psttm, run
from workflow.acts.register_models import RegisterEntry
from workflow.audit.models import AuditEvent
from workflow.consultations import operations as contributions
from workflow.consultations import territory
from workflow.consultations.models import Body
from workflow.core.clock import ROME
from workflow.core.errors import Conflict, InvalidData, NotAllowed
from workflow.extensions import db
from workflow.protocollo import operations as protocollo
from workflow.protocollo import queries
from workflow.protocollo.models import Registration
from workflow.protocollo.operations import CorrespondentData, DocumentData

PDF = b"%PDF-1.4\n% lettera di prova\n%%EOF\n"
ANNEX = b"%PDF-1.4\n% allegato\n%%EOF\n"
NS = {"prot": "http://www.agid.gov.it/protocollo/"}
COMUNE = CorrespondentData("Comune di Bresso", "protocollo@pec.comune.bresso.mi.it", "01234567897")


@pytest.fixture
def people(app, clock):
    return make_people(clock)


def outgoing(people, clock, **overrides):
    values = dict(
        direction="uscita",
        oggetto="Trasmissione dello schema di Piano strategico 2025-2027",
        document_date=date(2025, 6, 30),
        correspondents=[
            CorrespondentData("Regione Lombardia", "presidenza@pec.regione.lombardia.it"),
            COMUNE,
        ],
        fascicolo="2.16/2024/1",
        documents=[DocumentData("lettera.pdf", PDF), DocumentData("schema.pdf", ANNEX)],
        actor=people.direzione,
        clock=clock,
    )
    values.update(overrides)
    return protocollo.register(**values)


def incoming(people, clock, **overrides):
    values = dict(
        direction="entrata",
        oggetto="Osservazioni del Comune di Bresso",
        document_date=date(2025, 6, 27),
        sender_protocol="4521/2025",
        sender_protocol_date=date(2025, 6, 27),
        correspondents=[COMUNE],
        fascicolo="2.16/2024/1",
        documents=[DocumentData("osservazioni.pdf", PDF)],
        actor=people.segretario,
        clock=clock,
    )
    values.update(overrides)
    return protocollo.register(**values)


def test_outgoing_registration_gets_number_date_and_keeps_its_correspondents(people, clock) -> None:
    registration = outgoing(people, clock)
    row = queries.row_of(registration.entry)
    assert row.label == "0000001/2025"
    assert registration.entry.registered_at.replace(tzinfo=None) == clock.now().replace(tzinfo=None)
    assert [(c.role, c.name) for c in registration.correspondents] == [
        ("destinatario", "Regione Lombardia"),
        ("destinatario", "Comune di Bresso"),
    ]
    assert [d.sha256 for d in registration.documents] == [
        hashlib.sha256(PDF).hexdigest(),
        hashlib.sha256(ANNEX).hexdigest(),
    ]
    assert registration.entry.fingerprint == hashlib.sha256(PDF).hexdigest()
    event = db.session.query(AuditEvent).order_by(AuditEvent.seq.desc()).first()
    assert event.action == "protocol.registered"
    assert json.loads(event.payload)["protocollo"] == "0000001/2025"


def test_incoming_registration_has_one_mittente_and_the_senders_protocol(people, clock) -> None:
    registration = incoming(people, clock)
    assert registration.direction == "entrata"
    assert [c.role for c in registration.correspondents] == ["mittente"]
    assert registration.sender_protocol == "4521/2025"
    with pytest.raises(InvalidData, match="un solo mittente"):
        incoming(people, clock, correspondents=[COMUNE, CorrespondentData("Altro")])
    with pytest.raises(InvalidData, match="precede la data del documento"):
        incoming(people, clock, sender_protocol_date=date(2025, 6, 26))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"document_date": date(2025, 7, 2)}, "futura"),
        ({"correspondents": [CorrespondentData("X", "non-un-indirizzo")]}, "non valido"),
        ({"correspondents": [CorrespondentData("X", "", "ABC")]}, "codice fiscale di X"),
        # A typing slip in the check character: a person's, and a body's / partita IVA.
        ({"correspondents": [CorrespondentData("X", "", "RSSMRA80A01F205Z")]}, "dovrebbe essere X"),
        ({"correspondents": [CorrespondentData("X", "", "12345678901")]}, "dovrebbe essere 3"),
        ({"fascicolo": "2.16/2024/0"}, "numerati da 1"),
        ({"correspondents": []}, "almeno un destinatario"),
        ({"fascicolo": "fascicolo a caso"}, "Classificazione non valida"),
        ({"fascicolo": "2.16/0000/1"}, "non è plausibile"),
        ({"fascicolo": "2.16/2031/1"}, "non è plausibile"),
        ({"documents": []}, "Manca il documento"),
        ({"documents": [DocumentData("lettera.pdf", b"non un pdf")]}, "non è un PDF"),
        ({"oggetto": "  "}, "oggetto"),
        ({"sender_protocol": "12/2025"}, "solo per i documenti in entrata"),
    ],
)
def test_a_refused_registration_consumes_no_number(people, clock, overrides, message) -> None:
    with pytest.raises(InvalidData, match=message):
        outgoing(people, clock, **overrides)
    assert queries.row_of(outgoing(people, clock).entry).label == "0000001/2025"


def test_only_the_registrars_register_and_only_the_segretario_annuls(people, clock) -> None:
    with pytest.raises(NotAllowed):
        outgoing(people, clock, actor=people.dirigente)
    registration = outgoing(people, clock)
    entry = registration.entry
    with pytest.raises(NotAllowed):
        protocollo.annul(
            entry.year,
            entry.number,
            reason="x",
            authorising_act="y",
            actor=people.direzione,
            clock=clock,
        )


def annul(people, clock, entry):
    return protocollo.annul(
        entry.year,
        entry.number,
        reason="Registrato due volte per errore.",
        authorising_act="Provvedimento del Segretario Generale n. 3/2025",
        actor=people.segretario,
        clock=clock,
    )


def test_annulment_keeps_the_original_and_cannot_happen_twice(people, clock) -> None:
    entry = outgoing(people, clock).entry
    with pytest.raises(InvalidData, match="motivo"):
        protocollo.annul(
            entry.year,
            entry.number,
            reason=" ",
            authorising_act="P. 1",
            actor=people.segretario,
            clock=clock,
        )
    annulment = annul(people, clock, entry)
    assert annulment.annulled_by_id == people.segretario.id
    row = queries.row_of(entry)
    assert row.stato == queries.ANNULLATO
    assert queries.annulled_entry_ids([entry.id, entry.id + 1]) == {entry.id}
    assert row.oggetto == "Trasmissione dello schema di Piano strategico 2025-2027"
    with pytest.raises(Conflict, match="già annullato"):
        annul(people, clock, entry)


def segnatura_of(client, headers, entry) -> ElementTree.Element:
    response = client.get(
        f"/api/v1/protocollo/{entry.year}/{entry.number}/segnatura", headers=headers
    )
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    return response


def test_segnatura_parses_back_with_the_registered_fields(people, clock, client, token_for):
    registration = outgoing(people, clock)
    entry = registration.entry
    response = segnatura_of(client, token_for(people.direzione), entry)
    assert response.headers["X-Protocollo-Stato"] == "valido"
    root = ElementTree.fromstring(response.data)
    assert root.tag == "{http://www.agid.gov.it/protocollo/}SegnaturaInformatica"
    assert root.get("{http://www.agid.gov.it/protocollo/}versione") == "3.0.0"
    ident = root.find("prot:Intestazione/prot:Identificatore", NS)
    assert ident.findtext("prot:CodiceAmministrazione", namespaces=NS) == "cmmi"
    assert ident.findtext("prot:CodiceRegistro", namespaces=NS) == "PROTOCOLLO"
    assert ident.findtext("prot:NumeroRegistrazione", namespaces=NS) == "0000001"
    assert ident.findtext("prot:DataRegistrazione", namespaces=NS) == "2025-07-01"
    assert ident.findtext("prot:OraRegistrazione", namespaces=NS) == "10:00:00+02:00"
    header = root.find("prot:Intestazione", NS)
    assert header.findtext("prot:Oggetto", namespaces=NS) == registration.oggetto
    assert header.findtext("prot:Classifica/prot:CodiceFlat", namespaces=NS) == "2.16"
    assert header.findtext("prot:Fascicolo/prot:CodiceFascicolo", namespaces=NS) == "2.16/2024/1"
    description = root.find("prot:Descrizione", NS)
    sender = description.find("prot:Mittente/prot:Amministrazione", NS)
    assert (
        sender.findtext("prot:DenominazioneAmministrazione", namespaces=NS)
        == "Città metropolitana di Milano"
    )
    assert sender.findtext("prot:CFAmministrazione", namespaces=NS) == "08911820960"
    recipients = [
        d.findtext("prot:PersonaGiuridica/prot:Denominazione", namespaces=NS)
        for d in description.findall("prot:Destinatario", NS)
    ]
    assert recipients == ["Regione Lombardia", "Comune di Bresso"]
    principal = description.find("prot:DocumentoPrimario", NS)
    assert principal.get("{http://www.agid.gov.it/protocollo/}nomeFile") == "lettera.pdf"
    digest = base64.b64decode(principal.findtext("prot:Impronta", namespaces=NS))
    assert digest == hashlib.sha256(PDF).digest()
    assert len(description.findall("prot:Allegato", NS)) == 1


def test_incoming_segnatura_names_the_sender_and_our_aoo_as_recipient(
    people, clock, client, token_for
) -> None:
    entry = incoming(people, clock).entry
    root = ElementTree.fromstring(segnatura_of(client, token_for(people.direzione), entry).data)
    description = root.find("prot:Descrizione", NS)
    sender = description.find("prot:Mittente/prot:PersonaGiuridica", NS)
    assert sender.findtext("prot:Denominazione", namespaces=NS) == "Comune di Bresso"
    assert sender.findtext("prot:PIVAoCF", namespaces=NS) == "01234567897"
    ours = "prot:Destinatario/prot:Amministrazione/prot:CodiceIPAAmministrazione"
    assert description.findtext(ours, namespaces=NS) == "cmmi"


def official_xsd() -> Path | None:
    """AgID's segnatura_protocollo.xsd (github.com/AgID/protocollo-comunicazione-aoo), when a
    copy is at hand: AGID_SEGNATURA_XSD names it. It is not vendored (no licence stated)."""
    path = os.environ.get("AGID_SEGNATURA_XSD", "")
    return Path(path) if path and Path(path).is_file() else None


@pytest.mark.skipif(official_xsd() is None, reason="AGID_SEGNATURA_XSD not set")
def test_segnatura_is_valid_against_agids_schema_but_for_the_seal(
    people, clock, client, token_for
) -> None:
    from lxml import etree

    schema = etree.XMLSchema(etree.parse(str(official_xsd())))
    annulled = incoming(people, clock).entry
    annul(people, clock, annulled)
    for entry in (outgoing(people, clock).entry, annulled):
        data = segnatura_of(client, token_for(people.direzione), entry).data
        assert not schema.validate(etree.fromstring(data))
        # The only fault: the XAdES seal (ds:Signature) the AOO applies with its certificate.
        errors = [e.message for e in schema.error_log]
        assert len(errors) == 1 and "Signature" in errors[0], "\n".join(errors)


def test_annulled_entry_is_marked_in_list_page_api_csv_and_segnatura(
    people, clock, client, token_for
) -> None:
    entry = outgoing(people, clock).entry
    annul(people, clock, entry)
    headers = token_for(people.direzione)

    login(client, "dg")
    page = client.get("/protocollo").get_data(as_text=True)
    assert "Trasmissione dello schema" in page and "Annullato" in page
    page = client.get(f"/protocollo/{entry.year}/{entry.number}").get_data(as_text=True)
    assert "ANNULLATO" in page and "Provvedimento del Segretario Generale n. 3/2025" in page
    assert "Trasmissione dello schema" in page

    answer = client.get(f"/api/v1/protocollo/{entry.year}/{entry.number}", headers=headers).json
    assert answer["annullato"] is True
    assert answer["oggetto"] == "Trasmissione dello schema di Piano strategico 2025-2027"
    assert answer["annullamento"]["provvedimento"].endswith("n. 3/2025")
    listed = client.get("/api/v1/protocollo", headers=headers).json["entries"]
    assert [e["annullato"] for e in listed] == [True]

    assert client.get("/protocollo?formato=excel&anno=2025").status_code == 200
    assert client.get("/protocollo?anno=0000").status_code == 422
    rows = list(csv.DictReader(io.StringIO(client.get("/protocollo.csv").get_data(as_text=True))))
    assert rows[0]["numero"] == "0000001" and rows[0]["stato"] == "ANNULLATO"
    assert rows[0]["annullamento_motivo"] == "Registrato due volte per errore."

    response = segnatura_of(client, headers, entry)
    assert response.headers["X-Protocollo-Stato"] == "annullato"
    assert b"ANNULLATO il 01/07/2025 10:00" in response.data
    root = ElementTree.fromstring(response.data)  # still the registration, unaltered
    assert root.findtext("prot:Intestazione/prot:Oggetto", namespaces=NS).startswith("Trasmissione")


def test_api_registers_and_annuls_once_and_refuses_other_roles(
    people, clock, client, token_for
) -> None:
    body = {
        "direction": "entrata",
        "oggetto": "Richiesta di incontro",
        "document_date": "2025-06-30",
        "fascicolo": "2.16/2024/1",
        "correspondents": [{"name": "Comune di Cormano", "address": "info@comune.cormano.mi.it"}],
        "documents": [
            {"file_name": "richiesta.pdf", "content_base64": base64.b64encode(PDF).decode()}
        ],
    }
    refused = client.post("/api/v1/protocollo", json=body, headers=token_for(people.dirigente))
    assert refused.status_code == 403
    created = client.post("/api/v1/protocollo", json=body, headers=token_for(people.direzione))
    assert created.status_code == 201, created.json
    assert created.json["protocollo"] == "0000001/2025"
    assert created.json["corrispondenti"][0]["ruolo"] == "mittente"
    url = "/api/v1/protocollo/2025/1/annullamento"
    reason = {"reason": "Doppione.", "authorising_act": "Provvedimento n. 4/2025"}
    assert client.post(url, json=reason, headers=token_for(people.direzione)).status_code == 403
    assert client.post(url, json=reason, headers=token_for(people.segretario)).status_code == 200
    again = client.post(url, json=reason, headers=token_for(people.segretario))
    assert again.status_code == 409
    assert (
        client.get("/api/v1/protocollo/2025/9", headers=token_for(people.albo)).status_code == 404
    )


def test_web_form_registers_and_offers_no_edit(people, clock, client) -> None:
    login(client, "dir")
    assert client.get("/protocollo/nuovo").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))})
    login(client, "dg")
    form = client.get("/protocollo/nuovo").get_data(as_text=True)
    data = {
        "csrf_token": csrf_from(form),
        "direction": "uscita",
        "oggetto": "Convocazione del Forum metropolitano",
        "document_date": "2025-06-30",
        "fascicolo": "2.16/2024/1",
        "correspondents-0-name": "Assolombarda",
        "correspondents-0-address": "segreteria@assolombarda.it",
        "correspondents-1-name": "",
        "documents": (io.BytesIO(PDF), "convocazione.pdf"),
    }
    response = client.post("/protocollo/nuovo", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/protocollo/2025/1")
    page = client.get("/protocollo/2025/1").get_data(as_text=True)
    assert "Convocazione del Forum metropolitano" in page and "Assolombarda" in page
    assert hashlib.sha256(PDF).hexdigest() in page
    # Art. 53: no operation edits a registration, so no route takes a change.
    for method in ("put", "patch", "delete"):
        assert getattr(client, method)("/protocollo/2025/1").status_code == 405
    # A refused form keeps what was typed and gives no number.
    data["csrf_token"] = csrf_from(page)
    data["document_date"] = "2025-07-09"
    data["documents"] = (io.BytesIO(PDF), "convocazione.pdf")
    refused = client.post("/protocollo/nuovo", data=data, content_type="multipart/form-data")
    assert refused.status_code == 422
    assert "futura" in refused.get_data(as_text=True)
    assert "Convocazione del Forum metropolitano" in refused.get_data(as_text=True)
    assert db.session.query(RegisterEntry).count() == 1


def raw(statement: str) -> None:
    with db.engine.begin() as connection:
        connection.execute(text(statement))


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE register_entries SET subject = 'altro'",
        "UPDATE register_entries SET fingerprint = ''",
        "UPDATE register_entries SET number = number + 1",
        "DELETE FROM register_entries",
        "UPDATE protocol_registrations SET oggetto = 'altro'",
        "DELETE FROM protocol_registrations",
        "UPDATE protocol_correspondents SET name = 'altro'",
        "UPDATE protocol_documents SET sha256 = ''",
        "DELETE FROM protocol_annulments",
        "UPDATE protocol_annulments SET reason = 'altro'",
        "UPDATE act_events SET event = 'altro'",
        "DELETE FROM act_events",
    ],
)
def test_database_refuses_editing_or_deleting_what_was_registered(people, clock, statement) -> None:
    annul(people, clock, outgoing(people, clock).entry)
    fire(propose(people, clock), "parere_tecnico", people.dirigente, clock, **FAVOREVOLE)
    db.session.commit()
    with pytest.raises(DBAPIError, match="sola lettura"):
        raw(statement)


def test_contribution_becomes_an_incoming_registration_of_the_same_series(people, clock) -> None:
    territory.load(clock=clock)
    procedure = run(open_psttm(people.direzione, clock), TO_CONSULTATION, people.direzione, clock)
    consultation = contributions.open_consultation(
        procedure.id,
        deadline=date(2025, 2, 28),
        zones=["nord_milano"],
        actor=people.direzione,
        clock=clock,
    )
    outgoing(people, clock)  # 0000001
    bresso = db.session.query(Body).filter_by(name="Bresso").one()
    contribution = contributions.register_contribution(
        consultation.id,
        body_id=bresso.id,
        received_at=datetime(2025, 2, 20, 9, 0, tzinfo=ROME),
        channel="pec",
        summary="Osservazioni sulla mobilità",
        themes=["D5"],
        file_name="contributo.pdf",
        content=PDF,
        actor=people.direzione,
        clock=clock,
    )
    assert contribution.protocol == "0000002/2025"
    registration = (
        db.session.query(Registration).filter_by(entry_id=contribution.protocol_entry_id).one()
    )
    assert registration.direction == "entrata"
    assert [(c.role, c.name) for c in registration.correspondents] == [("mittente", "Bresso")]
    assert registration.documents[0].sha256 == contribution.file_sha256
    assert registration.document_date == date(2025, 2, 20)
    assert registration.fascicolo == "2.16/2024/1"
    rows = queries.search(queries.Filters(direction="entrata"))
    assert [r.label for r in rows] == ["0000002/2025"]


def test_fascicolo_page_gathers_acts_steps_and_registrations(people, clock, client) -> None:
    procedure = run(open_psttm(people.direzione, clock), ["avvia"], people.direzione, clock)
    act = propose(people, clock, procedure_id=procedure.id)
    incoming(people, clock)
    outgoing(people, clock, fascicolo="1.1/2025/3", oggetto="Altro fascicolo")
    login(client, "albo")
    page = client.get("/fascicolo?codice=2.16/2024/1").get_data(as_text=True)
    assert "Fascicolo 2.16/2024/1" in page
    assert f"/atti/{act.id}" in page
    assert f"/procedimenti/{procedure.id}" in page and "264/2024" in page
    assert "Osservazioni del Comune di Bresso" in page and "Altro fascicolo" not in page
    # Searching the fascicolo finds it, in the acts and in the register, and offers its page.
    acts_page = client.get("/atti?q=2.16/2024/1").get_data(as_text=True)
    assert f"/atti/{act.id}" in acts_page and "/fascicolo?codice=2.16/2024/1" in acts_page
    found = client.get("/protocollo?q=2.16/2024/1").get_data(as_text=True)
    assert "Osservazioni del Comune di Bresso" in found and "Altro fascicolo" not in found
    assert client.get(f"/atti/{act.id}").get_data(as_text=True).count("/fascicolo?codice=") >= 1
    assert client.get("/fascicolo?codice=nulla").status_code == 422
