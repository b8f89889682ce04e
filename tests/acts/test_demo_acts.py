"""The demo holds the seed's decree as it really went, plus acts open today; re-runs add nothing."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from tests.conftest import login
from workflow.acts import queries
from workflow.acts.models import Act, ActDocument
from workflow.acts.register_models import RegisterEntry
from workflow.audit.models import AuditEvent
from workflow.demo import load as demo
from workflow.extensions import db

SEED_FIELDS = (
    "Pubblicazione Nr",
    "1084/2025",
    "dal 19/02/2025 al 05/03/2025",
    "Repertorio Generale",
    "43/2025 del 19/02/2025",
    "Data di Approvazione",
    "19/02/2025",
    "Protocollo",
    "32556/2025",
    "Titolario/Anno/Fascicolo",
    "2.16/2024/1",
    "Proponente",
    "CONSIGLIERE DELEGATO FRANCESCO VASSALLO",
    "Materia",
    "PIANIFICAZIONE STRATEGICA",
    "Struttura Organizzativa",
    "DIREZIONE GENERALE",
    "APPROVAZIONE DELLO SCHEMA DI PIANO STRATEGICO TRIENNALE DEL TERRITORIO METROPOLITANO "
    "(PSTTM) - TRIENNIO 2025/2027.",
    "2163_14487^DecretoFirmato.pdf",
    "Firmato digitalmente da: <strong>Francesco Vassallo",
    "Firmato digitalmente da: <strong>Antonio Sebastiano Purcaro",
)


def seed_decree() -> Act:
    return db.session.scalars(select(Act).where(Act.repertorio_number == 43)).one()


def test_demo_decree_has_the_seed_numbers_dates_and_classification(demo_app):
    act = seed_decree()
    record = queries.record(act, date(2025, 2, 19))
    assert record.stato == "PUBBLICATO ATTIVO"
    assert record.pubblicazione == "1084/2025"
    assert (record.dal, record.al) == ("19/02/2025", "05/03/2025")
    assert record.repertorio == "43/2025 del 19/02/2025"
    assert record.approvazione == "19/02/2025"
    assert record.protocollo == "32556/2025"
    assert record.fascicolo == "2.16/2024/1"
    assert record.heading == "DECRETO DEL SINDACO METROPOLITANO"
    assert act.state == "pubblicazione_certificata"
    assert act.procedure_id is not None


def test_demo_staff_page_shows_every_field_of_the_seed(demo_app, client):
    login(client, "direzione", "demo-direzione")
    page = client.get(f"/atti/{seed_decree().id}").get_data(as_text=True)
    for text in SEED_FIELDS:
        assert text in page, text


def test_demo_has_acts_open_on_the_day_it_is_loaded(demo_app, client):
    # The two acts published on the load day and the final approval of PSTTM 2025-2027 (30/06);
    # the Albo's page also lists, within its window, the publication annulled on 26/06.
    assert len(queries.public_list(date(2025, 7, 1))) == 3
    page = client.get("/albo").get_data(as_text=True)
    assert "Atti in pubblicazione (4)" in page
    assert "ADESIONE ALLA RETE DELLE CITTÀ METROPOLITANE" in page


def test_demo_reload_adds_nothing(demo_app, clock):
    counts = [
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Act, ActDocument, RegisterEntry, AuditEvent)
    ]
    demo.load(clock=clock)
    again = [
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Act, ActDocument, RegisterEntry, AuditEvent)
    ]
    assert again == counts


def test_procedure_page_links_the_step_to_the_decree(demo_app, client):
    act = seed_decree()
    login(client, "direzione", "demo-direzione")
    page = client.get(f"/procedimenti/{act.procedure_id}").get_data(as_text=True)
    link = f'<a href="/atti/{act.id}">Decreto R.G. 43/2025 del 19/02/2025</a>'
    # the milestone "schema", the step in "Passaggi registrati" and the fascicolo's list of acts
    assert page.count(link) == 3
