"""Signed PDFs: SHA-256 kept raw and shown hex, PAdES signatures validated with pyHanko.

Each test makes its own certification authority (cryptography + pyHanko's signer API)."""

from __future__ import annotations

import hashlib

import pytest

from tests.act_factories import make_people, propose
from workflow.acts import documents
from workflow.core.errors import InvalidData
from workflow.demo.signing import TestCA, sign, signed_pdf, simple_pdf


def test_good_pdf_signed_by_two_people_is_intact_with_signers_and_times():
    pdf = signed_pdf(["Decreto"], TestCA(), ["Francesco Vassallo", "Antonio Sebastiano Purcaro"])
    status, infos = documents.inspect_signatures(pdf)
    assert status == "firmato"
    assert [i.signer_name for i in infos] == ["Francesco Vassallo", "Antonio Sebastiano Purcaro"]
    assert all(i.intact and i.signing_time is not None for i in infos)
    assert not any(i.trusted for i in infos)  # no trust list configured


def test_signature_chain_trusted_when_the_ca_is_a_trust_root():
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization

    ca = TestCA()
    pdf = signed_pdf(["Decreto"], ca, ["Francesco Vassallo"])
    root = asn1_x509.Certificate.load(ca.cert.public_bytes(serialization.Encoding.DER))
    _, infos = documents.inspect_signatures(pdf, [root])
    assert infos[0].trusted and infos[0].intact


def test_tampered_pdf_shows_a_broken_signature():
    pdf = bytearray(signed_pdf(["Decreto originale"], TestCA(), ["Francesco Vassallo"]))
    at = pdf.find(b"Decreto originale")
    pdf[at : at + 7] = b"Decreta"
    status, infos = documents.inspect_signatures(bytes(pdf))
    assert status == "firma_non_integra"
    assert infos[0].intact is False and "NON integra" in infos[0].summary


def test_unsigned_pdf_is_shown_as_unsigned():
    assert documents.inspect_signatures(simple_pdf(["Nessuna firma"])) == ("non_firmato", [])


def test_unreadable_pdf_is_shown_as_such():
    assert documents.inspect_signatures(b"%PDF-1.7\nnon un pdf")[0] == "illeggibile"


def test_second_signature_keeps_the_first_intact():
    ca = TestCA()
    pdf = sign(simple_pdf(["x"]), ca.signer("A"), "Firma1")
    pdf = sign(pdf, ca.signer("B"), "Firma2")
    _, infos = documents.inspect_signatures(pdf)
    assert [i.intact for i in infos] == [True, True]


@pytest.mark.parametrize(
    "name",
    ["../x.pdf", "a/b.pdf", "a\\b.pdf", "con:nome.pdf", "x\x00.pdf", ".pdf", "x.pdf.exe", ""],
)
def test_dangerous_or_wrong_names_are_refused(name):
    with pytest.raises(InvalidData):
        documents.check_name(name)


def test_seed_name_with_caret_is_accepted():
    assert documents.check_name("2163_14487^DecretoFirmato.pdf") == "2163_14487^DecretoFirmato.pdf"


def attach(act, people, clock, pdf: bytes, name: str):
    """The Albo office uploads `pdf` as the act's document."""
    return documents.attach(
        act.id,
        expected_version=act.version,
        filename=name,
        content=pdf,
        kind="atto",
        actor=people.albo,
        clock=clock,
    )


def test_document_stored_with_raw_digest_size_and_name(app, clock):
    people = make_people(clock)
    act = propose(people, clock)
    pdf = signed_pdf(["Decreto"], TestCA(), ["Francesco Vassallo"])
    document = attach(act, people, clock, pdf, "2163_14487^DecretoFirmato.pdf")
    assert document.sha256 == hashlib.sha256(pdf).digest() and len(document.sha256) == 32
    assert document.sha256_hex == hashlib.sha256(pdf).hexdigest()
    assert document.size == len(pdf)
    assert documents.read(document) == pdf
    assert documents.path_for(document.sha256_hex).is_relative_to(app.config["DOCUMENTS_DIR"])
    assert document.signatures[0].signer_name == "Francesco Vassallo"


def test_audit_verify_rehashes_every_stored_document(app, clock):
    """Issue 3: verify also re-hashes stored documents against their recorded SHA-256."""
    people = make_people(clock)
    act = propose(people, clock)
    pdf = signed_pdf(["Decreto"], TestCA(), ["Francesco Vassallo"])
    document = attach(act, people, clock, pdf, "decreto.pdf")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    path = documents.path_for(document.sha256_hex)
    path.write_bytes(pdf.replace(b"Decreto", b"Decretx", 1))
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"[act_documents {document.id}], file archiviato [file]" in result.output
    assert "impronta SHA-256 diversa" in result.output
    path.unlink()
    assert "file mancante" in runner.invoke(args=["audit", "verify"]).output


def test_an_altered_document_is_never_served(app, client, clock, token_for):
    """The download reads the file back through the store, which checks its SHA-256: bytes that
    no longer match what was registered are a server error (500, logged), not a download."""
    people = make_people(clock)
    act = propose(people, clock)
    pdf = simple_pdf(["Decreto"])
    document = attach(act, people, clock, pdf, "decreto.pdf")
    url = f"/api/v1/acts/{act.id}/documents/{document.id}"
    headers = token_for(people.albo)
    assert client.get(url, headers=headers).data == pdf
    documents.path_for(document.sha256_hex).write_bytes(pdf.replace(b"Decreto", b"Decretx", 1))
    response = client.get(url, headers=headers)
    assert response.status_code == 500 and b"Decretx" not in response.data
