"""The act machine: every transition, every refusal, numbers and the publication window."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.act_factories import (
    FAVOREVOLE,
    attach_signed,
    fire,
    make_people,
    propose,
    to_adopted,
    to_published,
    to_signature,
)
from workflow.acts import documents, queries
from workflow.acts import operations as acts
from workflow.acts.models import Act, ActEvent
from workflow.acts.register_models import RegisterEntry
from workflow.audit.models import AuditEvent
from workflow.core.errors import Conflict, GuardFailed, InvalidData, NotAllowed, StaleVersion
from workflow.definitions import ACT_LATEST
from workflow.definitions import acts as machine
from workflow.demo.signing import TestCA, simple_pdf
from workflow.extensions import db

CONTRARIO = {"favorevole": False, "testo": "Parere contrario: manca la copertura."}


@pytest.fixture
def people(app, clock):
    return make_people(clock)


def bring_to(state: str, people, clock) -> Act:
    act = propose(people, clock)
    if state == machine.PROPOSTA:
        return act
    if state == machine.SOSPESO:
        return fire(act, "parere_tecnico", people.dirigente, clock, **CONTRARIO)
    act = fire(act, "parere_tecnico", people.dirigente, clock, **FAVOREVOLE)
    if state == machine.ATTESA_CONTABILE:
        return act
    act = fire(act, "contabile_non_dovuto", people.ragioneria, clock, motivazione="Nessun onere.")
    if state == machine.ATTESA_SEGRETARIO:
        return act
    act = fire(act, "parere_segretario", people.segretario, clock, **FAVOREVOLE)
    if state == machine.IN_FIRMA:
        return act
    if state == machine.ADOTTATO:
        return to_adopted(propose(people, clock, oggetto="ALTRO"), people, clock)
    assert state == machine.PUBBLICATO
    return to_published(propose(people, clock, oggetto="ALTRO"), people, clock)


def prepare_and_data(step, act, people, clock):
    """Who fires `step` and with which data, after doing what its guards need."""
    who = {
        "parere_tecnico": people.dirigente,
        "parere_contabile": people.ragioneria,
        "contabile_non_dovuto": people.ragioneria,
        "parere_segretario": people.segretario,
        "firma": people.sindaco,
        "numera": people.segretario,
        "pubblica": people.albo,
        "annulla_pubblicazione": people.albo,
        "proroga": people.albo,
        "relata": people.segretario,
        "rivedi": people.direzione,
        "ritira": people.direzione,
    }[step.event]
    if step.event in machine.OPINIONS:
        return act, who, (CONTRARIO if step.dest == machine.SOSPESO else FAVOREVOLE)
    if step.event == "numera":
        act = fire(act, "firma", people.sindaco, clock)
        act = fire(act, "firma", people.segretario, clock)
    if step.event == "pubblica":
        act = attach_signed(act, people, clock)
    if step.event == "relata":
        clock.instant += timedelta(days=15)
    data = {
        "contabile_non_dovuto": {"motivazione": "Non comporta oneri."},
        "annulla_pubblicazione": {"motivazione": "Pubblicato per errore."},
        "rivedi": {"testo": "Testo rivisto.", "motivazione": "Recepite osservazioni."},
        "ritira": {"motivazione": "Superato da altro atto."},
        "proroga": {
            "al": (act.published_to + timedelta(days=3)).isoformat() if act.published_to else None,
            "motivazione": "Interruzione del servizio.",
            "numero": "12/2025",
            "data": "2025-07-01",
        },
    }.get(step.event, {})
    return act, who, data


@pytest.mark.parametrize(
    "step",
    ACT_LATEST.steps,
    ids=[f"{s.source}-{s.event}-{s.dest}" for s in ACT_LATEST.steps],
)
def test_every_transition_of_the_act_machine(step, people, clock):
    act = bring_to(step.source, people, clock)
    act, who, data = prepare_and_data(step, act, people, clock)
    act = fire(act, step.event, who, clock, **data)
    assert act.state == (step.dest or step.source)
    assert act.events[-1].event == step.event


def test_proposal_needs_a_fascicolo(people, clock):
    with pytest.raises(InvalidData, match="Titolario/Anno/Fascicolo"):
        propose(people, clock, fascicolo="")


def test_only_proposers_may_propose(people, clock):
    with pytest.raises(NotAllowed):
        acts.propose(
            "decreto_sindaco",
            oggetto="X",
            fascicolo="2.16/2024/1",
            proponente="X",
            materia="X",
            struttura="X",
            testo="X",
            actor=people.albo,
            clock=clock,
        )


def test_opinion_only_by_its_role(people, clock):
    act = propose(people, clock)
    with pytest.raises(NotAllowed, match="Dirigente"):
        fire(act, "parere_tecnico", people.ragioneria, clock, **FAVOREVOLE)


def test_opinion_needs_outcome_and_text(people, clock):
    act = propose(people, clock)
    with pytest.raises(InvalidData, match="testo del parere"):
        fire(act, "parere_tecnico", people.dirigente, clock, favorevole=True)
    with pytest.raises(InvalidData, match="esito"):
        fire(act, "parere_tecnico", people.dirigente, clock, testo="Ok")


@pytest.mark.parametrize("event", ["parere_tecnico", "parere_contabile", "parere_segretario"])
def test_contrary_opinion_stops_the_act(event, people, clock):
    act = propose(people, clock)
    who = {"parere_tecnico": people.dirigente, "parere_contabile": people.ragioneria}
    if event != "parere_tecnico":
        act = fire(act, "parere_tecnico", people.dirigente, clock, **FAVOREVOLE)
    if event == "parere_segretario":
        act = fire(act, "parere_contabile", people.ragioneria, clock, **FAVOREVOLE)
    act = fire(act, event, who.get(event, people.segretario), clock, **CONTRARIO)
    assert act.state == machine.SOSPESO
    with pytest.raises(Conflict):
        fire(act, "numera", people.segretario, clock)


def test_revision_invalidates_earlier_opinions_and_signatures(people, clock):
    act = to_signature(propose(people, clock), people, clock)
    act = fire(act, "firma", people.sindaco, clock)
    old_sha = act.proposal_sha256
    act = fire(act, "rivedi", people.direzione, clock, testo="Nuovo testo.", motivazione="Errata")
    assert act.state == machine.PROPOSTA
    assert act.proposal_sha256 != old_sha and act.proposal_revision == 2
    assert acts.missing_opinions(act) == list(machine.OPINIONS.values())
    assert acts.signatures(act) == {}
    act = to_signature(act, people, clock)
    opinions = [e for e in act.events if e.event == "parere_segretario"]
    assert [e.proposal_sha256 for e in opinions] == [old_sha, act.proposal_sha256]


def test_numbering_refused_until_every_signature(people, clock):
    act = to_signature(propose(people, clock), people, clock)
    act = fire(act, "firma", people.sindaco, clock)
    with pytest.raises(GuardFailed, match="Mancano le firme di: Segretario Generale"):
        fire(act, "numera", people.segretario, clock)
    assert db.session.scalar(select(func.count()).select_from(RegisterEntry)) == 0


def test_each_signer_signs_once_with_own_event(people, clock):
    act = to_signature(propose(people, clock), people, clock)
    act = fire(act, "firma", people.sindaco, clock)
    with pytest.raises(GuardFailed, match="non è richiesta"):
        fire(act, "firma", people.sindaco, clock)
    clock.instant += timedelta(minutes=5)
    act = fire(act, "firma", people.segretario, clock)
    firme = [e for e in act.events if e.event == "firma"]
    assert [e.data["ruolo"] for e in firme] == ["sindaco", "segretario_generale"]
    assert firme[0].recorded_at != firme[1].recorded_at


def test_numbering_gives_repertorio_and_protocollo_in_one_step(people, clock):
    act = to_adopted(propose(people, clock), people, clock)
    assert (act.repertorio_number, act.repertorio_year) == (1, 2025)
    assert (act.protocollo_number, act.protocollo_year) == (1, 2025)
    assert act.repertorio_date == act.approval_date == date(2025, 7, 1)
    # As the Albo shows it (seed: "Protocollo: 32556/2025"); the register keeps 0000001/2025.
    assert queries.record(act, date(2025, 7, 1)).protocollo == "1/2025"


def test_stale_version_is_refused(people, clock):
    act = propose(people, clock)
    with pytest.raises(StaleVersion):
        acts.fire_event(
            act.id,
            "parere_tecnico",
            expected_version=act.version + 1,
            data=FAVOREVOLE,
            actor=people.dirigente,
            clock=clock,
        )


def test_withdrawn_act_is_kept_and_closed(people, clock):
    act = fire(propose(people, clock), "ritira", people.direzione, clock, motivazione="Superato")
    assert act.state == machine.RITIRATO
    # Read back from the database, not from the session's identity map (which always has it).
    assert db.session.scalar(select(Act.state).where(Act.id == act.id)) == machine.RITIRATO
    with pytest.raises(Conflict):
        fire(act, "parere_tecnico", people.dirigente, clock, **FAVOREVOLE)


def test_withdrawal_needs_a_reason(people, clock):
    with pytest.raises(InvalidData, match="motivazione"):
        fire(propose(people, clock), "ritira", people.direzione, clock)


def test_publication_refused_without_signed_document(people, clock):
    act = to_adopted(propose(people, clock), people, clock)
    with pytest.raises(GuardFailed, match="Manca il documento"):
        fire(act, "pubblica", people.albo, clock)


def test_publication_refused_with_unsigned_document(people, clock):
    act = to_adopted(propose(people, clock), people, clock)
    documents.attach(
        act.id,
        expected_version=act.version,
        filename="decreto.pdf",
        content=simple_pdf(["non firmato"]),
        kind="atto",
        actor=people.albo,
        clock=clock,
    )
    with pytest.raises(GuardFailed, match="non ha firme digitali"):
        fire(acts.get(act.id), "pubblica", people.albo, clock)


def test_publication_refused_when_a_required_signer_is_missing_from_the_pdf(people, clock):
    act = to_adopted(propose(people, clock), people, clock)
    act = attach_signed(act, people, clock, signers=["Francesco Vassallo"])
    with pytest.raises(GuardFailed, match="manca la firma digitale di Antonio Sebastiano Purcaro"):
        fire(act, "pubblica", people.albo, clock)
    assert act.albo_number is None


def test_publication_cannot_start_in_the_past(people, clock):
    act = attach_signed(to_adopted(propose(people, clock), people, clock), people, clock)
    with pytest.raises(GuardFailed, match="nel passato"):
        fire(act, "pubblica", people.albo, clock, dal="2025-06-30")


def test_publication_gives_albo_number_and_fifteen_day_window(people, clock):
    act = to_published(propose(people, clock), people, clock)
    assert (act.albo_number, act.albo_year) == (1, 2025)
    assert (act.published_from, act.published_to) == (date(2025, 7, 1), date(2025, 7, 15))


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2025, 2, 19), date(2025, 3, 5)),  # the seed
        (date(2024, 2, 19), date(2024, 3, 4)),  # leap year: 29 February counts
        (date(2025, 1, 25), date(2025, 2, 8)),  # across a month end
        (date(2025, 12, 25), date(2026, 1, 8)),  # across the year end
        (date(2024, 2, 15), date(2024, 2, 29)),  # ends on the leap day
    ],
)
def test_window_is_fifteen_consecutive_days_first_counted(start, end):
    assert machine.window_end(start, 15) == end


def test_window_length_configurable_per_act_type():
    assert machine.window_end(date(2025, 2, 19), 30) == date(2025, 3, 20)
    assert all(t.publication_days == 15 for t in machine.ACT_TYPES.values())


def test_albo_state_changes_by_itself_when_the_window_ends(people, clock):
    act = to_published(propose(people, clock), people, clock, dal="2025-07-02")
    assert queries.albo_status(act, date(2025, 7, 1)) == queries.IN_ATTESA
    assert queries.albo_status(act, date(2025, 7, 2)) == queries.ATTIVO
    assert queries.albo_status(act, date(2025, 7, 16)) == queries.ATTIVO
    assert queries.albo_status(act, date(2025, 7, 17)) == queries.TERMINATO
    assert act.state == machine.PUBBLICATO  # nothing was written: the clock decides


def test_relata_only_after_the_window(people, clock):
    act = to_published(propose(people, clock), people, clock)
    clock.instant = datetime(2025, 7, 15, 21, 0, tzinfo=UTC)  # 23:00 in Rome: still the 15th
    with pytest.raises(GuardFailed, match="al termine del periodo"):
        fire(act, "relata", people.segretario, clock)
    clock.instant = datetime(2025, 7, 15, 22, 0, tzinfo=UTC)  # midnight in Rome
    act = fire(act, "relata", people.segretario, clock)
    assert act.state == machine.CERTIFICATO


def test_publication_annulled_with_reason_never_deleted(people, clock):
    act = to_published(propose(people, clock), people, clock)
    act = fire(act, "annulla_pubblicazione", people.albo, clock, motivazione="Errore materiale")
    assert act.state == machine.ANNULLATO
    assert queries.albo_status(act, date(2025, 7, 2)) == queries.ANNULLATO
    assert queries.annulment(act).data["motivazione"] == "Errore materiale"
    assert queries.public_list(date(2025, 7, 2)) == []


def test_every_act_change_writes_one_audit_event(people, clock):
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    act = propose(people, clock)
    fire(act, "parere_tecnico", people.dirigente, clock, **FAVOREVOLE)
    after = db.session.scalar(select(func.count()).select_from(AuditEvent))
    assert after - before == 2
    assert db.session.scalar(select(func.count()).select_from(ActEvent)) == 1


def test_staff_search_by_oggetto_and_numbers(people, clock):
    act = to_adopted(propose(people, clock), people, clock)
    propose(people, clock, oggetto="ALTRO ATTO", materia="VIABILITÀ")
    assert [a.id for a in queries.search("schema di piano")] == [act.id]
    assert [a.id for a in queries.search("1/2025")] == [act.id]
    assert len(queries.search("")) == 2


def test_act_created_without_fascicolo_takes_the_procedure_one(people, clock):
    from tests.factories import open_psttm

    procedure = open_psttm(people.direzione, clock)
    act = propose(people, clock, fascicolo="", procedure_id=procedure.id)
    assert act.fascicolo == "2.16/2024/1" and act.procedure_id == procedure.id


def test_documents_read_only_after_publication(people, clock):
    act = to_published(propose(people, clock), people, clock)
    with pytest.raises(Conflict, match="già pubblicato"):
        attach_signed(act, people, clock, ca=TestCA())


def test_failed_numbering_consumes_no_number(people, clock, monkeypatch):
    act = to_signature(propose(people, clock), people, clock)
    act = fire(act, "firma", people.sindaco, clock)
    act = fire(act, "firma", people.segretario, clock)
    version = act.version

    def broken_audit(**kwargs):
        raise RuntimeError("disco pieno")

    monkeypatch.setattr(acts.audit, "record", broken_audit)
    with pytest.raises(RuntimeError):
        fire(act, "numera", people.segretario, clock)
    monkeypatch.undo()
    act = acts.get(act.id)
    assert act.version == version and act.repertorio_number is None
    act = fire(act, "numera", people.segretario, clock)
    assert (act.repertorio_number, act.protocollo_number) == (1, 1)


def _delibera(people, clock) -> Act:
    act = propose(people, clock, "delibera_consiglio", oggetto="ADOZIONE DEL PIANO")
    act = to_signature(act, people, clock)
    act = fire(act, "firma", people.sindaco, clock)
    return fire(act, "firma", people.segretario, clock)


def test_delibera_executable_after_the_tenth_day_of_publication(people, clock):
    act = fire(_delibera(people, clock), "numera", people.segretario, clock)
    act = fire(attach_signed(act, people, clock), "pubblica", people.albo, clock)
    assert act.published_from == date(2025, 7, 1)
    assert acts.executability_date(act) == date(2025, 7, 11)


def test_delibera_declared_immediately_executable_records_the_vote(people, clock):
    act = fire(
        _delibera(people, clock),
        "numera",
        people.segretario,
        clock,
        immediatamente_eseguibile=True,
        votazione="Approvata con 14 voti favorevoli su 18 componenti",
    )
    assert acts.executability_date(act) == date(2025, 7, 1)
    assert act.events[-1].data["votazione"].startswith("Approvata con 14")


def test_immediate_execution_needs_the_vote(people, clock):
    with pytest.raises(GuardFailed, match="votazione"):
        fire(
            _delibera(people, clock),
            "numera",
            people.segretario,
            clock,
            immediatamente_eseguibile=True,
        )


def test_only_a_delibera_can_be_immediately_executable(people, clock):
    act = to_signature(propose(people, clock), people, clock)
    act = fire(act, "firma", people.sindaco, clock)
    act = fire(act, "firma", people.segretario, clock)
    with pytest.raises(GuardFailed, match="Solo una deliberazione"):
        fire(act, "numera", people.segretario, clock, immediatamente_eseguibile=True, votazione="x")
    assert acts.executability_date(act) is None
