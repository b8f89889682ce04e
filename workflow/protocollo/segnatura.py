"""The segnatura di protocollo of a registration (DPR 445/2000 art. 55) as the XML of AgID's
interoperability annex (Linee guida sulla formazione, gestione e conservazione dei documenti
informatici, 2021, Allegato 6 "Comunicazione tra AOO di documenti amministrativi protocollati";
schema `segnatura_protocollo.xsd` version 3.0.0, namespace http://www.agid.gov.it/protocollo/).

Written with the one XML writer (workflow/core/xmlwriter.py), elements and attributes qualified
with the `prot` prefix as the schema asks (elementFormDefault and attributeFormDefault
"qualified"). What the schema requires and the tracker cannot give is left out and said here:
- `ds:Signature`: the XAdES seal of the AOO (ETSI EN 319 132-1 baseline B) needs the AOO's seal
  certificate, which the tracker does not hold; the segnatura is produced unsigned, to be sealed
  by the office's signing service before it travels.
- correspondents other than us are written as `PersonaGiuridica` (name, codice fiscale or
  partita IVA when registered, PEC): `Amministrazione` requires the correspondent's IPA code,
  which the register does not record.
Schema 3.0.0 has no element for an annulment (the 2013 "AnnullamentoProtocollazione" message was
dropped), so an annulled registration's segnatura carries it as a comment before everything else,
and the download says it in a header: the original data are never altered.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from xml.etree.ElementTree import Element  # nosec B405 (building only)

from flask import Response, current_app

from workflow.acts import registers
from workflow.acts.register_models import PROTOCOLLO, RegisterEntry
from workflow.core import xmlwriter
from workflow.core.clock import ROME, as_utc, format_instant
from workflow.core.errors import NotFound
from workflow.core.web import attachment
from workflow.protocollo.models import ENTRATA, Correspondent
from workflow.protocollo.queries import Row, row_of

NAMESPACE = "http://www.agid.gov.it/protocollo/"
VERSION = "3.0.0"
MIME_PDF = "application/pdf"


@dataclass(frozen=True)
class Aoo:
    """Our administration and AOO as the segnatura names them (config PROTOCOL_*)."""

    denominazione: str
    codice_fiscale: str
    codice_ipa: str
    codice_aoo: str
    codice_registro: str
    pec: str


def aoo() -> Aoo:
    """Read from the app's configuration (workflow/config.py: PROTOCOL_*)."""
    c = current_app.config
    return Aoo(
        denominazione=c["PROTOCOL_DENOMINAZIONE"],
        codice_fiscale=c["PROTOCOL_CODICE_FISCALE"],
        codice_ipa=c["PROTOCOL_CODICE_IPA"],
        codice_aoo=c["PROTOCOL_CODICE_AOO"],
        codice_registro=c["PROTOCOL_CODICE_REGISTRO"],
        pec=c["PROTOCOL_PEC"],
    )


def _p(name: str) -> str:
    return f"prot:{name}"


def _ours(parent: Element, tag: str, us: Aoo) -> None:
    body = xmlwriter.child(xmlwriter.child(parent, _p(tag)), _p("Amministrazione"))
    xmlwriter.child(body, _p("DenominazioneAmministrazione"), us.denominazione)
    xmlwriter.child(body, _p("CFAmministrazione"), us.codice_fiscale)
    xmlwriter.child(body, _p("CodiceIPAAmministrazione"), us.codice_ipa)
    xmlwriter.child(body, _p("CodiceIPAAOO"), us.codice_aoo)
    if us.pec:
        contacts = xmlwriter.child(body, _p("ContattiAOO"))
        xmlwriter.child(contacts, _p("IndirizzoTelematico"), us.pec, {_p("tipo"): "smtp"})


def _theirs(parent: Element, tag: str, correspondent: Correspondent) -> None:
    """A correspondent as a PersonaGiuridica: the schema's Amministrazione requires the IPA
    code, which the register does not record for its correspondents."""
    body = xmlwriter.child(xmlwriter.child(parent, _p(tag)), _p("PersonaGiuridica"))
    xmlwriter.child(body, _p("Denominazione"), correspondent.name)
    if correspondent.codice_fiscale.isdigit():
        xmlwriter.child(body, _p("PIVAoCF"), correspondent.codice_fiscale)
    if correspondent.address:
        contacts = xmlwriter.child(body, _p("ContattiPersonaGiuridica"))
        xmlwriter.child(
            contacts, _p("IndirizzoTelematico"), correspondent.address, {_p("tipo"): "smtp"}
        )


