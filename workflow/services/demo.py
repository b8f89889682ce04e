"""The demo: the real PSTTM 2025-2027 replayed from the seed, and the 2022-2024 plan completed.

From the seed (decree R.G. 43/2025): avvio by decree R.G. 264/2024 of 22/10/2024; schema approved by
decree R.G. 43/2025 of 19/02/2025, fascicolo 2.16/2024/1; contributions "entro la fine di febbraio";
the 2022-2024 plan "Orizzonte 2026" approved by the Consiglio on 13/06/2023. Every other number and
date below is illustrative and says so in its note. Loading is idempotent and resumable: a step
already recorded is never recorded again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from workflow.clock import Clock
from workflow.extensions import db
from workflow.models import Procedure, User
from workflow.roles import (
    ADMIN,
    ALBO,
    DIREZIONE_GENERALE,
    DIRIGENTE,
    RAGIONERIA,
    SEGRETARIO_GENERALE,
    SINDACO,
)
from workflow.services import demo_acts, mail, procedures, users

ILLUSTRATIVE = "Dato dimostrativo: non tratto dal seed."

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
            users.create_user(username, full_name, password, [role], actor=None, clock=clock)
            report.lines.append(f"utente {username} creato")
        user = users.find_user(username)
        if not mail.address_of(user):
            # example.org is reserved (RFC 2606): demo mail can never reach a real mailbox.
            mail.update_settings(user.id, actor=user, clock=clock, email=f"{username}@example.org")
    direzione = users.find_user("direzione")
    for script in (PSTTM_2022, PSTTM_2025):
        report.lines.append(_replay(script, direzione, clock))
    report.lines.extend(demo_acts.load(clock=clock))
    return report


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
    done = len(procedure.steps)
    for event, data in script.steps[done:]:
        procedure = procedures.advance(
            procedure.id,
            event,
            expected_version=procedure.version,
            data=data,
            actor=actor,
            clock=clock,
        )
    added = len(script.steps) - done
    return f"{procedure.title}: {procedures.state_label(procedure)} ({added} passaggi aggiunti)"
