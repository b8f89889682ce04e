"""Demo acts: the seed's decree R.G. 43/2025 replayed as it really went, and a few acts whose
publication windows are open on the day the demo is loaded (so the public Albo is never empty).

Everything goes through the same services and register allocator as any act: the registers are
started from the numbers the previous system had reached (42, 32555 and 1083 in 2025), so the
allocator gives exactly 43/2025, 32556/2025 and 1084/2025. The decree's steps run on a replay clock
set to the days they happened (19/02/2025, relata after the window). Its signed PDF is generated
and signed by a throw-away demo CA: its fingerprint therefore differs from the seed's
(e70b8a4a…c342), which belongs to the real file we do not have.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from workflow.access import operations as users
from workflow.access.models import User
from workflow.acts import documents, queries, registers
from workflow.acts import operations as acts
from workflow.acts.models import Act
from workflow.acts.register_models import ALBO, PROTOCOLLO, REPERTORIO, RegisterCounter
from workflow.core.clock import Clock, FixedClock
from workflow.demo.signing import TestCA, signed_pdf
from workflow.extensions import db
from workflow.procedures.models import Procedure

SEED_OGGETTO = (
    "APPROVAZIONE DELLO SCHEMA DI PIANO STRATEGICO TRIENNALE DEL TERRITORIO METROPOLITANO "
    "(PSTTM) - TRIENNIO 2025/2027."
)
SEED_TEXT = (
    "IL SINDACO METROPOLITANO\nAssistito dal Segretario Generale\n"
    "VISTA la proposta di decreto redatta all'interno;\nVISTA la Legge n. 56/2014;\n"
    "VISTO lo Statuto della Città metropolitana ed in particolare l'art. 19 comma 2;\n"
    "ACQUISITI i pareri di regolarità tecnica e di regolarità contabile espressi dai Dirigenti "
    "competenti, ai sensi dell'art. 49 del T.U. approvato con D.Lvo 267/2000;\nDECRETA\n"
    "1) di approvare la proposta di provvedimento redatta all'interno, dichiarandola parte "
    "integrante del presente atto;\n2) di incaricare i competenti Uffici di provvedere agli atti "
    "consequenziali;\n3) di incaricare il Segretario Generale dell'esecuzione del presente decreto."
)
SEED_DOCUMENT = "2163_14487^DecretoFirmato.pdf"
# The last numbers of the previous system in 2025, so that the next ones are the seed's.
PREVIOUS_NUMBERS = {REPERTORIO: 42, PROTOCOLLO: 32555, ALBO: 1083}

FAVOREVOLE = {"favorevole": True, "testo": "Si esprime parere favorevole."}


def at(day: str, hour: int) -> FixedClock:
    """A replay clock: `hour` o'clock in Rome (UTC+1 in February and March) of `day`."""
    y, m, d = (int(p) for p in day.split("-"))
    return FixedClock(datetime(y, m, d, hour - 1, 0, tzinfo=UTC))


@dataclass(frozen=True)
class Move:
    event: str
    who: str  # demo username
    clock: Clock | None  # None: the clock the demo runs on
    data: dict[str, Any]


SEED_MOVES = (
    Move("parere_tecnico", "dirigente", at("2025-02-13", 10), FAVOREVOLE),
    Move(
        "contabile_non_dovuto",
        "ragioneria",
        at("2025-02-14", 10),
        {"motivazione": "L'atto non comporta riflessi diretti o indiretti sul bilancio."},
    ),
    Move("parere_segretario", "segretario", at("2025-02-17", 10), FAVOREVOLE),
    Move("firma", "sindaco", at("2025-02-19", 10), {}),
    Move("firma", "segretario", at("2025-02-19", 11), {}),
    Move("numera", "segretario", at("2025-02-19", 12), {}),
    Move("pubblica", "albo", at("2025-02-19", 13), {}),
    Move("relata", "segretario", at("2025-03-06", 9), {"note": "Pubblicazione regolare."}),
)

OPEN_ACTS = (
    (
        "PROROGA AL 31 MARZO DEL TERMINE PER I CONTRIBUTI DEI COMUNI E DEL FORUM METROPOLITANO "
        "AL PSTTM 2025-2027.",
        "PIANIFICAZIONE STRATEGICA",
    ),
    (
        "APPROVAZIONE DELLO SCHEMA DI CONVENZIONE CON IL CENTRO STUDI PIM PER IL SUPPORTO "
        "TECNICO-SCIENTIFICO AL PIANO STRATEGICO.",
        "PIANIFICAZIONE STRATEGICA",
    ),
    (
        "COSTITUZIONE DEL GRUPPO DI LAVORO INTERDIREZIONALE PER IL MONITORAGGIO DEL PIANO "
        "STRATEGICO TRIENNALE.",
        "ORGANIZZAZIONE",
    ),
)
OPEN_MOVES = (
    Move("parere_tecnico", "dirigente", None, FAVOREVOLE),
    Move("contabile_non_dovuto", "ragioneria", None, {"motivazione": "Nessun onere."}),
    Move("parere_segretario", "segretario", None, FAVOREVOLE),
    Move("firma", "sindaco", None, {}),
    Move("firma", "segretario", None, {}),
    Move("numera", "segretario", None, {}),
    Move("pubblica", "albo", None, {}),
)
ILLUSTRATIVE = "Atto dimostrativo: non tratto dal seed."


