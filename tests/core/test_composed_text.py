"""Text the tracker composes from what users typed (a deadline title from a 300-character
procedure title, a reminder's subject from a 300-character deadline title) fits its own column:
cut with "…", never refused, so one long title neither blocks a step nor stops a reminder scan.
Found by the attacker review: on PostgreSQL one such title stopped every reminder e-mail."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from tests.deadlines.test_reminders import deadline, outbox, plan, rome
from tests.factories import open_psttm, run
from workflow.core import inputs
from workflow.deadlines import reminders
from workflow.deadlines.models import Deadline
from workflow.extensions import db

LONGEST_TITLE = "PIANO STRATEGICO TRIENNALE DEL TERRITORIO METROPOLITANO " * 6
LONGEST_TITLE = LONGEST_TITLE[:300]


def test_a_procedure_with_the_longest_title_gets_its_deadlines_and_reminders(
    clock, direzione, with_address
) -> None:
    with_address(direzione)
    procedure = open_psttm(direzione, clock)
    procedure.title = LONGEST_TITLE
    db.session.commit()
    plan(procedure, clock, direzione, avvio=date(2025, 7, 31))
    run(procedure, ["avvia", "elabora_linee_guida", "approva_schema"], direzione, clock)
    titles = db.session.scalars(select(Deadline.title)).all()
    assert titles and all(len(t) <= 300 for t in titles)
    assert any(t.endswith("…") for t in titles)
    assert deadline(f"procedure:{procedure.id}:tappa:avvio").state == "met"
    # A deadline with a 300-character title: its reminder's subject is longer than 300.
    plan(procedure, clock, direzione, adozione=date(2025, 9, 30))
    clock.instant = rome(2025, 9, 19, 8, 0)
    assert reminders.scan(clock=clock).written >= 1
    subjects = [row.subject for row in outbox()]
    assert subjects and all(len(s) <= 300 for s in subjects)
    assert any(s.endswith("…") for s in subjects)


def test_fit_cuts_with_an_ellipsis_and_leaves_short_text_alone() -> None:
    assert inputs.fit("breve", 300) == "breve"
    assert inputs.fit("a" * 10, 5) == "aaaa…"
    assert inputs.fit("parola lunga ", 8) == "parola…"
