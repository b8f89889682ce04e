"""The procedure page and its state diagram speak Italian: no code name of an event, a state, a
milestone or a role reaches what people read, and no doubled punctuation."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tests.conftest import login
from tests.factories import PRESENTATIONS, TO_ADOPTED, open_psttm, run
from workflow.access.roles import ROLE_CODES
from workflow.definitions import ACT_DEFINITIONS, DEFINITIONS

# Codes with an underscore cannot be Italian words; a one-word code (avvia, adotta, firma,
# albo, sindaco…) is an ordinary Italian word that a sentence may well contain.
CODES = sorted(
    {
        code
        for definition in (*DEFINITIONS.values(), *ACT_DEFINITIONS.values())
        for code in (
            *(s.event for s in definition.steps),
            *(s.name for s in definition.states),
            *(m.code for m in definition.milestones),
        )
    }
    | set(ROLE_CODES),
)
CODE_NAMES = [c for c in CODES if "_" in c]
CODE = re.compile(r"\b(" + "|".join(map(re.escape, CODE_NAMES)) + r")\b")
# ". ." or ".." (not an ellipsis "..."), and doubled guillemets.
DOUBLED = re.compile(r"(?<!\.)\.\s*\.(?!\.)|»\s*»|«\s*«|,\s*,|;\s*;|:\s*:")


class VisibleText(HTMLParser):
    """The text a person reads: element content, not attributes, scripts or styles; each
    element's text on its own (so that "a.</td><td>." does not read as "a.." across cells)."""

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1
        self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.chunks.append(data)


def visible(html: str, start: str = "", end: str = "") -> str:
    """The readable text of `html`, or of the part from `start` up to `end` when given."""
    if start:
        html = html[html.index(start) :]
    if end:
        html = html[: html.index(end) + len(end)]
    parser = VisibleText()
    parser.feed(html)
    return "".join(parser.chunks)


def sentences(text: str) -> str:
    """The text with the element breaks taken out, to catch ". ." inside one sentence."""
    return re.sub(r"[ \t]*\n\s*", " ", text)


def test_the_scan_finds_a_code_name_and_doubled_punctuation() -> None:
    """The scan itself: it would catch what the page must not show."""
    assert CODE.search("Passaggio elabora_linee_guida") and "attesa_parere_contabile" in CODE_NAMES
    assert "direzione_generale" in CODE_NAMES
    assert DOUBLED.search("Nota. . Altro") and DOUBLED.search("Fine..") and DOUBLED.search("»»")
    assert not DOUBLED.search("Attendere...") and not DOUBLED.search("1.2.3")


def page(client, procedure) -> str:
    login(client, "direzione")
    response = client.get(f"/procedimenti/{procedure.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_diagram_and_its_table_name_no_code(client, direzione, clock) -> None:
    procedure = run(open_psttm(direzione, clock), TO_ADOPTED, direzione, clock)
    procedure = run(
        procedure,
        ["parere_conferenza", "riadotta"],
        direzione,
        clock,
        parere_conferenza={"favorevole": False},
    )
    html = page(client, procedure)
    diagram = visible(html, '<section aria-labelledby="h-diagramma">', "</section>")
    assert "Registra le linee guida e gli indirizzi" in diagram  # in the drawing and the table
    assert "Registra il decreto di approvazione dello schema" in diagram
    assert CODE.findall(diagram) == []
    # the whole page, besides: its history, its timeline, its forms' labels
    assert CODE.findall(visible(html)) == []


def test_procedure_page_has_no_doubled_punctuation(client, direzione, clock) -> None:
    procedure = run(
        open_psttm(direzione, clock),
        ["avvia", "elabora_linee_guida", "approva_schema", "proroga_contributi", *PRESENTATIONS],
        direzione,
        clock,
        avvia={"note": "Decreto firmato."},
        approva_schema={"note": "Schema trasmesso ai Comuni."},
        proroga_contributi={"motivazione": "Richiesta dei Comuni."},
    )
    procedure = run(procedure, ["adotta"], direzione, clock, adotta={"note": "Seduta del 30/04."})
    text = sentences(visible(page(client, procedure)))
    assert DOUBLED.findall(text) == [], [
        text[max(0, m.start() - 60) : m.end() + 20] for m in DOUBLED.finditer(text)
    ]