def load(*, clock: Clock) -> list[str]:
    """Create or complete the demo acts; a second run changes nothing."""
    people = {u.username: u for u in users.list_users()}
    lines = [_seed_decree(people)]
    for oggetto, materia in OPEN_ACTS:
        lines.append(_open_act(oggetto, materia, people, clock))
    return lines


def _find(oggetto: str) -> Act | None:
    return db.session.scalar(select(Act).where(Act.oggetto == oggetto).order_by(Act.id).limit(1))


def _start_registers(admin: User, clock: Clock) -> None:
    for register, last in PREVIOUS_NUMBERS.items():
        counter = db.session.get(RegisterCounter, (register, 2025))
        if counter is None or (counter.started_from is None and counter.last_number == 0):
            registers.start_register(register, 2025, last, actor=admin, clock=clock)


def _seed_decree(people: dict[str, User]) -> str:
    act = _find(SEED_OGGETTO)
    if act is None:
        _start_registers(people["admin"], at("2025-02-10", 9))
        procedure_id = db.session.scalar(
            select(Procedure.id).where(Procedure.kind == "psttm", Procedure.period_start == 2025)
        )
        act = acts.propose(
            "decreto_sindaco",
            oggetto=SEED_OGGETTO,
            fascicolo="2.16/2024/1",
            proponente="CONSIGLIERE DELEGATO FRANCESCO VASSALLO",
            materia="PIANIFICAZIONE STRATEGICA",
            struttura="DIREZIONE GENERALE",
            testo=SEED_TEXT,
            procedure_id=procedure_id,
            actor=people["direzione"],
            clock=at("2025-02-12", 9),
        )
    act = _play(act, SEED_MOVES, people, None)
    return f"Decreto R.G. {act.repertorio_number}/{act.repertorio_year}: {queries.state_label(act)}"


def _open_act(oggetto: str, materia: str, people: dict[str, User], clock: Clock) -> str:
    act = _find(oggetto)
    if act is None:
        act = acts.propose(
            "decreto_sindaco",
            oggetto=oggetto,
            fascicolo="2.16/2024/1",
            proponente="CONSIGLIERE DELEGATO FRANCESCO VASSALLO",
            materia=materia,
            struttura="DIREZIONE GENERALE",
            testo=ILLUSTRATIVE,
            actor=people["direzione"],
            clock=clock,
        )
    act = _play(act, OPEN_MOVES, people, clock)
    return f"Atto «{oggetto[:40]}…»: {queries.state_label(act)}"


def _play(act: Act, moves: tuple[Move, ...], people: dict[str, User], clock: Clock | None) -> Act:
    """Fire the moves not yet recorded (resumable: the act's events say how far it got)."""
    for move in moves[len(act.events) :]:
        when = move.clock or clock
        if when is None:
            raise ValueError(f"La mossa {move.event} della demo non ha un orologio.")
        if move.event == "pubblica" and not any(d.kind == "atto" for d in act.documents):
            _attach_signed(act, people, when)
            act = acts.get(act.id)
        act = acts.fire_event(
            act.id,
            move.event,
            expected_version=act.version,
            data=move.data,
            actor=people[move.who],
            clock=when,
        )
    return act


def _attach_signed(act: Act, people: dict[str, User], clock: Clock) -> None:
    signers = [people["sindaco"], people["segretario"]]
    lines = [
        "DECRETO DEL SINDACO METROPOLITANO",
        f"Fascicolo {act.fascicolo}",
        f"Oggetto: {act.oggetto[:90]}",
        *SEED_TEXT.splitlines()[:3],
        "Documento dimostrativo firmato da una CA di prova (non qualificata).",
    ]
    documents.attach(
        act.id,
        expected_version=act.version,
        filename=SEED_DOCUMENT if act.oggetto == SEED_OGGETTO else f"Decreto_{act.id}.pdf",
        content=signed_pdf(
            lines,
            TestCA(),
            [p.full_name for p in signers],
            [p.codice_fiscale for p in signers],
        ),
        kind="atto",
        actor=people["albo"],
        clock=clock,
    )
