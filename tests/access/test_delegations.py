"""A role held by delegation (decreto di delega, with its dates) counts on every operation, page
and to-do on the days the delegation covers, and on none before or after: the cases of issue 14
tried as a new user would (a delegate of the Sindaco signs a decree; a delegate of the Direzione
Generale opens a consultation and edits a Comune's addresses)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from tests.act_factories import attach_signed, fire, make_people, propose, to_signature
from tests.conftest import PASSWORD, login
from tests.factories import open_psttm
from workflow.access import operations as users
from workflow.access.enforce import may
from workflow.access.models import Delegation, User
from workflow.access.roles import (
    DIREZIONE_GENERALE,
    DIRIGENTE,
    ROLE_LABELS,
    SEGRETARIO_GENERALE,
    SINDACO,
)
from workflow.acts import operations as acts
from workflow.audit.models import AuditEvent
from workflow.consultations import operations as contributions
from workflow.consultations import queries, territory
from workflow.consultations.models import Body
from workflow.core.errors import GuardFailed, NotAllowed
from workflow.desk import sections as desk
from workflow.extensions import db
from workflow.procedures import operations as procedures

DELEGA = "Decreto R.G. 148/2023"
TODAY = date(2025, 7, 1)  # NOW of the fixtures, in Europe/Rome
VALID = (TODAY, TODAY + timedelta(days=30))
NOT_HONOURED = {
    "non ancora valida": (TODAY + timedelta(days=1), None),
    "scaduta": (TODAY - timedelta(days=30), TODAY - timedelta(days=1)),
}


def delegate(
    role: str, period: tuple[date, date | None], clock, username: str = "conti"
) -> tuple[User, Delegation]:
    """Giulia Conti, a Dirigente in her own right, holding `role` by delegation in `period`."""
    user = users.create_user(
        username, "Giulia Conti", PASSWORD, [DIRIGENTE], actor=None, clock=clock
    )
    delegation = users.delegate(username, role, DELEGA, *period, actor=None, clock=clock)
    return user, delegation


def last_audit(action: str) -> AuditEvent:
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq.desc())
    return db.session.scalars(query).first()


def bresso() -> Body:
    return db.session.scalar(select(Body).where(Body.name == "Bresso"))


# ---- (a) a delegate of the Sindaco signs a decree ----------------------------------------------


def test_a_delegated_signature_is_recorded_for_the_sindaco_naming_the_delegate_and_the_office(
    app, client, clock, token_for
) -> None:
    people = make_people(clock)
    vice, delegation = delegate(SINDACO, VALID, clock)
    act = to_signature(propose(people, clock), people, clock)
    assert "firma" in [s.event for s in acts.allowed_events(act, vice, clock)]

    act = fire(act, "firma", vice, clock)
    expected = {
        "ruolo": SINDACO,
        "firmatario": "Giulia Conti",
        "per_delega": {
            "per_conto_di": ROLE_LABELS[SINDACO],
            "atto": DELEGA,
            "delega_id": delegation.id,
        },
    }
    signed = acts.get(act.id).events[-1]
    assert (signed.event, signed.recorded_role, signed.recorded_by_id) == (
        "firma",
        SINDACO,
        vice.id,
    )
    assert signed.data == expected
    audited = last_audit("act.firma")
    assert (audited.actor_id, audited.actor_name, audited.role) == (
        vice.id,
        "Giulia Conti",
        SINDACO,
    )
    assert json.loads(audited.payload)["data"] == expected

    # The Sindaco's signature is given: the Segretario's completes the act, and the Albo then
    # expects the delegate's digital signature on the signed PDF.
    act = fire(act, "firma", people.segretario, clock)
    act = fire(act, "numera", people.segretario, clock)
    names = [vice.full_name, people.segretario.full_name]
    act = attach_signed(act, people, clock, signers=names)
    act = fire(act, "pubblica", people.albo, clock)
    assert act.state == "pubblicato"

    login(client, "seg")
    page = client.get(f"/atti/{act.id}").get_data(as_text=True)
    assert "da Giulia Conti (Sindaco metropolitano / Consigliere delegato)" in page
    assert f"per delega ({DELEGA}), per conto di: {ROLE_LABELS[SINDACO]}" in page
    answer = client.get(f"/api/v1/acts/{act.id}", headers=token_for(people.segretario)).get_json()
    (by_vice,) = [e for e in answer["events"] if e["recorded_by"] == "conti"]
    assert by_vice["event"] == "firma" and by_vice["recorded_role"] == SINDACO
    assert by_vice["data"] == expected


def test_a_signature_in_ones_own_right_names_no_delegation(app, clock) -> None:
    people = make_people(clock)
    act = fire(to_signature(propose(people, clock), people, clock), "firma", people.sindaco, clock)
    assert acts.get(act.id).events[-1].data == {
        "ruolo": SINDACO,
        "firmatario": "Francesco Vassallo",
    }


def test_one_person_never_gives_two_required_signatures_even_by_delegation(app, clock) -> None:
    people = make_people(clock)
    users.delegate(people.segretario.username, SINDACO, DELEGA, *VALID, actor=None, clock=clock)
    act = fire(
        to_signature(propose(people, clock), people, clock), "firma", people.segretario, clock
    )
    assert act.events[-1].data["ruolo"] == SEGRETARIO_GENERALE  # own role first
    assert "firma" not in [s.event for s in acts.allowed_events(act, people.segretario, clock)]
    with pytest.raises(GuardFailed, match="le firme richieste devono essere di persone diverse"):
        fire(act, "firma", people.segretario, clock)
    act = fire(act, "firma", people.sindaco, clock)  # the other signature, by someone else
    assert {e.recorded_by_id for e in act.events if e.event == "firma"} == {
        people.segretario.id,
        people.sindaco.id,
    }


@pytest.mark.parametrize("period", NOT_HONOURED)
def test_a_delegate_of_the_sindaco_may_not_sign_before_or_after_the_delegation(
    app, clock, period
) -> None:
    people = make_people(clock)
    vice, _ = delegate(SINDACO, NOT_HONOURED[period], clock)
    act = to_signature(propose(people, clock), people, clock)
    assert "firma" not in [s.event for s in acts.allowed_events(act, vice, clock)]
    with pytest.raises(NotAllowed):
        fire(act, "firma", vice, clock)
    assert acts.get(act.id).events[-1].event == "parere_segretario"


# ---- (b) a delegate of the Direzione Generale: consultation and addresses ----------------------


def test_a_delegate_of_the_direzione_generale_opens_the_consultation_and_edits_addresses(
    app, clock
) -> None:
    territory.load(clock=clock)
    vice, _ = delegate(DIREZIONE_GENERALE, VALID, clock)
    procedure = procedures.open_procedure("psttm", 2026, actor=vice, clock=clock)

    opened = contributions.open_consultation(
        procedure.id, deadline=date(2025, 9, 30), zones=["nord_milano"], actor=vice, clock=clock
    )
    assert opened.opened_by_id == vice.id and len(opened.invitations) == 6
    territory.set_addresses(bresso().id, ["protocollo@pec.example.org"], actor=vice, clock=clock)
    assert [a.address for a in bresso().addresses] == ["protocollo@pec.example.org"]
    for action in ("consultation.opened", "body.addresses"):
        audited = last_audit(action)
        assert (audited.actor_id, audited.role) == (vice.id, DIREZIONE_GENERALE)


@pytest.mark.parametrize("period", NOT_HONOURED)
def test_a_delegate_of_the_direzione_generale_is_refused_before_or_after_the_delegation(
    app, clock, direzione, period
) -> None:
    territory.load(clock=clock)
    vice, _ = delegate(DIREZIONE_GENERALE, NOT_HONOURED[period], clock)
    procedure = open_psttm(direzione, clock, 2026)

    with pytest.raises(NotAllowed):
        contributions.open_consultation(
            procedure.id, deadline=date(2025, 9, 30), actor=vice, clock=clock
        )
    with pytest.raises(NotAllowed):
        territory.set_addresses(
            bresso().id, ["protocollo@pec.example.org"], actor=vice, clock=clock
        )
    assert queries.for_procedure(procedure.id) is None and bresso().addresses == []


# ---- What pages offer, and the desk ------------------------------------------------------------


@pytest.mark.parametrize("period", ["valida", *NOT_HONOURED])
def test_pages_offer_the_forms_of_a_delegated_role_only_on_its_days(
    app, client, clock, direzione, period
) -> None:
    territory.load(clock=clock)
    procedure = open_psttm(direzione, clock, 2026)
    delegate(DIREZIONE_GENERALE, VALID if period == "valida" else NOT_HONOURED[period], clock)
    login(client, "conti")
    offered = {
        "/procedimenti": "Apri il procedimento per il prossimo triennio",
        f"/procedimenti/{procedure.id}/consultazione": "Apri la consultazione</button>",
        "/territorio": "Aggiungi un componente del Forum metropolitano",
        "/scadenze": "<summary>Registra una scadenza</summary>",
    }
    for path, form in offered.items():
        page = client.get(path).get_data(as_text=True)
        assert (form in page) == (period == "valida"), path


def test_may_counts_a_delegation_only_on_its_days(app, clock) -> None:
    """`may`, the pages' one question: held or delegated today, on the app's clock."""
    vice, _ = delegate("segretario_generale", (TODAY - timedelta(days=10), TODAY), clock)
    assert may(vice, "audit.checkpoint") and may(vice, "act.propose")  # delegated; held
    assert not may(vice, "users.manage")
    clock.instant += timedelta(days=1)  # the delegation ended yesterday
    assert not may(vice, "audit.checkpoint") and may(vice, "act.propose")
    assert not may(AnonymousUserMixin(), "procedure.read")
    with pytest.raises(KeyError):
        may(vice, "audit.chekpoint")


def test_the_desk_of_a_delegate_holds_the_steps_of_the_delegated_role(
    app, clock, direzione
) -> None:
    procedure = open_psttm(direzione, clock)
    vice, _ = delegate(SINDACO, (TODAY, TODAY), clock)
    assert [(i.procedure.id, i.step.event) for i in desk.todo(vice, clock)[0]] == [
        (procedure.id, "avvia")
    ]
    clock.instant += timedelta(days=1)
    assert desk.todo(vice, clock)[0] == []
