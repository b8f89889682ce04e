"""Writing XML that no stored text can make ill-formed (the Albo's RSS feed).

ElementTree escapes `&`, `<`, `>` and quotes, but writes any character it is handed, and XML 1.0
(section 2.2, production Char) forbids the C0 control characters other than tab, LF and CR, lone
surrogates and U+FFFE/U+FFFF anywhere in a document: a parser stops at the first one, so one act
whose oggetto holds a pasted U+000B would take the whole feed down for every reader. Every text and
attribute value goes through `xml_text`, which replaces each such character with U+FFFD (the
Unicode replacement character: the alteration stays visible instead of silently joining words)
and writes CR and CRLF as LF, what a parser would read them as anyway.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# Building only: this module never parses XML (bandit's B405 warns about parsing untrusted input).
from xml.etree.ElementTree import Comment, Element, SubElement, tostring  # nosec B405

_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
REPLACEMENT = "\ufffd"
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def xml_text(value: object) -> str:
    """`value` as text an XML 1.0 document may hold (see the module's docstring)."""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _NOT_XML_CHAR.sub(REPLACEMENT, text)


def _attributes(attributes: Mapping[str, object] | None) -> dict[str, str]:
    return {name: xml_text(value) for name, value in (attributes or {}).items()}


def root(tag: str, attributes: Mapping[str, object] | None = None) -> Element:
    """A document's root element. Namespace prefixes are written as plain names (`atom:link`,
    with `xmlns:atom` among the root's attributes), so the output keeps the prefixes readers
    expect instead of ElementTree's `ns0`."""
    return Element(tag, _attributes(attributes))


def child(
    parent: Element,
    tag: str,
    text: object | None = None,
    attributes: Mapping[str, object] | None = None,
) -> Element:
    """Append `<tag attributes…>text</tag>` to `parent`; None means no text."""
    element = SubElement(parent, tag, _attributes(attributes))
    if text is not None:
        element.text = xml_text(text)
    return element


def document(top: Element) -> bytes:
    """The whole document, UTF-8, with its XML declaration."""
    return (DECLARATION + tostring(top, encoding="unicode")).encode("utf-8")


def comment(parent: Element, text: object) -> None:
    """Append `<!-- text -->` to `parent`. "--" may not occur inside a comment (XML 1.0 section
    2.5), nor may it end with "-": both are written with a space between the dashes."""
    body = xml_text(text).replace("--", "- -")
    if body.endswith("-"):
        body += " "
    parent.append(Comment(f" {body} "))
