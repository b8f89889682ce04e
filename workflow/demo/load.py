"""The demo: the real PSTTM 2025-2027 replayed from the seed, and the 2022-2024 plan completed.

From the seed (decree R.G. 43/2025): avvio by decree R.G. 264/2024 of 22/10/2024; schema approved by
decree R.G. 43/2025 of 19/02/2025, fascicolo 2.16/2024/1; contributions "entro la fine di febbraio";
the 2022-2024 plan "Orizzonte 2026" approved by the Consiglio on 13/06/2023. Every other number and
date below is illustrative and says so in its note. Loading is idempotent and resumable: a step
already recorded is never recorded again.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from workflow.access import operations as users
from workflow.access.models import User
from workflow.access.roles import (
    ADMIN,
    ALBO,
    DIREZIONE_GENERALE,
    DIRIGENTE,
    RAGIONERIA,
    SEGRETARIO_GENERALE,
    SINDACO,
)
from workflow.consultations import operations as contributions
from workflow.consultations import queries, territory, territory_data
from workflow.consultations.models import FORUM, Body
from workflow.consultations.themes import THEMES
from workflow.core.clock import ROME, Clock, FixedClock, as_utc
from workflow.demo import acts as demo_acts
from workflow.demo import continuation
from workflow.demo.files import demo_pdf, slug
from workflow.extensions import db
from workflow.mail import settings
from workflow.procedures import operations as procedures
from workflow.procedures.models import Procedure

ILLUSTRATIVE = "Dato dimostrativo: non tratto dal seed."
# The proroga of the 2025 consultation's term (illustrative decree, replayed on its own days).
PROROGA_OGGETTO = (
    "PROROGA AL 31 MARZO DEL TERMINE PER I CONTRIBUTI DEI COMUNI E DEL FORUM METROPOLITANO "
    "AL PSTTM 2025-2027."
)
PROROGA_SIGNED = date(2025, 2, 26)
PROROGA_TERM = date(2025, 3, 31)
CONSULTATION_CLOSED = date(2025, 4, 10)

# username, full name, password, role. Demo only: never load this into a production database.
DEMO_USERS = (
    ("direzione", "Laura Bianchi", "demo-direzione", DIREZIONE_GENERALE),
    ("segretario", "Antonio Sebastiano Purcaro", "demo-segretario", SEGRETARIO_GENERALE),
    ("sindaco", "Francesco Vassallo", "demo-sindaco", SINDACO),
    ("dirigente", "Marco Rossi", "demo-dirigente", DIRIGENTE),
    ("ragioneria", "Paola Verdi", "demo-ragioneria", RAGIONERIA),
    ("albo", "Giorgio Neri", "demo-albo-pretorio", ALBO),
    ("admin", "Amministratore di sistema", "demo-amministratore", ADMIN),
)
DEMO_USERS_TABLE = [(u, p, r) for u, _, p, r in DEMO_USERS]
# Fictitious codici fiscali (invented birth dates and places, right check character): the demo
# signing certificates carry them (TINIT-…), so the demo decree's signers are recognised by them.
DEMO_CODICI_FISCALI = {
    "direzione": "BNCLRA78M52F205J",
    "segretario": "PRCNNS65C21F839V",
    "sindaco": "VSSFNC70E12F205S",
    "dirigente": "RSSMRC80A01F205Z",
    "ragioneria": "VRDPLA75H45F205C",
    "albo": "NREGRG82B15F205U",
}


@dataclass
class Scripted:
    period_start: int
    title: str
    fascicolo: str
    steps: list[tuple[str, dict[str, Any]]]
    planned: dict[str, date] = field(default_factory=dict)


PSTTM_2022 = Scripted(
    2022,
    "PSTTM 2022-2024 «Orizzonte 2026»",
    "2.16/2022/1",
    [
        ("avvia", {"numero": "51/2022", "data": "2022-03-15", "note": ILLUSTRATIVE}),
        ("elabora_linee_guida", {"data": "2022-06-30", "note": ILLUSTRATIVE}),
        (
            "approva_schema",
            {
                "numero": "238/2022",
                "data": "2022-10-20",
                "scadenza_contributi": "2022-11-30",
                "note": ILLUSTRATIVE,
            },
        ),
        ("esame_commissione", {"data": "2022-11-10", "note": ILLUSTRATIVE}),
        ("presenta_conferenza", {"data": "2022-11-17", "note": ILLUSTRATIVE}),
        ("presenta_forum", {"data": "2022-11-24", "note": ILLUSTRATIVE}),
        ("adotta", {"numero": "68/2022", "data": "2022-12-21", "note": ILLUSTRATIVE}),
        (
            "parere_conferenza",
            {"numero": "3/2023", "data": "2023-03-15", "favorevole": True, "note": ILLUSTRATIVE},
        ),
        (
            "approva",
            {
                "numero": "22/2023",
                "data": "2023-06-13",
                "note": "Data dal seed (approvazione definitiva 13/06/2023); numero dimostrativo.",
            },
        ),
    ],
)

PSTTM_2025 = Scripted(
    2025,
    "PSTTM 2025-2027 «Prospettive metropolitane»",
    "2.16/2024/1",
    [
        (
            "avvia",
            {
                "numero": "264/2024",
                "data": "2024-10-22",
                "note": "Avvio del procedimento con il supporto del Centro Studi PIM.",
            },
        ),
        ("elabora_linee_guida", {"data": "2025-01-31", "note": ILLUSTRATIVE}),
        (
            "approva_schema",
            {
                "numero": "43/2025",
                "data": "2025-02-19",
                "scadenza_contributi": "2025-02-28",
                "note": "Contributi e indicazioni dei Comuni e del Forum "
                "«entro la fine di febbraio».",
            },
        ),
    ],
    planned={
        "avvio": date(2024, 10, 22),
        "linee_guida": date(2025, 1, 31),
        "schema": date(2025, 2, 19),
        "commissione": date(2025, 3, 12),
        "conferenza": date(2025, 3, 20),
        "forum": date(2025, 3, 27),
        "adozione": date(2025, 4, 30),
        "parere_conferenza": date(2025, 5, 29),
        "approvazione": date(2025, 6, 30),
    },
)


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)


def load(*, clock: Clock) -> Report:
    """Create what is missing of the demo; running it twice changes nothing the second time."""
    report = Report()
    for username, full_name, password, role in DEMO_USERS:
        if db.session.scalar(select(User.id).where(User.username == username)) is None:
            users.create_user(
                username,
                full_name,
                password,
                [role],
                actor=None,
                clock=clock,
                codice_fiscale=DEMO_CODICI_FISCALI.get(username),
            )
            report.lines.append(f"utente {username} creato")
        user = users.find_user(username)
        if user.codice_fiscale is None and username in DEMO_CODICI_FISCALI:
            users.set_codice_fiscale(
                username, DEMO_CODICI_FISCALI[username], actor=None, clock=clock
            )
        if not settings.address_of(user):
            # example.org is reserved (RFC 2606): demo mail can never reach a real mailbox.
            settings.update_settings(
                user.id, actor=user, clock=clock, email=f"{username}@example.org"
            )
    direzione = users.find_user("direzione")
    for script in (PSTTM_2022, PSTTM_2025):
        report.lines.append(_replay(script, direzione, clock))
    report.lines.extend(demo_acts.load(clock=clock))
    report.lines.append(_consultation_2025(direzione, clock))
    # Everything below is illustrative ("Dato dimostrativo"), dated relative to the load day.
    report.lines.extend(continuation.load(direzione, clock=clock))
    report.lines.extend(demo_acts.load_open(clock=clock))
    return report


# Illustrative members of the Forum metropolitano (the seed names none).
DEMO_FORUM = (
    "Camera di Commercio di Milano Monza Brianza Lodi",
    "Assolombarda",
    "CGIL Camera del Lavoro Metropolitana di Milano",
    "Politecnico di Milano",
    "Forum del Terzo Settore Città metropolitana di Milano",
)
# Share of each zone's Comuni that answered, and of those how many only after the deadline: some
# zones complete, some late, some far behind (illustrative, not from the seed).
DEMO_SPREAD = {
    "alto_milanese": (0.7, 0.1),
    "nord_ovest": (0.6, 0.2),
    "nord_milano": (1.0, 0.0),
    "adda_martesana": (0.5, 0.3),
    "sud_est": (1.0, 0.15),
    "sud_ovest": (0.25, 0.0),
    "magentino_abbiatense": (0.4, 0.25),
    territory_data.MILANO_ZONE: (1.0, 0.0),
    "forum": (0.6, 0.0),
}
DEMO_SEED = 2025


@dataclass(frozen=True)
class Answer:
    """One body's contribution as the demo's spread draws it."""

    body: Body
    at: datetime  # Europe/Rome
    themes: list[str]
    channel: str


def _spread(invited: list[Body]) -> list[Answer]:
    """Who answers, when, on what and how: drawn from a fixed seed, so the same bodies answer on
    the same days on every run and every machine; in order of receipt (protocol order)."""
    # A seeded generator on purpose: the demo's spread is the same on every machine, not secret.
    rng = random.Random(DEMO_SEED)  # nosec B311
    answers = []
    for body in sorted(invited, key=lambda b: (b.kind, b.name)):
        share, late_share = DEMO_SPREAD[body.zone or "forum"]
        # Draw every number for every body, answered or not, so the spread never shifts.
        answers_, late = rng.random() < share, rng.random() < late_share
        # Late: after the term as extended by the proroga (31/03/2025).
        day = (
            PROROGA_TERM + timedelta(days=1 + rng.randrange(5))
            if late
            else date(2025, 2, 20) + timedelta(days=rng.randrange(9))
        )
        at = datetime.combine(day, time(rng.randrange(8, 18), rng.randrange(60)), tzinfo=ROME)
        themes = rng.sample(sorted(THEMES), rng.randrange(1, 4))
        channel = rng.choice(["pec", "pec", "pec", "email", "mano"])
        if answers_:
            answers.append(Answer(body, at, themes, channel))
    return sorted(answers, key=lambda a: (a.at, a.body.name))


def _consultation_2025(actor: User, clock: Clock) -> str:
    """The 2025 consultation of PSTTM 2025-2027 (deadline 28/02/2025, decree R.G. 43/2025,
    extended to 31/03/2025 by an illustrative proroga), each contribution registered on the day it
    arrived, so its protocol number is of 2025; the proroga decree numbered in between, in time
    order; the consultation closed on 10/04/2025. Nothing dated after the load day is made."""
    territory.load(clock=clock)
    for name in DEMO_FORUM:
        if db.session.scalar(select(Body.id).where(Body.kind == FORUM, Body.name == name)) is None:
            territory.add_forum_member(
                name, addresses=[f"segreteria.{slug(name)}@example.org"], actor=actor, clock=clock
            )
    for body in territory.bodies():
        if not body.addresses:
            # example.org is reserved (RFC 2606): demo reminders can never reach a real Comune.
            territory.set_addresses(
                body.id, [f"protocollo.{slug(body.name)}@example.org"], actor=actor, clock=clock
            )
    procedure = db.session.scalars(
        select(Procedure).where(Procedure.kind == "psttm", Procedure.period_start == 2025)
    ).one()  # replayed just before
    consultation = queries.for_procedure(procedure.id)
    if consultation is None:
        consultation = contributions.open_consultation(
            procedure.id,
            deadline=date(2025, 2, 28),
            forum=True,
            actor=actor,
            clock=demo_acts.at("2025-02-19", 15),
        )
    done = {c.body_id for c in consultation.contributions}
    now = as_utc(clock.now())
    proroga_at = as_utc(demo_acts.at(PROROGA_SIGNED, 12).now())
    added = 0
    for answer in _spread([i.body for i in consultation.invitations]):
        received = as_utc(answer.at)
        if received > proroga_at:
            _proroga_2025(procedure.id, clock)  # its numbers come before the later receipts
        if answer.body.id in done or received > now or consultation.closed:
            continue
        contributions.register_contribution(
            consultation.id,
            body_id=answer.body.id,
            received_at=answer.at,
            channel=answer.channel,
            summary=f"Osservazioni di {answer.body.name} sul Progetto di Piano ({ILLUSTRATIVE})",
            themes=answer.themes,
            file_name=f"contributo-{slug(answer.body.name)}.pdf",
            content=demo_pdf(answer.body.name),
            actor=actor,
            # Registered on arrival: the protocol number is of the day (and year) received.
            clock=FixedClock(received + timedelta(minutes=5)),
        )
        added += 1
    _proroga_2025(procedure.id, clock)
    closing = demo_acts.at(CONSULTATION_CLOSED, 12)
    if not consultation.closed and closing.now() <= now:
        contributions.close_consultation(
            consultation.id,
            expected_version=consultation.version,
            outcome=f"Consultazione conclusa: contributi trasmessi al Consiglio. {ILLUSTRATIVE}",
            actor=actor,
            clock=closing,
        )
    return f"Consultazione 2025: {len(done) + added} contributi ({added} aggiunti)"


def _proroga_2025(procedure_id: int, clock: Clock) -> None:
    """The proroga decree (proposed 24/02/2025, signed and published 26/02/2025) and the step
    that applies it to the procedure: the contributions' term becomes 31/03/2025."""
    people = {u.username: u for u in users.list_users()}
    now = as_utc(clock.now())
    act = demo_acts.replayed(
        "decreto_sindaco",
        PROROGA_OGGETTO,
        proposed=date(2025, 2, 24),
        moves=demo_acts.life(date(2025, 2, 24), PROROGA_SIGNED),
        people=people,
        now=now,
        procedure_id=procedure_id,
    )
    procedure = procedures.get(procedure_id)
    if act is None or act.repertorio_number is None:
        return
    if any(s.event == "proroga_contributi" for s in procedure.steps):
        return
    procedures.advance(
        procedure.id,
        "proroga_contributi",
        expected_version=procedure.version,
        data={
            "numero": demo_acts.citation(act),
            "data": PROROGA_SIGNED.isoformat(),
            "scadenza_contributi": PROROGA_TERM.isoformat(),
            "motivazione": "Richiesta di più tempo da parte di diverse Zone omogenee.",
            "note": ILLUSTRATIVE,
        },
        actor=people["direzione"],
        clock=demo_acts.at(PROROGA_SIGNED, 16),
    )


def _replay(script: Scripted, actor: User, clock: Clock) -> str:
    procedure = db.session.scalar(
        select(Procedure).where(
            Procedure.kind == "psttm", Procedure.period_start == script.period_start
        )
    )
    if procedure is None:
        procedure = procedures.open_procedure(
            "psttm",
            script.period_start,
            actor=actor,
            clock=clock,
            title=script.title,
            fascicolo=script.fascicolo,
        )
    if script.planned and all(m.planned_date is None for m in procedure.milestones):
        procedures.plan_milestones(
            procedure.id,
            expected_version=procedure.version,
            planned=script.planned,
            actor=actor,
            clock=clock,
        )
    # The steps the script names, not yet recorded (the continuation records later ones).
    recorded = {s.event for s in procedure.steps}
    added = 0
    for event, data in script.steps:
        if event in recorded:
            continue
        added += 1
        procedure = procedures.advance(
            procedure.id,
            event,
            expected_version=procedure.version,
            data=data,
            actor=actor,
            clock=clock,
        )
    return f"{procedure.title}: {procedures.state_label(procedure)} ({added} passaggi aggiunti)"
