"""The XML writer: whatever text it is handed, the document parses (XML 1.0 section 2.2)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from workflow.core.xmlwriter import child, comment, document, root, xml_text

FORBIDDEN = [chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"] + ["\ud800", "\ufffe", "\uffff"]


@pytest.mark.parametrize("char", FORBIDDEN, ids=[f"U+{ord(c):04X}" for c in FORBIDDEN])
def test_a_character_xml_forbids_becomes_the_replacement_character(char) -> None:
    top = root("rss", {"version": "2.0", "note": f"a{char}b"})
    child(top, "title", f"<a>{char}&b")
    parsed = ET.fromstring(document(top))
    assert parsed.findtext("title") == "<a>\ufffd&b"
    assert parsed.get("note") == "a\ufffdb"


def test_allowed_text_is_kept_and_line_ends_are_written_as_lf() -> None:
    assert xml_text("città\tè 🙂\r\nfine\r") == "città\tè 🙂\nfine\n"
    assert document(root("rss")).startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<rss')


@pytest.mark.parametrize("note", ["motivo -- doppio", "finisce con -", "a\x00b --> <x>"])
def test_a_comment_never_breaks_the_document(note) -> None:
    top = root("r")
    comment(top, note)
    child(top, "c", "x")
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
    parsed = ET.fromstring(document(top), parser=parser)
    assert parsed.findtext("c") == "x"
    assert "--" not in parsed[0].text
