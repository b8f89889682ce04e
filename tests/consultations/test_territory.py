"""The territory as data: 133 Comuni in 7 Zone omogenee plus Milano, 3 Unioni, official spellings;
contact addresses and the Forum's members are edited through audited operations."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from workflow.audit.models import AuditEvent
from workflow.consultations import territory
from workflow.consultations import territory_data as data
from workflow.consultations.models import Body
from workflow.core.errors import Conflict, InvalidData, NotAllowed
from workflow.extensions import db

SEED = (
    Path(__file__).resolve().parents[3] / "shared" / "seed" / "psttm-2025-2027-decreto-43-2025.txt"
)
MISSPELT = {
    "Turbigio": "Turbigo",
    "Vanzaghella": "Vanzaghello",
    "Culturano": "Colturano",
    "Cislino": "Cisliano",
    "Naviglio": "Noviglio",
}
COUNTS = {
    "alto_milanese": 22,
    "nord_ovest": 16,
    "nord_milano": 6,
    "adda_martesana": 29,
    "sud_est": 15,
    "sud_ovest": 16,
    "magentino_abbiatense": 28,
}


def test_133_comuni_in_seven_zones_with_their_counts_plus_milano() -> None:
    assert {code: len(names) for code, (_, names) in data.ZONES.items()} == COUNTS
    rows = data.comuni()
    assert len(rows) == 133 == 1 + sum(COUNTS.values())
    assert rows[0] == ("Milano", data.MILANO_ZONE)
    assert len({name for name, _ in rows}) == 133  # no Comune in two zones


def test_official_spellings_replace_the_seed_misspellings() -> None:
    names = {name for name, _ in data.comuni()}
    assert set(MISSPELT.values()) <= names
    assert not set(MISSPELT) & names
    unions = {name for name, _ in data.UNIONS.values()}
    assert "Unione dei Fontanili" in unions and not any("Fontanilli" in u for u in unions)


def test_three_unions_whose_members_are_comuni_of_the_list() -> None:
    names = {name for name, _ in data.comuni()}
    assert len(data.UNIONS) == 3
    for _, members in data.UNIONS.values():
        assert set(members) <= names
    assert data.UNIONS["uc_fontanili"][1].count("Noviglio") == 1


@pytest.mark.skipif(not SEED.exists(), reason="the shared seed is not beside this checkout")
def test_the_list_matches_the_seed_once_its_misspellings_are_corrected() -> None:
    text = SEED.read_text(encoding="utf-8")
    block = text[text.index("1 ALTO MILANESE") : text.index("8 MILANO")]
    zones: dict[str, list[str]] = {}
    current = ""
    for line in block.splitlines():
        heading = re.match(r"^\d ([A-Z ]+)$", line.strip())
        if heading:
            current = heading.group(1).lower().replace(" ", "_")
            zones[current] = []
        elif line.strip():
            zones[current] += [
                MISSPELT.get(c.strip(), c.strip()) for c in line.split("\t") if c.strip()
            ]
    assert {z: sorted(n) for z, n in zones.items()} == {
        code: sorted(names) for code, (_, names) in data.ZONES.items()
    }


def test_loading_the_territory_is_idempotent(app, clock) -> None:
    assert territory.load(clock=clock) == 136
    assert territory.load(clock=clock) == 0
    count = db.session.scalar(select(func.count()).select_from(Body))
    assert count == 136
    zones = dict(
        db.session.execute(
            select(Body.zone, func.count()).where(Body.kind == "comune").group_by(Body.zone)
        ).all()
    )
    assert zones == {**COUNTS, data.MILANO_ZONE: 1}
    fontanili = next(b for b in territory.bodies("unione") if b.name == "Unione dei Fontanili")
    assert len(territory.union_members()[fontanili.id]) == 9


def test_editing_addresses_is_audited_with_before_and_after(app, clock, direzione) -> None:
    territory.load(clock=clock)
    legnano = next(b for b in territory.bodies("comune") if b.name == "Legnano")
    territory.set_addresses(
        legnano.id, ["protocollo@pec.example.org", " "], actor=direzione, clock=clock
    )
    territory.set_addresses(
        legnano.id,
        ["protocollo@pec.example.org", "sindaco@example.org"],
        actor=direzione,
        clock=clock,
    )
    events = [
        json.loads(e.payload)
        for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "body.addresses").order_by(AuditEvent.seq)
        )
    ]
    assert [e["after"] for e in events] == [
        ["protocollo@pec.example.org"],
        ["protocollo@pec.example.org", "sindaco@example.org"],
    ]
    assert events[1]["before"] == ["protocollo@pec.example.org"]


def test_a_bad_address_is_refused_and_nothing_changes(app, clock, direzione) -> None:
    territory.load(clock=clock)
    rho = next(b for b in territory.bodies("comune") if b.name == "Rho")
    with pytest.raises(InvalidData, match="Indirizzo e-mail non valido"):
        territory.set_addresses(
            rho.id, ["ok@example.org", "non un indirizzo"], actor=direzione, clock=clock
        )
    assert territory.get(rho.id).addresses == []


def test_only_staff_with_the_right_edits_the_territory(app, clock, make_user) -> None:
    territory.load(clock=clock)
    albo = make_user("albo")
    with pytest.raises(NotAllowed):
        territory.set_addresses(
            territory.bodies()[0].id, ["a@example.org"], actor=albo, clock=clock
        )


def test_forum_members_are_an_editable_list(app, clock, direzione) -> None:
    member = territory.add_forum_member(
        "Assolombarda", addresses=["forum@example.org"], actor=direzione, clock=clock
    )
    with pytest.raises(Conflict):
        territory.add_forum_member("Assolombarda", actor=direzione, clock=clock)
    territory.set_forum_member_active(member.id, False, actor=direzione, clock=clock)
    assert territory.get(member.id).active is False
