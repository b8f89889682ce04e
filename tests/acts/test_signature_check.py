"""Issue 17 §2: a signature counts only if intact, unchanged after it beyond what it allows, and
(when trust roots are configured) issued under them; its signer is recognised by codice fiscale.

Every PDF is built here with pyHanko: signed by a throw-away CA (workflow/demo/signing.py), then
changed by an incremental update where a test needs it."""

from __future__ import annotations

import io

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from tests.act_factories import fire, make_people, propose, to_adopted
from tests.conftest import csrf_from, login
from workflow.acts import documents, signature_check
from workflow.acts import operations as acts
from workflow.core.errors import GuardFailed
from workflow.demo.signing import TestCA, sign, signed_pdf, simple_pdf

CF_VASSALLO = "VSSFNC70E12F205S"
CF_PURCARO = "PRCNNS65C21F839V"
CF_OTHER = "RSSMRA85T10A562S"


def rewrite_page(pdf: bytes, text: str) -> bytes:
    """An incremental update that gives the first page new content, as a forger would."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    page = writer.root["/Pages"]["/Kids"][0]
    body = f"BT /F1 11 Tf 56 790 Td ({text}) Tj ET".encode()
    page[pdf_name("/Contents")] = writer.add_object(generic.StreamObject(stream_data=body))
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def people(app, clock):
    people = make_people(clock)
    return people


def upload(act, people, clock, pdf: bytes, name: str = "decreto.pdf"):
    documents.attach(
        act.id,
        expected_version=act.version,
        filename=name,
        content=pdf,
        kind="atto",
        actor=people.albo,
        clock=clock,
    )
    return acts.get(act.id)


def decree(people, ca: TestCA | None = None, names=None, codes=None) -> bytes:
    return signed_pdf(
        ["DECRETO DEL SINDACO METROPOLITANO", "Originale"],
        ca or TestCA(),
        names or [people.sindaco.full_name, people.segretario.full_name],
        codes,
    )


def test_page_rewritten_after_two_signatures_is_modified_after_signing():
    pdf = signed_pdf(["Decreto originale"], TestCA(), ["Francesco Vassallo", "A. S. Purcaro"])
    check = documents.check_signatures(rewrite_page(pdf, "Decreto cambiato"))
    assert check.status == "modificato_dopo_la_firma" and not check.valid
    assert [s.intact for s in check.signatures] == [True, True]  # the signed bytes still hash
    assert [s.modification_ok for s in check.signatures] == [False, False]
    assert "modificato dopo la firma di Francesco Vassallo, A. S. Purcaro" in check.message
    assert all("modificato dopo la firma" in s.summary for s in check.signatures)


def test_a_second_signature_after_the_first_is_an_allowed_change():
    ca = TestCA()
    pdf = sign(simple_pdf(["Decreto"]), ca.signer("A"), "Firma1")
    check = documents.check_signatures(sign(pdf, ca.signer("B"), "Firma2"))
    assert check.valid and check.status == "firmato"
    first, second = check.signatures
    assert first.modification_ok and "modifiche successive ammesse" in first.summary
    assert second.modification_ok and "nessuna modifica dopo la firma" in second.summary


def test_publication_refused_for_a_decree_changed_after_both_signatures(client, people, clock):
    act = to_adopted(propose(people, clock), people, clock)
    act = upload(act, people, clock, rewrite_page(decree(people), "Decreto cambiato"))
    assert act.documents[-1].signature_status == "modificato_dopo_la_firma"
    with pytest.raises(GuardFailed, match="modificato dopo la firma"):
        fire(act, "pubblica", people.albo, clock)
    assert acts.get(act.id).albo_number is None
    login(client, "albo")
    page = client.get(f"/atti/{act.id}").get_data(as_text=True)
    assert "Il documento è stato modificato dopo la firma di Francesco Vassallo" in page


def test_without_trust_roots_the_chain_is_not_judged_and_pages_say_so(app, client, people, clock):
    act = to_adopted(propose(people, clock), people, clock)
    act = upload(act, people, clock, decree(people))
    signature = act.documents[-1].signatures[0]
    assert signature.trust_checked is False and signature.trusted is False
    act = fire(act, "pubblica", people.albo, clock)  # not blocked: nothing to check against
    albo = client.get(f"/albo/{act.albo_year}/{act.albo_number}").get_data(as_text=True)
    assert "firma non verificata rispetto a un elenco di certificatori fidati" in albo
    login(client, "albo")
    page = client.get(f"/atti/{act.id}").get_data(as_text=True)
    assert "firma non verificata rispetto a un elenco di certificatori fidati" in page


def test_untrusted_chain_blocks_publication_when_roots_are_configured(app, people, clock, tmp_path):
    roots = tmp_path / "fidati.pem"
    roots.write_bytes(TestCA(name="Certificatore qualificato").pem())
    app.config["SIGNATURE_TRUST_ROOTS"] = str(roots)
    act = to_adopted(propose(people, clock), people, clock)
    act = upload(act, people, clock, decree(people, TestCA(name="CA sconosciuta")))
    assert act.documents[-1].signature_status == "firma_non_fidata"
    with pytest.raises(GuardFailed, match="non risale ai certificatori fidati configurati"):
        fire(act, "pubblica", people.albo, clock)


def test_chain_to_a_configured_root_passes(app, client, people, clock, tmp_path):
    ca = TestCA(name="Certificatore qualificato")
    roots = tmp_path / "fidati.pem"
    roots.write_bytes(TestCA().pem() + ca.pem())
    app.config["SIGNATURE_TRUST_ROOTS"] = str(roots)
    act = to_adopted(propose(people, clock), people, clock)
    act = upload(act, people, clock, decree(people, ca))
    assert [(s.trust_checked, s.trusted) for s in act.documents[-1].signatures] == [
        (True, True),
        (True, True),
    ]
    act = fire(act, "pubblica", people.albo, clock)
    assert act.albo_number is not None
    albo = client.get(f"/albo/{act.albo_year}/{act.albo_number}").get_data(as_text=True)
    assert "non verificata rispetto a un elenco" not in albo


def test_document_checked_before_roots_were_configured_must_be_uploaded_again(
    app, people, clock, tmp_path
):
    ca = TestCA()
    act = to_adopted(propose(people, clock), people, clock)
    act = upload(act, people, clock, decree(people, ca))
    roots = tmp_path / "fidati.pem"
    roots.write_bytes(ca.pem())
    app.config["SIGNATURE_TRUST_ROOTS"] = str(roots)
    with pytest.raises(GuardFailed, match="caricalo di nuovo"):
        fire(act, "pubblica", people.albo, clock)


def test_signer_recognised_by_codice_fiscale_whatever_the_name_spelling(people, clock):
    from workflow.extensions import db

    people.sindaco.codice_fiscale = CF_VASSALLO
    people.segretario.codice_fiscale = CF_PURCARO
    db.session.commit()
    act = to_adopted(propose(people, clock), people, clock)
    pdf = decree(
        people,
        names=["VASSALLO FRANCESCO", "PURCARO A. SEBASTIANO"],
        codes=[CF_VASSALLO, CF_PURCARO],
    )
    act = upload(act, people, clock, pdf)
    assert [s.codice_fiscale for s in act.documents[-1].signatures] == [CF_VASSALLO, CF_PURCARO]
    assert fire(act, "pubblica", people.albo, clock).albo_number is not None


@pytest.mark.parametrize(
    "names",
    [
        ["VASSALLO FRANCESCO", "PURCARO ANTONIO SEBASTIANO"],
        ["francesco vassallo", "Sebastiano Antonio PURCARO"],
    ],
)
def test_signer_recognised_by_name_in_either_order_and_case(people, clock, names):
    act = to_adopted(propose(people, clock), people, clock)
    act = upload(act, people, clock, decree(people, names=names))
    assert fire(act, "pubblica", people.albo, clock).albo_number is not None


def test_a_different_codice_fiscale_is_someone_else_even_with_the_same_name(people, clock):
    from workflow.extensions import db

    people.segretario.codice_fiscale = CF_PURCARO
    db.session.commit()
    act = to_adopted(propose(people, clock), people, clock)
    pdf = decree(people, codes=[CF_VASSALLO, CF_OTHER])  # the right names, a wrong CF
    act = upload(act, people, clock, pdf)
    with pytest.raises(
        GuardFailed,
        match=f"manca la firma digitale di Antonio Sebastiano Purcaro .*{CF_PURCARO}",
    ):
        fire(act, "pubblica", people.albo, clock)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("PURCARO ANTONIO SEBASTIANO", "Antonio Sebastiano Purcaro", True),
        ("Nicolò D'Amico", "DAMICO NICOLO", True),
        ("Maria Rossi-Bianchi", "ROSSI BIANCHI MARIA", True),
        ("Antonio Purcaro", "Antonio Sebastiano Purcaro", False),
    ],
)
def test_name_key_ignores_case_accents_apostrophes_and_order(a, b, same):
    assert (signature_check.name_key(a) == signature_check.name_key(b)) is same


def test_codice_fiscale_read_from_the_certificate_serial_number():
    pdf = signed_pdf(["x"], TestCA(), ["Francesco Vassallo"], [CF_VASSALLO])
    (signature,) = documents.check_signatures(pdf).signatures
    assert signature.codice_fiscale == CF_VASSALLO


def test_admin_page_warns_that_trust_checking_is_off(app, client, make_user, tmp_path):
    from workflow.access.roles import ADMIN

    admin = make_user(ADMIN)
    login(client, admin.username)
    assert "Verifica della fiducia delle firme disattivata" in client.get("/admin/utenti").get_data(
        as_text=True
    )
    roots = tmp_path / "fidati.pem"
    roots.write_bytes(TestCA().pem())
    app.config["SIGNATURE_TRUST_ROOTS"] = str(roots)
    page = client.get("/admin/utenti").get_data(as_text=True)
    assert "Verifica della fiducia delle firme disattivata" not in page
    assert csrf_from(page)


# ---- The trusted list (ETSI TS 119 612), as AgID publishes Italy's: signed XML ----

GRANTED = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted"
WITHDRAWN = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/withdrawn"


def trusted_list(services: list[tuple[TestCA, str]], operator: TestCA) -> bytes:
    """A trusted list with one qualified CA service (Svctype/CA/QC) per (CA, status), signed
    (XAdES, enveloped) by the list operator, as the Italian list is signed by AgID."""
    import base64

    from cryptography.hazmat.primitives import serialization
    from lxml import etree
    from signxml import methods
    from signxml.xades import XAdESSigner

    def service(ca: TestCA, status: str) -> str:
        der = base64.b64encode(ca.cert.public_bytes(serialization.Encoding.DER)).decode()
        return (
            "<tsl:TSPService><tsl:ServiceInformation>"
            "<tsl:ServiceTypeIdentifier>http://uri.etsi.org/TrstSvc/Svctype/CA/QC"
            "</tsl:ServiceTypeIdentifier>"
            f'<tsl:ServiceName><tsl:Name xml:lang="it">{ca.name}</tsl:Name></tsl:ServiceName>'
            "<tsl:ServiceDigitalIdentity><tsl:DigitalId>"
            f"<tsl:X509Certificate>{der}</tsl:X509Certificate>"
            "</tsl:DigitalId></tsl:ServiceDigitalIdentity>"
            f"<tsl:ServiceStatus>{status}</tsl:ServiceStatus>"
            "<tsl:StatusStartingTime>2016-06-30T22:00:00Z</tsl:StatusStartingTime>"
            "</tsl:ServiceInformation></tsl:TSPService>"
        )

    xml = (
        '<tsl:TrustServiceStatusList xmlns:tsl="http://uri.etsi.org/02231/v2#" Id="TSL" '
        'TSLTag="http://uri.etsi.org/19612/TSLTag"><tsl:SchemeInformation>'
        "<tsl:TSLVersionIdentifier>5</tsl:TSLVersionIdentifier>"
        "<tsl:TSLSequenceNumber>1</tsl:TSLSequenceNumber>"
        "<tsl:SchemeTerritory>IT</tsl:SchemeTerritory></tsl:SchemeInformation>"
        "<tsl:TrustServiceProviderList><tsl:TrustServiceProvider><tsl:TSPInformation>"
        '<tsl:TSPName><tsl:Name xml:lang="it">Prestatore di prova</tsl:Name></tsl:TSPName>'
        "</tsl:TSPInformation><tsl:TSPServices>"
        + "".join(service(ca, status) for ca, status in services)
        + "</tsl:TSPServices></tsl:TrustServiceProvider></tsl:TrustServiceProviderList>"
        "</tsl:TrustServiceStatusList>"
    )
    key = operator.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    signer = XAdESSigner(
        method=methods.enveloped, signature_algorithm="ecdsa-sha256", digest_algorithm="sha256"
    )
    signed = signer.sign(etree.fromstring(xml.encode()), key=key, cert=operator.pem().decode())
    return etree.tostring(signed)


def configure_list(app, tmp_path, list_xml: bytes, operator: TestCA) -> None:
    (tmp_path / "TSL-IT.xml").write_bytes(list_xml)
    (tmp_path / "tlso.pem").write_bytes(operator.pem())
    app.config["SIGNATURE_TRUST_LIST"] = str(tmp_path / "TSL-IT.xml")
    app.config["SIGNATURE_TRUST_LIST_SIGNERS"] = str(tmp_path / "tlso.pem")


def test_a_ca_granted_in_the_trusted_list_is_a_trust_root_a_withdrawn_one_is_not(
    app, people, clock, tmp_path
):
    operator, qualified, withdrawn = TestCA(name="AgID"), TestCA(name="QC"), TestCA(name="Ex")
    services = [(qualified, GRANTED), (withdrawn, WITHDRAWN)]
    configure_list(app, tmp_path, trusted_list(services, operator), operator)
    act = to_adopted(propose(people, clock), people, clock)
    act = upload(act, people, clock, decree(people, withdrawn), "ritirata.pdf")
    assert act.documents[-1].signature_status == "firma_non_fidata"
    act = upload(act, people, clock, decree(people, qualified), "qualificata.pdf")
    assert all(s.trust_checked and s.trusted for s in act.documents[-1].signatures)
    assert fire(act, "pubblica", people.albo, clock).albo_number is not None


def test_a_trusted_list_whose_signature_does_not_verify_is_not_used(app, tmp_path):
    qualified = TestCA(name="QC")
    configure_list(app, tmp_path, trusted_list([(qualified, GRANTED)], TestCA()), TestCA())
    with pytest.raises(RuntimeError, match="SIGNATURE_TRUST_LIST"):
        signature_check.trust_roots()
    altered = trusted_list([(qualified, GRANTED)], operator := TestCA())
    configure_list(app, tmp_path, altered.replace(b"Prestatore", b"Impostore"), operator)
    with pytest.raises(RuntimeError, match="SIGNATURE_TRUST_LIST"):
        signature_check.trust_roots()


def test_a_trusted_list_without_its_signer_certificate_is_refused(app, tmp_path):
    (tmp_path / "TSL-IT.xml").write_bytes(b"<x/>")
    app.config["SIGNATURE_TRUST_LIST"] = str(tmp_path / "TSL-IT.xml")
    with pytest.raises(RuntimeError, match="SIGNATURE_TRUST_LIST_SIGNERS"):
        signature_check.trust_roots()
