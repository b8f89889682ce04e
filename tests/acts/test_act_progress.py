"""What an act waits for: the desk lists only owed work, the act page says what is missing, the
numbering form offers the immediate executability only to a delibera."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.act_factories import (
    FAVOREVOLE,
    PASSWORD,
    attach_signed,
    fire,
    make_people,
    propose,
    to_adopted,
    to_published,
    to_signature,
)
from tests.conftest import login
from workflow.acts import progress
from workflow.definitions import ACT_LATEST
from workflow.desk import sections as desk


@pytest.fixture
def people(app, clock):
    return make_people(clock)


def waiting_on_desk(user, clock) -> dict[int, list[str]]:
    """The desk's "Atti in attesa di te": act id → the events listed."""
    (section,) = [s for s in desk.desk_for(user, clock=clock).sections if s.key == "atti"]
    return {item.act.id: [s.event for s in item.steps] for item in section.items}


def page_of(client, act, user) -> str:
    if client.get("/").status_code != 200:  # not signed in yet (as `user`: one per test)
        login(client, user.username, PASSWORD)
    response = client.get(f"/atti/{act.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def missing_section(page: str) -> str:
    start = page.index('id="cosa-manca"')
    return page[start : page.index("</section>", start)]


# ---- 1. The desk lists owed work, not the corrective steps a published act allows ------------


def test_published_act_inside_its_window_waits_for_nobody(people, clock) -> None:
    act = to_published(propose(people, clock), people, clock)
    # Annulment and proroga are possible for them, but nothing is owed yet.
    assert act.id not in waiting_on_desk(people.segretario, clock)
    assert act.id not in waiting_on_desk(people.albo, clock)


def test_published_act_waits_for_the_segretarios_relata_after_its_window(people, clock) -> None:
    act = to_published(propose(people, clock), people, clock)
    clock.instant += timedelta(days=15)  # the window (01/07–15/07/2025) has ended
    assert waiting_on_desk(people.segretario, clock)[act.id] == ["relata"]
    assert act.id not in waiting_on_desk(people.albo, clock)  # a proroga is never owed


def test_proposal_waits_for_the_opinion_not_for_its_revision(people, clock) -> None:
    act = propose(people, clock)
    assert waiting_on_desk(people.dirigente, clock)[act.id] == ["parere_tecnico"]
    assert act.id not in waiting_on_desk(people.direzione, clock)  # could revise or withdraw


def test_suspended_act_waits_for_its_revision_or_withdrawal(people, clock) -> None:
    """A contrary opinion leaves only revising or withdrawing: then they are the work."""
    act = fire(
        propose(people, clock),
        "parere_tecnico",
        people.dirigente,
        clock,
        favorevole=False,
        testo="No.",
    )
    assert waiting_on_desk(people.direzione, clock)[act.id] == ["rivedi", "ritira"]


def test_corrective_steps_are_work_only_where_nothing_else_moves_the_act() -> None:
    from workflow.definitions import acts as machine

    work = {(s.source, s.event) for s in ACT_LATEST.steps if progress.is_work(ACT_LATEST, s)}
    assert (machine.PUBBLICATO, "relata") in work
    assert (machine.PUBBLICATO, "annulla_pubblicazione") not in work
    assert (machine.PUBBLICATO, "proroga") not in work
    assert (machine.PROPOSTA, "rivedi") not in work and (machine.PROPOSTA, "ritira") not in work
    assert (machine.SOSPESO, "rivedi") in work and (machine.SOSPESO, "ritira") in work


# ---- 2. The act page says in words what is missing, to everyone -----------------------------


def test_act_page_says_whose_opinion_is_awaited(client, people, clock) -> None:
    act = propose(people, clock)
    section = missing_section(page_of(client, act, people.albo))  # the Albo cannot act here
    assert "Parere di regolarità tecnica" in section
    assert "Spetta al ruolo: Dirigente competente." in section
    assert "Nessun passaggio disponibile" not in page_of(client, act, people.albo)


def test_act_page_names_the_signatures_still_missing(client, people, clock) -> None:
    act = fire(
        to_signature(propose(people, clock), people, clock), "firma", people.segretario, clock
    )
    section = missing_section(page_of(client, act, people.ragioneria))
    assert "Mancano le firme di: Sindaco metropolitano / Consigliere delegato." in section
    assert "Spetta al ruolo: Sindaco metropolitano / Consigliere delegato." in section
    assert "Segretario Generale" not in section  # already signed


def test_act_page_names_who_must_have_signed_the_pdf_to_publish(client, people, clock) -> None:
    act = to_adopted(propose(people, clock), people, clock)
    section = missing_section(page_of(client, act, people.dirigente))
    assert "Pubblica all&#39;Albo pretorio" in section
    assert (
        "firmato digitalmente (PDF con firme PAdES) da Francesco Vassallo e Antonio Sebastiano "
        "Purcaro; caricato: nessuno." in section
    )
    act = attach_signed(act, people, clock)
    section = missing_section(page_of(client, act, people.dirigente))
    assert "Spetta al ruolo: Ufficio Albo." in section and "caricato" not in section


def test_act_page_says_when_the_relata_becomes_due(client, people, clock) -> None:
    act = to_published(propose(people, clock), people, clock)
    section = missing_section(page_of(client, act, people.segretario))
    assert "Rilascia la relata di pubblicazione" in section
    assert "solo al termine del periodo (ultimo giorno 15/07/2025)." in section
    assert "Annulla la pubblicazione" not in section and "Proroga" not in section


def test_act_page_of_a_concluded_act_says_so(client, people, clock) -> None:
    act = to_published(propose(people, clock), people, clock)
    fire(act, "annulla_pubblicazione", people.albo, clock, motivazione="Errore materiale.")
    section = missing_section(page_of(client, act, people.direzione))
    assert "Il percorso dell'atto è concluso" in section


def test_what_is_missing_before_the_accounting_opinion(people, clock) -> None:
    act = fire(propose(people, clock), "parere_tecnico", people.dirigente, clock, **FAVOREVOLE)
    missing = {m.step.event: m for m in progress.what_is_missing(act, clock)}
    assert set(missing) == {"parere_contabile", "contabile_non_dovuto"}
    assert missing["contabile_non_dovuto"].reason == (
        "Spetta a uno dei ruoli: Ragioneria, Dirigente competente."
    )
    assert not any(m.refused for m in missing.values())


# ---- 3. Immediate executability (TUEL art. 134 c. 4): a delibera's, never a decree's --------


def numbering_form(client, act, user) -> str:
    page = page_of(client, act, user)
    start = page.index(f'action="/atti/{act.id}/passaggi/numera"')
    return page[start : page.index("</form>", start)]


def signed(act, people, clock):
    act = to_signature(act, people, clock)
    act = fire(act, "firma", people.sindaco, clock)
    return fire(act, "firma", people.segretario, clock)


def test_decree_numbering_form_offers_no_immediate_executability(client, people, clock) -> None:
    act = signed(propose(people, clock), people, clock)
    form = numbering_form(client, act, people.segretario)
    assert "immediatamente_eseguibile" not in form and "votazione" not in form
    assert "Numera e data" in form


def test_deliberation_numbering_form_offers_immediate_executability(client, people, clock) -> None:
    act = signed(propose(people, clock, act_type="delibera_consiglio"), people, clock)
    form = numbering_form(client, act, people.segretario)
    assert 'name="immediatamente_eseguibile"' in form and 'name="votazione"' in form


def test_api_lists_the_executability_fields_only_for_a_delibera(people, clock) -> None:
    from workflow.acts import operations as acts

    decree = signed(propose(people, clock), people, clock)
    delibera = signed(propose(people, clock, act_type="delibera_consiglio"), people, clock)

    def numbering_fields(act) -> list[str]:
        (step,) = [
            s for s in acts.allowed_events(act, people.segretario, clock) if s.event == "numera"
        ]
        return [f.name for f in step.fields]

    assert numbering_fields(decree) == []
    assert numbering_fields(delibera) == ["immediatamente_eseguibile", "votazione"]


# ---- 4. The act page in Italian, at every stage ---------------------------------------------


def test_act_page_names_no_code_and_doubles_no_punctuation(client, people, clock) -> None:
    from tests.procedures.test_page_words import CODE, DOUBLED, sentences, visible

    act = fire(
        propose(people, clock),
        "parere_tecnico",
        people.dirigente,
        clock,
        favorevole=False,
        testo="Manca la copertura.",
    )
    act = fire(act, "rivedi", people.direzione, clock, testo="Nuovo testo.", motivazione="Rivisto.")
    act = to_published(act, people, clock)
    clock.instant += timedelta(days=15)
    act = fire(act, "relata", people.segretario, clock, note="Nessuna interruzione.")
    text = sentences(visible(page_of(client, act, people.segretario)))
    assert CODE.findall(text) == []
    assert DOUBLED.findall(text) == [], [
        text[max(0, m.start() - 60) : m.end() + 20] for m in DOUBLED.finditer(text)
    ]


def test_a_step_refused_in_this_state_is_named_by_its_label(people, clock) -> None:
    from workflow.core.errors import Conflict

    act = propose(people, clock)
    with pytest.raises(Conflict, match="«Rilascia la relata di pubblicazione» non è possibile"):
        fire(act, "relata", people.segretario, clock)
