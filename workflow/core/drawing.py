"""Pictures the app draws as inline SVG: geometry computed here, markup in templates/drawing/.

Pure functions of their inputs (a machine definition, milestone rows, a date): no Flask, no
database, no JavaScript, nothing fetched from elsewhere. Each picture carries its own title and
description, and the page that shows it also shows the same facts as a table.
"""

from __future__ import annotations

MONTHS = ("gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic")
CHAR_W = 6.8  # average advance of a 12 px system sans-serif glyph, to size boxes without a font


def wrap(text: str, width: int, lines: int = 2) -> tuple[str, ...]:
    """Split `text` into at most `lines` lines of about `width` characters (the last one cut
    with an ellipsis if it still does not fit)."""
    words, out, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    out.append(line)
    if len(out) > lines:
        out = out[: lines - 1] + [" ".join(out[lines - 1 :])]
    return tuple(o if len(o) <= width else o[: width - 1].rstrip() + "…" for o in out)


def text_width(text: str) -> float:
    return len(text) * CHAR_W
