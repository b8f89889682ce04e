"""The pictures: timeline and state diagram drawn by the app itself, from the running definition."""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
from datetime import date

from tests.conftest import login
from tests.factories import PRESENTATIONS, TO_ADOPTED, TO_CONSULTATION, open_psttm, run
from workflow.definitions import LATEST
from workflow.engine.definition import State, Step
from workflow.engine.diagram import state_diagram
from workflow.procedures import operations as procedures
from workflow.procedures.timeline import timeline

SVG = "{http://www.w3.org/2000/svg}"


def svgs(html: str) -> dict[str, ET.Element]:
    """Every inline <svg> picture of the page, parsed as XML (so it must be well-formed), by its
    class. The kit's icons in the page frame are decorative (aria-hidden) and not pictures."""
    found = {}
    for markup in re.findall(r"<svg\b.*?</svg>", html, flags=re.S):
        element = ET.fromstring(markup)
        if element.get("aria-hidden") == "true":
            continue
        found[element.get("class").split()[-1]] = element
    return found


def classes(element: ET.Element) -> set[str]:
    return set((element.get("class") or "").split())


def show(client, procedure) -> str:
    login(client, "direzione")
    response = client.get(f"/procedimenti/{procedure.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_diagram_draws_every_state_and_step_of_the_definition(client, direzione, clock) -> None:
    diagram = svgs(show(client, open_psttm(direzione, clock)))["diagram"]
    states = {g.get("data-state") for g in diagram.iter(f"{SVG}g") if g.get("data-state")}
    assert states == {s.name for s in LATEST["psttm"].states}
    edges = [g.get("data-event") for g in diagram.iter(f"{SVG}g") if "edge" in classes(g)]
    assert sorted(edges) == sorted(s.event for s in LATEST["psttm"].steps if s.dest)
    loops = {t.get("data-event") for t in diagram.iter(f"{SVG}text") if "loop-label" in classes(t)}
    # The steps that keep the state: the presentations and the proroga of the contributions.
    assert loops == {*PRESENTATIONS, "proroga_contributi"}


def test_diagram_follows_a_changed_definition() -> None:
    """Drawn from the Definition itself: a new state and step appear without touching a template."""
    changed = dataclasses.replace(
        LATEST["psttm"],
        states=(*LATEST["psttm"].states, State(name="archiviato", label="Archiviato")),
        steps=(
            *LATEST["psttm"].steps,
            Step(
                event="archivia",
                label="Archivia",
                source="approvato",
                dest="archiviato",
                roles=("admin",),
            ),
        ),
    )
    diagram = state_diagram(changed, "approvato", [])
    assert "archiviato" in {n.name for n in diagram.nodes}
    (edge,) = [e for e in diagram.edges if e.event == "archivia"]
    archived = next(n for n in diagram.nodes if n.name == "archiviato")
    assert archived.y > next(n for n in diagram.nodes if n.name == "approvato").y
    assert edge.source == "approvato" and not edge.backward


def test_diagram_highlights_the_current_state_and_the_path_taken(client, direzione, clock) -> None:
    procedure = run(open_psttm(direzione, clock), TO_ADOPTED, direzione, clock)
    procedure = run(
        procedure,
        ["parere_conferenza", "riadotta"],
        direzione,
        clock,
        parere_conferenza={"favorevole": False},
    )
    diagram = svgs(show(client, procedure))["diagram"]
    nodes = {
        g.get("data-state"): classes(g) for g in diagram.iter(f"{SVG}g") if g.get("data-state")
    }
    assert "current" in nodes["adottato"]
    assert [s for s, c in nodes.items() if "current" in c] == ["adottato"]
    assert "visited" in nodes["parere_contrario"] and "visited" not in nodes["parere_favorevole"]
    taken = {
        (g.get("data-event"), "taken" in classes(g))
        for g in diagram.iter(f"{SVG}g")
        if "edge" in classes(g)
    }
    assert ("riadotta", True) in taken and ("approva", False) in taken
    # the favourable branch of the parere was not taken, the unfavourable one was
    assert ("parere_conferenza", True) in taken and ("parere_conferenza", False) in taken
    loops = {
        t.get("data-event"): classes(t) for t in diagram.iter(f"{SVG}text") if t.get("data-event")
    }
    assert all("taken" in loops[e] for e in PRESENTATIONS)


def test_pictures_carry_title_description_and_a_text_alternative(client, direzione, clock) -> None:
    procedure = run(open_psttm(direzione, clock), TO_CONSULTATION, direzione, clock)
    html = show(client, procedure)
    for name, picture in svgs(html).items():
        title, desc = picture.find(f"{SVG}title"), picture.find(f"{SVG}desc")
        assert title is not None and title.text, name
        assert desc is not None and desc.text, name
        labelled = (picture.get("aria-labelledby") or "").split()
        assert title.get("id") in labelled, name
    diagram = svgs(html)["diagram"]
    assert "Stato attuale: Consultazione." in diagram.find(f"{SVG}desc").text
    assert "Il diagramma in forma di tabella" in html
    assert html.count('id="tappa-') == len(LATEST["psttm"].milestones)


def test_timeline_marks_late_and_overdue_milestones_and_today(client, direzione, clock) -> None:
    procedure = run(open_psttm(direzione, clock), TO_CONSULTATION, direzione, clock)
    procedures.plan_milestones(
        procedure.id,
        expected_version=procedure.version,
        planned={
            "avvio": date(2024, 10, 22),  # recorded that day: on time
            "schema": date(2025, 2, 1),  # recorded 19/02/2025: late
            "commissione": date(2025, 6, 1),  # not recorded, past: overdue
            "forum": date(2025, 9, 1),  # future
        },
        actor=direzione,
        clock=clock,
    )
    line = svgs(show(client, procedure))["timeline"]
    rows = {a.get("href"): classes(a) for a in line.iter(f"{SVG}a")}
    assert rows["#tappa-avvio"] == {"tl-row"}
    assert "late" in rows["#tappa-schema"]
    # the overdue milestone links to the form that records it (this user may)
    assert "overdue" in rows[f"/procedimenti/{procedure.id}/passaggi/esame_commissione"]
    assert rows[f"/procedimenti/{procedure.id}/passaggi/presenta_forum"] == {"tl-row"}
    assert "oggi 01/07/2025" in ET.tostring(line, encoding="unicode")


def test_timeline_bars_lie_on_one_time_axis() -> None:
    rows = [
        procedures.MilestoneRow("a", "A", "F1", date(2025, 1, 1), date(2025, 1, 1), "", (), ""),
        procedures.MilestoneRow("b", "B", "F1", date(2025, 2, 1), date(2025, 3, 1), "", (), ""),
        procedures.MilestoneRow("c", "C", "F2", date(2025, 4, 1), None, "", (), ""),
    ]
    tl = timeline(rows, date(2025, 5, 1), lambda r: f"#{r.code}", "prova")
    a, b, c = tl.rows
    # B's actual bar runs from A's actual date to its own; it ends later than its planned bar
    assert abs(b.actual.x - (a.actual.x + a.actual.w / 2)) < 0.01
    assert b.actual.x + b.actual.w > b.planned.x + b.planned.w
    assert b.late and not a.late
    # C is overdue: its bar runs from the planned date to today
    assert c.overdue and abs(c.actual.x + c.actual.w - tl.today_x) < 0.01
    assert [t.label for t in tl.ticks][:2] == ["gen 2025", "feb 2025"]


def test_pages_keep_styles_and_scripts_out_of_the_html(client, direzione, clock) -> None:
    """Ready for a strict CSP: no inline <script>, <style> or style="…" on the pages of the desk;
    scripts only from the app's own static files (the kit's bundle)."""
    procedure = run(open_psttm(direzione, clock), TO_CONSULTATION, direzione, clock)
    login(client, "direzione")
    for path in ("/", "/procedimenti", f"/procedimenti/{procedure.id}", "/procedimenti/confronto"):
        html = client.get(path).get_data(as_text=True)
        inline = r'<script(?![^>]*\ssrc="/static/)|<style|\sstyle='
        assert not re.search(inline, html, flags=re.I), path
        assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', ""), path