def impronta(sha256_hex: str) -> str:
    """The digest as the schema writes it: base64 of the raw SHA-256 (the pages show hex)."""
    return base64.b64encode(bytes.fromhex(sha256_hex)).decode("ascii")


def segnatura(row: Row, us: Aoo | None = None) -> bytes:
    """The segnatura XML (UTF-8, with its declaration) of a registered entry. Raises ValueError
    for an entry without a registration of this register (an act's number): it has no
    correspondents or documents to describe."""
    registration = row.registration
    if registration is None:
        raise ValueError("registrazione senza dati di protocollo")
    us = us or aoo()
    entry = row.entry
    top = xmlwriter.root(
        _p("SegnaturaInformatica"),
        {"xmlns:prot": NAMESPACE, _p("versione"): VERSION, _p("lang"): "it"},
    )
    if row.annulment is not None:
        a = row.annulment
        xmlwriter.comment(
            top,
            f"ANNULLATO il {format_instant(a.annulled_at)} (DPR 445/2000 art. 54). "
            f"Provvedimento: {a.authorising_act}. Motivo: {a.reason}",
        )
    header = xmlwriter.child(top, _p("Intestazione"))
    identifier = xmlwriter.child(header, _p("Identificatore"))
    xmlwriter.child(identifier, _p("CodiceAmministrazione"), us.codice_ipa)
    xmlwriter.child(identifier, _p("CodiceAOO"), us.codice_aoo)
    xmlwriter.child(identifier, _p("CodiceRegistro"), us.codice_registro)
    number = registers.label(PROTOCOLLO, entry.year, entry.number).split("/")[0]
    xmlwriter.child(identifier, _p("NumeroRegistrazione"), number)
    local = as_utc(entry.registered_at).astimezone(ROME)
    xmlwriter.child(identifier, _p("DataRegistrazione"), local.date().isoformat())
    # xs:time with its offset: 10:00:00+02:00 (a bare time loses the zone in Python).
    xmlwriter.child(identifier, _p("OraRegistrazione"), local.isoformat(timespec="seconds")[11:])
    xmlwriter.child(header, _p("Oggetto"), registration.oggetto)
    classifica = xmlwriter.child(header, _p("Classifica"))
    xmlwriter.child(classifica, _p("Denominazione"), f"Titolario {registration.titolario}")
    xmlwriter.child(classifica, _p("CodiceFlat"), registration.titolario)
    fascicolo = xmlwriter.child(header, _p("Fascicolo"))
    xmlwriter.child(fascicolo, _p("Denominazione"), f"Fascicolo {registration.fascicolo}")
    xmlwriter.child(fascicolo, _p("CodiceFascicolo"), registration.fascicolo)

    description = xmlwriter.child(top, _p("Descrizione"))
    if registration.direction == ENTRATA:
        _theirs(description, "Mittente", registration.correspondents[0])
        _ours(description, "Destinatario", us)
    else:
        _ours(description, "Mittente", us)
        for correspondent in registration.correspondents:
            _theirs(description, "Destinatario", correspondent)
    for document in registration.documents:
        tag = "DocumentoPrimario" if document.kind == "principale" else "Allegato"
        element = xmlwriter.child(
            description,
            _p(tag),
            attributes={_p("nomeFile"): document.file_name, _p("mimeType"): MIME_PDF},
        )
        xmlwriter.child(
            element, _p("Impronta"), impronta(document.sha256), {_p("algoritmo"): "SHA-256"}
        )
    return xmlwriter.document(top)


def file_name(row: Row) -> str:
    """The download's name: segnatura-0000012-2025.xml."""
    return f"segnatura-{row.label.replace('/', '-')}.xml"


def download(entry: RegisterEntry) -> Response:
    """The segnatura of `entry` as an XML download (page and API alike); an annulled one says so
    in X-Protocollo-Stato as well as inside. Raises NotFound for an entry without a registration
    of its own (an act's number: its record is the act's page)."""
    row = row_of(entry)
    if row.registration is None:
        raise NotFound(
            f"Il protocollo {row.label} è il numero di un atto o di una registrazione precedente "
            "al registro: non ha una segnatura."
        )
    response = Response(segnatura(row), mimetype="application/xml")
    response.headers["Content-Disposition"] = attachment(file_name(row))
    response.headers["X-Protocollo-Stato"] = "annullato" if row.annulment else "valido"
    return response
