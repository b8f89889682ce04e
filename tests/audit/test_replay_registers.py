"""`flask audit verify` covers the protocol register and the registro giornaliero: registrations
(incoming, outgoing, annulled, a contribution's) and a daily register produced and handed over
agree with their events, register entries included; an oggetto, a correspondent's address, an
annulment's reason, a daily register's CSV fingerprint edited in the database (triggers lifted)
and a daily register's file changed on disk are each named."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.act_factories import make_people
from tests.audit.test_replay import _set, named, table, tamper
from tests.factories import TO_CONSULTATION, open_psttm, run
from workflow.acts import daily
from workflow.audit import replay
from workflow.audit.models import AuditEvent
from workflow.consultations import operations as contributions
from workflow.consultations import territory
from workflow.consultations.models import Body
from workflow.core.clock import ROME
from workflow.extensions import db
from workflow.protocollo import operations as protocollo
from workflow.protocollo.models import Correspondent, Registration
from workflow.protocollo.operations import CorrespondentData, DocumentData

PDF = b"%PDF-1.4\n% lettera di prova\n%%EOF\n"
ANNEX = b"%PDF-1.4\n% allegato\n%%EOF\n"
DAY = "protocollo/2025-07-01"  # the clock fixture's day, Europe/Rome


@pytest.fixture
def walk(app, clock):
    """An outgoing registration with two destinatari and an annex, an incoming one, one annulled,
    a contribution; then, the next day, the daily register of the first day produced and handed
    over. Returns the outgoing and the annulled registrations."""
    people = make_people(clock)
    territory.load(clock=clock)
    procedure = run(open_psttm(people.direzione, clock), TO_CONSULTATION, people.direzione, clock)
    consultation = contributions.open_consultation(
        procedure.id,
        deadline=date(2025, 7, 31),
        zones=["nord_milano"],
        actor=people.direzione,
        clock=clock,
    )
    outgoing = protocollo.register(
        direction="uscita",
        oggetto="Trasmissione dello schema di Piano",
        document_date=date(2025, 6, 30),
        correspondents=[
            CorrespondentData("Regione Lombardia", "presidenza@pec.regione.lombardia.it"),
            CorrespondentData("Comune di Bresso", "protocollo@pec.comune.bresso.mi.it"),
        ],
        fascicolo="2.16/2024/1",
        documents=[DocumentData("lettera.pdf", PDF), DocumentData("schema.pdf", ANNEX)],
        actor=people.direzione,
        clock=clock,
    )
    incoming = [
        protocollo.register(
            direction="entrata",
            oggetto=f"Osservazioni {n}",
            document_date=date(2025, 6, 27),
            sender_protocol=f"452{n}/2025",
            sender_protocol_date=date(2025, 6, 27),
            correspondents=[CorrespondentData("Comune di Cusano", "", "01234567897")],
            fascicolo="2.16/2024/1",
            documents=[DocumentData("osservazioni.pdf", PDF + bytes([n]))],
            actor=people.segretario,
            clock=clock,
        )
        for n in (1, 2)
    ]
    entry = incoming[1].entry
    protocollo.annul(
        entry.year,
        entry.number,
        reason="Registrato due volte per errore.",
        authorising_act="Provvedimento del Segretario Generale n. 3/2025",
        actor=people.segretario,
        clock=clock,
    )
    bresso = db.session.scalar(select(Body).where(Body.name == "Bresso"))
    contributions.register_contribution(
        consultation.id,
        body_id=bresso.id,
        received_at=datetime(2025, 6, 30, 9, 0, tzinfo=ROME),
        channel="pec",
        summary="Osservazioni sulla mobilità",
        themes=["D5"],
        file_name="contributo.pdf",
        content=PDF + b"contributo",
        actor=people.direzione,
        clock=clock,
    )
    clock.instant += timedelta(days=1)
    daily.produce(date(2025, 7, 1), clock=clock)
    daily.hand_over(date(2025, 7, 1), clock=clock)
    return outgoing, incoming[1]


def _replayed() -> replay.Replay:
    expected = replay.Replay()
    for row in db.session.execute(select(*AuditEvent.__table__.c).order_by(AuditEvent.seq)):
        expected.feed(tuple(row))
    return expected


def test_registrations_and_daily_registers_agree_with_their_events(walk, app) -> None:
    outgoing, annulled = walk
    differences = replay.verify_tables()
    assert differences == [], [d.message for d in differences]
    expected = _replayed().expected
    # Every row of the new tables is explained by an event, register entries included.
    for name in (
        "protocol_registrations",
        "protocol_correspondents",
        "protocol_documents",
        "protocol_annulments",
        "daily_registers",
        "daily_register_handovers",
        "register_entries",
    ):
        live = db.session.scalar(select(db.func.count()).select_from(table(name)))
        assert live == len(expected[name]) > 0, name
    assert expected["protocol_correspondents"][(outgoing.entry_id, 2)].values["address"] == (
        "protocollo@pec.comune.bresso.mi.it"
    )
    assert expected["protocol_annulments"][(annulled.entry_id,)].values["reason"] == (
        "Registrato due volte per errore."
    )
    daily_row = expected["daily_registers"][("protocollo", "2025-07-01")].values
    assert daily_row["entries"] == 4 and daily_row["first_number"] == 1
    assert "target" in expected["daily_register_handovers"][("protocollo", "2025-07-01")].values
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output


def test_direct_edits_of_registrations_and_daily_registers_are_named(walk) -> None:
    outgoing, annulled = walk
    second = db.session.scalars(
        select(Correspondent.id)
        .where(Correspondent.registration_id == outgoing.id)
        .order_by(Correspondent.id)
    ).all()[1]
    annulment = db.session.scalar(
        select(table("protocol_annulments").c.id).where(
            table("protocol_annulments").c.entry_id == annulled.entry_id
        )
    )
    produced = daily.get(date(2025, 7, 1))
    registration_id = outgoing.id

    tamper("protocol_registrations", _set("protocol_registrations", registration_id, oggetto="X"))
    tamper("protocol_correspondents", _set("protocol_correspondents", second, address="a@b.it"))
    tamper("protocol_annulments", _set("protocol_annulments", annulment, reason="Altro motivo"))
    tamper("daily_registers", _set("daily_registers", produced.id, csv_sha256="0" * 64))
    pdf = daily.stores()[1].path_for(produced.pdf_sha256)
    pdf.write_bytes(pdf.read_bytes() + b"%altro")

    differences = replay.verify_tables()
    assert named(differences) == {
        ("protocol_registrations", str(outgoing.entry_id), "oggetto"),
        ("protocol_correspondents", f"{outgoing.entry_id}/2", "address"),
        ("protocol_annulments", str(annulled.entry_id), "reason"),
        ("daily_registers", DAY, "csv_sha256"),
        ("daily_registers", DAY, "file"),  # the CSV under the new fingerprint, and the PDF
    }
    found = {(d.table, d.field, d.expected[:20]): d.found for d in differences}
    assert found[("protocol_correspondents", "address", "«protocollo@pec.comu")] == "«a@b.it»"
    assert found[("protocol_annulments", "reason", "«Registrato due volt")] == "«Altro motivo»"
    files = sorted(d.found for d in differences if d.field == "file")
    assert files == ["file mancante nell'archivio", "impronta SHA-256 diversa"]
    assert len(differences) == 6, [d.message for d in differences]


def test_events_from_before_the_new_fields_still_verify(walk) -> None:
    """Events written before this coverage: protocol.registered without its register entries,
    contribution.registered without its registration, annulments and daily registers without
    their instants; what they state is compared, and no row is reported for want of them."""
    rows = []
    for row in db.session.execute(select(*AuditEvent.__table__.c).order_by(AuditEvent.seq)):
        row = list(row)
        payload = json.loads(row[8])
        if row[7] == "protocol.registered":
            payload.pop("register_entries")
        for key in ("registration", "annulled_at", "produced_at", "year", "handed_over_at"):
            payload.pop(key, None)
        row[8] = json.dumps(payload)
        rows.append(tuple(row))
    differences = replay.verify_tables(rows)
    assert differences == [], [d.message for d in differences]
    assert db.session.scalar(select(db.func.count()).select_from(Registration)) == 4
