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
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from workflow.access import operations as users
from workflow.access.models import User
from workflow.acts import documents, queries, registers
from workflow.acts import operations as acts
from workflow.acts.models import Act
from workflow.acts.register_models import ALBO, PROTOCOLLO, REPERTORIO, RegisterCounter
from workflow.core.clock import ROME, Clock, FixedClock, as_utc
from workflow.deadlines.rules import relata_due
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


def at(day: str | date, hour: int, minute: int = 0) -> FixedClock:
    """A replay clock: `hour` o'clock in Rome (Europe/Rome, summer time included) of `day`."""
    when = date.fromisoformat(day) if isinstance(day, str) else day
    return FixedClock(datetime.combine(when, time(hour, minute), tzinfo=ROME).astimezone(UTC))


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

# Published on the day the demo is loaded: their window is open whatever the day.
OPEN_ACTS = (
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
ILLUSTRATIVE = "Dato dimostrativo: atto non tratto dal seed."


def load(*, clock: Clock) -> list[str]:
    """Create or complete the seed's decree; a second run changes nothing. The acts open today
    come last (`load_open`), after every replayed act, so the registers run in time order."""
    people = {u.username: u for u in users.list_users()}
    return [_seed_decree(people)]


def load_open(*, clock: Clock) -> list[str]:
    """The acts published on the day the demo is loaded (the public Albo is never empty)."""
    people = {u.username: u for u in users.list_users()}
    return [_open_act(oggetto, materia, people, clock) for oggetto, materia in OPEN_ACTS]


def life(
    proposed: date, signed: date, *, until: str = "relata", contrary: bool = False
) -> tuple[Move, ...]:
    """The moves of an act proposed on `proposed` and signed, numbered and published on `signed`
    (opinions on the proposal's day and the next), its relata on the day it falls due (TUEL art.
    124), cut after the first move named `until`: "" for none (a bare proposal), "firma" after
    the Sindaco's signature alone. `contrary`: the technical opinion is contrary (sospeso)."""
    moves = [
        Move(
            "parere_tecnico",
            "dirigente",
            at(proposed, 11),
            {"favorevole": False, "testo": "Parere contrario: manca la copertura tecnica."}
            if contrary
            else FAVOREVOLE,
        ),
        Move("contabile_non_dovuto", "ragioneria", at(proposed + timedelta(days=1), 10), NO_COST),
        Move("parere_segretario", "segretario", at(proposed + timedelta(days=1), 15), FAVOREVOLE),
        Move("firma", "sindaco", at(signed, 10), {}),
        Move("firma", "segretario", at(signed, 11), {}),
        Move("numera", "segretario", at(signed, 12), {}),
        Move("pubblica", "albo", at(signed, 13), {}),
        Move("relata", "segretario", at(relata_due(signed), 9), {"note": ILLUSTRATIVE}),
    ]
    if not until:
        return ()
    cut = next(i for i, m in enumerate(moves) if m.event == until)
    return tuple(moves[: cut + 1])


NO_COST = {"motivazione": "L'atto non comporta riflessi sul bilancio."}


def replayed(
    kind: str,
    oggetto: str,
    *,
    proposed: date,
    moves: tuple[Move, ...],
    people: dict[str, User],
    now: datetime,
    procedure_id: int | None = None,
    fascicolo: str = "2.16/2024/1",
    materia: str = "PIANIFICAZIONE STRATEGICA",
) -> Act | None:
    """An illustrative act of `kind` proposed on `proposed` and taken through `moves`, each on
    its own day: the moves after `now` (UTC) are not made, and nothing at all when the proposal
    itself is after `now`. Found again by its oggetto: a second run adds nothing."""
    act = _find(oggetto)
    if act is None:
        propose_clock = at(proposed, 9)
        if propose_clock.now() > now:
            return None
        act = acts.propose(
            kind,
            oggetto=oggetto,
            fascicolo=fascicolo,
            proponente="CONSIGLIERE DELEGATO FRANCESCO VASSALLO",
            materia=materia,
            struttura="DIREZIONE GENERALE",
            testo=ILLUSTRATIVE,
            procedure_id=procedure_id,
            actor=people["direzione"],
            clock=propose_clock,
        )
    return _play(act, moves, people, None, until=now)


def citation(act: Act) -> str:
    """The act's number as a procedure's step cites it: "N/YYYY" of the Repertorio Generale."""
    return f"{act.repertorio_number}/{act.repertorio_year}"


def adopted_on(act: Act) -> date:
    """The Europe/Rome day the act was numbered (its date in the Repertorio Generale)."""
    numbered = next(e for e in act.events if e.event == "numera")
    return as_utc(numbered.recorded_at).astimezone(ROME).date()


def every_state(*, clock: Clock, procedure_id: int | None, fascicolo: str) -> list[str]:
    """Acts in every state of the machine on the day the demo is loaded (`clock`), each dated
    relative to that day, in the order their numbers are drawn: proposals waiting for each
    opinion (one of them late), one in firma, one suspended by a contrary opinion, one adopted
    and not yet published, one certified, one whose publication was annulled, one withdrawn."""
    people = {u.username: u for u in users.list_users()}
    now = as_utc(clock.now())
    today = now.astimezone(ROME).date()

    def ago(days: int) -> date:
        return today - timedelta(days=days)

    year = today.year
    plans: list[tuple[str, date, tuple[Move, ...]]] = [
        (
            f"APPROVAZIONE DEL PIANO DEGLI INDICATORI DI MONITORAGGIO DEL PSTTM - ANNO {year}.",
            ago(45),
            life(ago(45), ago(40)),
        ),
        (
            f"ADESIONE ALLA RETE DELLE CITTÀ METROPOLITANE PER LA PIANIFICAZIONE STRATEGICA "
            f"- ANNO {year}.",
            ago(9),
            life(ago(9), ago(6), until="pubblica")
            + (
                Move(
                    "annulla_pubblicazione",
                    "segretario",
                    at(ago(5), 10),
                    {"motivazione": "Pubblicato per errore il testo non definitivo."},
                ),
            ),
        ),
        (
            f"APPROVAZIONE DEL CALENDARIO DEGLI INCONTRI TERRITORIALI DEL PIANO STRATEGICO "
            f"- ANNO {year}.",
            ago(4),
            life(ago(4), ago(1), until="numera"),
        ),
        (
            "APPROVAZIONE DELLO SCHEMA DI CONVENZIONE CON ANCI LOMBARDIA PER LA FORMAZIONE "
            "SULLA PIANIFICAZIONE STRATEGICA.",
            ago(4),
            life(ago(4), today, until="firma"),  # signed by the Sindaco, not yet by the Segretario
        ),
        (
            "INDIRIZZI PER IL CONTRIBUTO DELLE ZONE OMOGENEE AL PIANO STRATEGICO.",
            ago(14),
            (),  # no technical opinion yet: it is late (five working days)
        ),
        (
            "APPROVAZIONE DEL RAPPORTO ANNUALE DI MONITORAGGIO DEL PIANO STRATEGICO.",
            ago(2),
            (),
        ),
        (
            "PROTOCOLLO D'INTESA CON LE UNIVERSITÀ MILANESI PER L'OSSERVATORIO METROPOLITANO.",
            ago(3),
            life(ago(3), today, until="parere_tecnico"),
        ),
        (
            "LINEE DI INDIRIZZO PER LA COMUNICAZIONE PUBBLICA DEL PIANO STRATEGICO.",
            ago(3),
            life(ago(3), today, until="contabile_non_dovuto"),
        ),
        (
            "CONTRIBUTO STRAORDINARIO AI COMUNI PER GLI STUDI DI AREA VASTA.",
            ago(7),
            life(ago(7), today, until="parere_tecnico", contrary=True),
        ),
        (
            "ISTITUZIONE DEL TAVOLO PERMANENTE CON LE ZONE OMOGENEE.",
            ago(10),
            (
                Move(
                    "ritira",
                    "direzione",
                    at(ago(8), 16),
                    {"motivazione": "Superata dal nuovo regolamento delle Zone omogenee."},
                ),
            ),
        ),
    ]
    lines = []
    for oggetto, proposed, moves in plans:
        act = replayed(
            "decreto_sindaco",
            oggetto,
            proposed=proposed,
            moves=moves,
            people=people,
            now=now,
            procedure_id=procedure_id,
            fascicolo=fascicolo,
        )
        if act is not None:
            lines.append(f"Atto «{oggetto[:40]}…»: {queries.state_label(act)}")
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
    act = _play(act, SEED_MOVES, people, None, until=None)
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
    act = _play(act, OPEN_MOVES, people, clock, until=None)
    return f"Atto «{oggetto[:40]}…»: {queries.state_label(act)}"


def _play(
    act: Act,
    moves: tuple[Move, ...],
    people: dict[str, User],
    clock: Clock | None,
    *,
    until: datetime | None,
) -> Act:
    """Fire the moves not yet recorded (resumable: the act's events say how far it got), none
    after `until` (UTC; None: every move)."""
    for move in moves[len(act.events) :]:
        when = move.clock or clock
        if when is None:
            raise ValueError(f"La mossa {move.event} della demo non ha un orologio.")
        if until is not None and when.now() > until:
            break
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


def machine_heading(act: Act) -> str:
    """The heading printed on the act's PDF, by kind."""
    return {
        "delibera_consiglio": "DELIBERAZIONE DEL CONSIGLIO METROPOLITANO",
        "delibera_conferenza": "DELIBERAZIONE DELLA CONFERENZA METROPOLITANA",
    }.get(act.act_type, "DECRETO DEL SINDACO METROPOLITANO")


def _attach_signed(act: Act, people: dict[str, User], clock: Clock) -> None:
    """The signed PDF of the act, each signature made when its signer signed in the tracker (the
    act's "firma" events): a decree replayed from 2025 carries 2025 signatures."""
    signers = [people["sindaco"], people["segretario"]]
    signed_at = {e.recorded_by_id: as_utc(e.recorded_at) for e in act.events if e.event == "firma"}
    times = [signed_at.get(p.id, as_utc(clock.now())) for p in signers]
    heading = machine_heading(act)
    lines = [
        heading,
        f"Fascicolo {act.fascicolo}",
        f"Oggetto: {act.oggetto[:90]}",
        *SEED_TEXT.splitlines()[:3],
        "Documento dimostrativo firmato da una CA di prova (non qualificata).",
    ]
    documents.attach(
        act.id,
        expected_version=act.version,
        filename=SEED_DOCUMENT
        if act.oggetto == SEED_OGGETTO
        else f"{'Decreto' if act.act_type == 'decreto_sindaco' else 'Delibera'}_{act.id}.pdf",
        content=signed_pdf(
            lines,
            TestCA(),
            [p.full_name for p in signers],
            [p.codice_fiscale for p in signers],
            times,
        ),
        kind="atto",
        actor=people["albo"],
        clock=clock,
    )
