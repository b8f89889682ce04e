"""People and steps that carry a decree through its life, as in the seed (decree R.G. 43/2025)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from werkzeug.security import generate_password_hash

from workflow.access.models import User, UserRole
from workflow.access.roles import (
    ALBO,
    DIREZIONE_GENERALE,
    DIRIGENTE,
    RAGIONERIA,
    SEGRETARIO_GENERALE,
    SINDACO,
)
from workflow.acts import documents
from workflow.acts import operations as acts
from workflow.acts.models import Act
from workflow.demo.signing import TestCA, signed_pdf
from workflow.extensions import db

PASSWORD = "password-di-prova"
OGGETTO = (
    "APPROVAZIONE DELLO SCHEMA DI PIANO STRATEGICO TRIENNALE DEL TERRITORIO METROPOLITANO "
    "(PSTTM) - TRIENNIO 2025/2027."
)


@dataclass
class People:
    direzione: User
    dirigente: User
    ragioneria: User
    segretario: User
    sindaco: User
    albo: User


def make_people(clock) -> People:
    def make(username: str, full_name: str, role: str) -> User:
        # A cheap hash keeps the many act tests fast; the real create_user is tested elsewhere.
        user = User(
            username=username,
            full_name=full_name,
            password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1"),
            created_at=clock.now(),
            roles=[UserRole(role=role)],
        )
        db.session.add(user)
        db.session.commit()
        return user

    return People(
        direzione=make("dg", "Laura Bianchi", DIREZIONE_GENERALE),
        dirigente=make("dir", "Marco Rossi", DIRIGENTE),
        ragioneria=make("rag", "Paola Verdi", RAGIONERIA),
        segretario=make("seg", "Antonio Sebastiano Purcaro", SEGRETARIO_GENERALE),
        sindaco=make("sin", "Francesco Vassallo", SINDACO),
        albo=make("albo", "Giorgio Neri", ALBO),
    )


def propose(people: People, clock, act_type: str = "decreto_sindaco", **overrides: Any) -> Act:
    fields = {
        "oggetto": OGGETTO,
        "fascicolo": "2.16/2024/1",
        "proponente": "CONSIGLIERE DELEGATO FRANCESCO VASSALLO",
        "materia": "PIANIFICAZIONE STRATEGICA",
        "struttura": "DIREZIONE GENERALE",
        "testo": "VISTA la proposta di decreto redatta all'interno…",
        **overrides,
    }
    return acts.propose(act_type, actor=people.direzione, clock=clock, **fields)


def fire(act: Act, event: str, actor: User, clock, **data: Any) -> Act:
    return acts.fire_event(
        act.id, event, expected_version=act.version, data=data, actor=actor, clock=clock
    )


FAVOREVOLE = {"favorevole": True, "testo": "Parere favorevole."}


def to_signature(act: Act, people: People, clock) -> Act:
    act = fire(act, "parere_tecnico", people.dirigente, clock, **FAVOREVOLE)
    act = fire(act, "contabile_non_dovuto", people.ragioneria, clock, motivazione="Nessun onere.")
    return fire(act, "parere_segretario", people.segretario, clock, **FAVOREVOLE)


def to_adopted(act: Act, people: People, clock) -> Act:
    act = to_signature(act, people, clock)
    act = fire(act, "firma", people.sindaco, clock)
    act = fire(act, "firma", people.segretario, clock)
    return fire(act, "numera", people.segretario, clock)


def attach_signed(act: Act, people: People, clock, ca: TestCA | None = None, signers=None) -> Act:
    ca = ca or TestCA()
    names = (
        signers if signers is not None else [people.sindaco.full_name, people.segretario.full_name]
    )
    pdf = signed_pdf(["DECRETO DEL SINDACO METROPOLITANO", act.oggetto[:80]], ca, names)
    documents.attach(
        act.id,
        expected_version=act.version,
        filename="2163_14487^DecretoFirmato.pdf",
        content=pdf,
        kind="atto",
        actor=people.albo,
        clock=clock,
    )
    return acts.get(act.id)


def to_published(act: Act, people: People, clock, **data: Any) -> Act:
    act = attach_signed(to_adopted(act, people, clock), people, clock)
    return fire(act, "pubblica", people.albo, clock, **data)
