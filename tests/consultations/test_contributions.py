"""Consultations: the late flag at the deadline in Europe/Rome, protocol numbers without gaps,
completeness figures, closing feeding the adoption, files with SHA-256, reminders only to the
missing through the outbox."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.factories import PRESENTATIONS, TO_CONSULTATION, open_psttm, run
from tests.threads import at_once
from workflow.acts import registers
from workflow.acts.register_models import PROTOCOLLO
from workflow.audit.models import AuditEvent
from workflow.consultations import operations as contributions
from workflow.consultations import queries, territory
from workflow.consultations import reminders as consultations_reminders
from workflow.consultations.models import Body, Contribution
from workflow.core.clock import ROME
from workflow.core.errors import Conflict, InvalidData, NotAllowed, TooLarge
from workflow.core.transaction import operation
from workflow.extensions import db
from workflow.mail.models import OutboxMessage
from workflow.procedures import operations as procedures

PDF = b"%PDF-1.4\n% contributo di prova\n%%EOF\n"
DEADLINE = datetime(2025, 2, 28).date()


def rome(*args: int) -> datetime:
    return datetime(*args, tzinfo=ROME)


@pytest.fixture
def consultation(app, clock, direzione):
    """PSTTM 2025 in consultation; Nord Milano (6 Comuni) and two Forum members invited."""
    territory.load(clock=clock)
    territory.add_forum_member(
        "Assolombarda", addresses=["f1@example.org"], actor=direzione, clock=clock
    )
    territory.add_forum_member("Politecnico di Milano", actor=direzione, clock=clock)
    procedure = run(open_psttm(direzione, clock), TO_CONSULTATION, direzione, clock)
    return contributions.open_consultation(
        procedure.id, deadline=DEADLINE, zones=["nord_milano"], actor=direzione, clock=clock
    )


def body(name: str) -> Body:
    return db.session.scalar(select(Body).where(Body.name == name))


def register(consultation, name, received_at, actor, clock, **overrides):
    values = dict(
        body_id=body(name).id,
        received_at=received_at,
        channel="pec",
        summary=f"Osservazioni di {name}",
        themes=["D5", "M3"],
        file_name="contributo.pdf",
        content=PDF,
    )
    values.update(overrides)
    return contributions.register_contribution(consultation.id, actor=actor, clock=clock, **values)


def test_invited_bodies_are_the_zones_comuni_and_the_forum(consultation) -> None:
    names = sorted(i.body.name for i in queries.get(consultation.id).invitations)
    assert len(names) == 8 and "Sesto San Giovanni" in names and "Assolombarda" in names


def test_on_time_until_2359_rome_on_the_deadline_day_late_from_midnight(
    consultation, direzione, clock
) -> None:
    on_time = register(consultation, "Bresso", rome(2025, 2, 28, 23, 59, 59), direzione, clock)
    late = register(consultation, "Cormano", rome(2025, 3, 1, 0, 0), direzione, clock)
    assert (on_time.late, late.late) == (False, True)
    # 23:30 UTC on the 28th is already 1 March in Rome (CET, UTC+1): late, whatever the server zone.
    utc_late = register(
        consultation, "Cusano Milanino", datetime(2025, 2, 28, 23, 30, tzinfo=UTC), direzione, clock
    )
    assert utc_late.late is True
    assert queries.status(queries.get(consultation.id)).total.answered == 3


def test_a_deadline_on_a_holiday_moves_to_the_next_working_day(app, clock, direzione) -> None:
    territory.load(clock=clock)
    procedure = run(open_psttm(direzione, clock), TO_CONSULTATION, direzione, clock)
    found = contributions.open_consultation(
        procedure.id, deadline=datetime(2025, 3, 1).date(), actor=direzione, clock=clock
    )  # a Saturday
    assert queries.effective_deadline(found) == datetime(2025, 3, 3).date()
    assert not queries.is_late(found, rome(2025, 3, 3, 18, 0))


def test_protocol_numbers_have_no_gaps_a_refusal_costs_no_number(
    consultation, direzione, clock
) -> None:
    first = register(consultation, "Bresso", rome(2025, 2, 25, 10, 0), direzione, clock)
    with pytest.raises(InvalidData, match="non è tra gli enti invitati"):
        register(consultation, "Legnano", rome(2025, 2, 25, 11, 0), direzione, clock)
    with pytest.raises(InvalidData, match="non è un PDF"):
        register(
            consultation, "Cormano", rome(2025, 2, 25, 11, 0), direzione, clock, content=b"ciao"
        )
    second = register(consultation, "Cormano", rome(2025, 2, 25, 12, 0), direzione, clock)
    assert [first.protocol, second.protocol] == ["0000001/2025", "0000002/2025"]


def test_contributions_draw_from_the_shared_protocol_register_without_gaps(
    consultation, direzione, clock
) -> None:
    """DPR 445/2000 art. 57: one protocol series for every incoming document, acts included."""

    @operation
    def other_document() -> tuple[int, int]:
        return registers.allocate(PROTOCOLLO, clock=clock, subject="Nota in arrivo")

    assert other_document() == (2025, 1)
    first = register(consultation, "Bresso", rome(2025, 2, 20, 9, 0), direzione, clock)
    with pytest.raises(InvalidData):  # refused after its checks: consumes no number
        register(consultation, "Cormano", rome(2025, 2, 21, 9, 0), direzione, clock, themes=["X"])
    assert other_document() == (2025, 3)
    assert first.protocol == "0000002/2025"


def test_concurrent_registrations_draw_distinct_consecutive_numbers(
    app, consultation, direzione, clock
) -> None:
    consultation_id, bresso = consultation.id, body("Bresso").id

    def call() -> None:
        user = db.session.merge(direzione)
        contributions.register_contribution(
            consultation_id,
            body_id=bresso,
            received_at=rome(2025, 2, 25, 10, 0),
            channel="pec",
            summary="Stesso ente, più invii",
            themes=[],
            file_name="contributo.pdf",
            content=PDF,
            actor=user,
            clock=clock,
        )

    assert at_once(app, call, 4) == []
    numbers = sorted(db.session.scalars(select(Contribution.protocol_number)))
    assert numbers == [1, 2, 3, 4]


def test_completeness_overall_per_zone_missing_and_by_theme(consultation, direzione, clock) -> None:
    register(consultation, "Bresso", rome(2025, 2, 20, 9, 0), direzione, clock, themes=["D2"])
    register(
        consultation, "Cormano", rome(2025, 2, 21, 9, 0), direzione, clock, themes=["D2", "M5"]
    )
    register(consultation, "Cormano", rome(2025, 2, 22, 9, 0), direzione, clock)  # a second one
    register(consultation, "Assolombarda", rome(2025, 3, 2, 9, 0), direzione, clock)  # late
    status = queries.status(queries.get(consultation.id))
    assert (status.total.invited, status.total.answered, status.total.late) == (8, 3, 1)
    groups = {g.code: (g.answered, g.invited, g.percent) for g in status.groups}
    assert groups == {"nord_milano": (2, 6, 33), "forum": (1, 2, 50)}
    assert [b.name for b in status.missing] == [
        "Cinisello Balsamo",
        "Cusano Milanino",
        "Paderno Dugnano",
        "Politecnico di Milano",
        "Sesto San Giovanni",
    ]
    themes = {code: [c.body.name for c in rows] for code, _, rows in status.by_theme}
    assert themes["D2"] == ["Bresso", "Cormano"] and themes["M5"] == ["Cormano"]


def test_the_file_is_stored_by_sha256_with_size_and_original_name(
    app, consultation, direzione, clock
) -> None:
    c = register(
        consultation,
        "Bresso",
        rome(2025, 2, 20, 9, 0),
        direzione,
        clock,
        file_name="Contributo Bresso (PEC).pdf",
    )
    assert c.file_sha256 == hashlib.sha256(PDF).hexdigest()
    assert c.file_size == len(PDF) and c.file_name == "Contributo Bresso (PEC).pdf"
    # The one naming policy of the file store: a folder per first two hex digits.
    digest = c.file_sha256
    stored = Path(app.config["CONTRIBUTIONS_DIR"]) / digest[:2] / f"{digest}.pdf"
    assert stored.read_bytes() == PDF
    assert contributions.store().read(digest) == PDF


def test_a_contribution_stored_under_the_old_flat_name_is_still_read(app) -> None:
    """Before the one file store, contributions were named <sha256>.pdf directly under
    CONTRIBUTIONS_DIR: those files stay where they are and are read, checked, and not copied."""
    digest = hashlib.sha256(PDF).hexdigest()
    flat = Path(app.config["CONTRIBUTIONS_DIR"]) / f"{digest}.pdf"
    flat.parent.mkdir(parents=True)
    flat.write_bytes(PDF)
    store = contributions.store()
    assert store.read(digest) == PDF and store.problem(digest) == ""
    assert store.put(PDF) == digest
    assert not store.path_for(digest).exists()


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd.pdf",
        ".nascosto.pdf",
        "a\x00b.pdf",
        "contributo.exe",
        "c:\\x.pdf",
        "-rf.pdf",
    ],
)
def test_dangerous_or_non_pdf_names_are_refused(consultation, direzione, clock, name) -> None:
    with pytest.raises(InvalidData, match="Nome del file"):
        register(consultation, "Bresso", rome(2025, 2, 20, 9, 0), direzione, clock, file_name=name)
    assert db.session.scalar(select(func.count()).select_from(Contribution)) == 0


def test_an_oversized_file_is_refused_with_413(app, consultation, direzione, clock) -> None:
    app.config["CONTRIBUTION_MAX_BYTES"] = 1024 * 1024
    big = PDF + b"0" * (1024 * 1024)
    with pytest.raises(TooLarge, match="File troppo grande"):
        register(consultation, "Bresso", rome(2025, 2, 20, 9, 0), direzione, clock, content=big)


def test_a_contribution_received_in_the_future_is_refused(consultation, direzione, clock) -> None:
    with pytest.raises(InvalidData, match="futura"):
        register(consultation, "Bresso", rome(2025, 7, 2, 9, 0), direzione, clock)


def test_only_the_direzione_registers_contributions(consultation, make_user, clock) -> None:
    with pytest.raises(NotAllowed):
        register(consultation, "Bresso", rome(2025, 2, 20, 9, 0), make_user("albo"), clock)


def test_closing_records_the_outcome_and_the_adoption_cites_it(
    consultation, direzione, clock
) -> None:
    register(consultation, "Bresso", rome(2025, 2, 20, 9, 0), direzione, clock)
    closed = contributions.close_consultation(
        consultation.id,
        expected_version=consultation.version,
        outcome="Contributi recepiti nella proposta di Piano.",
        actor=direzione,
        clock=clock,
    )
    assert closed.summary["answered"] == 1 and closed.summary["invited"] == 8
    expected = hashlib.sha256(queries.csv_export(closed).encode()).hexdigest()
    assert closed.summary_sha256 == expected
    with pytest.raises(Conflict, match="chiusa"):
        register(consultation, "Cormano", rome(2025, 2, 21, 9, 0), direzione, clock)
    with pytest.raises(Conflict):
        contributions.close_consultation(
            consultation.id,
            expected_version=closed.version,
            outcome="x",
            actor=direzione,
            clock=clock,
        )
    procedure = procedures.get(consultation.procedure_id)
    procedure = run(procedure, PRESENTATIONS + ["adotta"], direzione, clock)
    adoption = next(s for s in procedure.steps if s.event == "adotta")
    assert "1 contributi su 8 enti invitati" in adoption.data["consultazione"]
    assert expected in adoption.data["consultazione"]


def test_closing_with_a_stale_version_is_a_conflict(consultation, direzione, clock) -> None:
    with pytest.raises(Conflict):
        contributions.close_consultation(
            consultation.id, expected_version=99, outcome="x", actor=direzione, clock=clock
        )


def test_each_operation_writes_exactly_one_audit_event(consultation, direzione, clock) -> None:
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    register(consultation, "Bresso", rome(2025, 2, 20, 9, 0), direzione, clock)
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.seq > before)))
    assert [e.action for e in events] == ["contribution.registered"]
    assert json.loads(events[0].payload)["protocol"] == "0000001/2025"


# --- Reminders -------------------------------------------------------------------------------


@pytest.fixture
def addressed(consultation, direzione, clock, with_address):
    """Every invited body has one address; the Direzione Generale has one too."""
    with_address(direzione)
    for invitation in queries.get(consultation.id).invitations:
        territory.set_addresses(
            invitation.body_id, [f"b{invitation.body_id}@example.org"], actor=direzione, clock=clock
        )
    return consultation


def outbox() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_reminders_go_only_to_the_invited_bodies_still_missing(addressed, direzione, clock) -> None:
    register(addressed, "Bresso", rome(2025, 2, 20, 9, 0), direzione, clock)
    register(addressed, "Assolombarda", rome(2025, 2, 20, 10, 0), direzione, clock)
    # 5 working days before Friday 28/02/2025 is Friday 21/02, at 08:00 in Rome.
    clock.instant = datetime(2025, 2, 21, 6, 59, tzinfo=UTC)
    assert consultations_reminders.remind_missing(clock=clock) == 0
    clock.instant = datetime(2025, 2, 21, 7, 0, tzinfo=UTC)
    written = consultations_reminders.remind_missing(clock=clock)
    rows = outbox()
    to_bodies = sorted(m.recipient for m in rows if m.user_id is None)
    expected = sorted(
        f"b{body(n).id}@example.org"
        for n in [
            "Cinisello Balsamo",
            "Cormano",
            "Cusano Milanino",
            "Paderno Dugnano",
            "Politecnico di Milano",
            "Sesto San Giovanni",
        ]
    )
    assert to_bodies == expected
    assert f"b{body('Bresso').id}@example.org" not in to_bodies
    digest = [m for m in rows if m.user_id == direzione.id]
    assert len(digest) == 1 and "Cinisello Balsamo" in digest[0].body_text
    assert written == len(rows) == 7


def test_reminders_are_never_written_twice(addressed, clock) -> None:
    clock.instant = datetime(2025, 2, 24, 9, 0, tzinfo=UTC)
    first = consultations_reminders.remind_missing(clock=clock)
    assert first == 9  # 8 bodies and the digest
    assert consultations_reminders.remind_missing(clock=clock) == 0
    assert len(outbox()) == 9


def test_a_body_that_answers_after_the_reminder_gets_nothing_more(
    addressed, direzione, clock
) -> None:
    clock.instant = datetime(2025, 2, 24, 9, 0, tzinfo=UTC)
    consultations_reminders.remind_missing(clock=clock)
    register(addressed, "Bresso", rome(2025, 2, 24, 9, 30), direzione, clock)
    clock.instant = datetime(2025, 2, 25, 9, 0, tzinfo=UTC)
    assert consultations_reminders.remind_missing(clock=clock) == 0


def test_no_reminders_after_the_deadline_or_once_closed(addressed, direzione, clock) -> None:
    clock.instant = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    assert consultations_reminders.remind_missing(clock=clock) == 0
    clock.instant = datetime(2025, 2, 24, 9, 0, tzinfo=UTC)
    contributions.close_consultation(
        addressed.id,
        expected_version=addressed.version,
        outcome="Chiusa",
        actor=direzione,
        clock=clock,
    )
    assert consultations_reminders.remind_missing(clock=clock) == 0
