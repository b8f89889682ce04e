"""The codice fiscale of a natural person: its form and its check character.

DM 23/12/1976 (Ministero delle Finanze) sets the 16 characters: 3 letters of the surname, 3 of the
name, the year (2 digits), the month (a letter of ABCDEHLMPRST), the day (+40 for women), the
municipality or foreign country (a letter and 3 digits), and a check character computed from the
first 15. When two people would get the same code (omocodia), the Agenzia delle Entrate replaces
digits from the right with the letters LMNPQRSTUV; the check character is then computed on the
code as replaced, so the same algorithm validates every variant.

Italian qualified certificates carry it in the subject's serialNumber as `TINIT-<codice>`
(ETSI EN 319 412-1, semantics identifier "TIN" + country "IT"): that is how a signature is matched
to its signer (workflow/acts/documents.py).
"""

from __future__ import annotations

import re

from workflow.core.errors import InvalidData

LENGTH = 16
# A digit or its omocodia letter (0→L, 1→M, … 9→V).
_D = "[0-9LMNPQRSTUV]"
FORM = re.compile(f"[A-Z]{{6}}{_D}{{2}}[ABCDEHLMPRST]{_D}{{2}}[A-Z]{_D}{{3}}[A-Z]")

# DM 23/12/1976, annex: the value of each character in an odd position (1st, 3rd, … 15th)…
_ODD = dict(
    zip(
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        [1, 0, 5, 7, 9, 13, 15, 17, 19, 21]
        + [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25]
        + [24, 23],
        strict=True,
    )
)
# … and in an even position: digits 0–9 and letters A–Z (A=0) are worth their rank.
_EVEN = {**{str(d): d for d in range(10)}, **{chr(65 + i): i for i in range(26)}}


def check_character(first15: str) -> str:
    """The check character (A–Z) of the first 15 characters of a codice fiscale (upper case)."""
    total = sum((_ODD if i % 2 == 0 else _EVEN)[c] for i, c in enumerate(first15))
    return chr(65 + total % 26)


def normalise(value: str) -> str:
    """Upper case without spaces: how a codice fiscale is compared and stored."""
    return re.sub(r"\s+", "", value or "").upper()


def is_valid(value: str) -> bool:
    """True when `value` (normalised) has the form of a person's codice fiscale and its check
    character is right."""
    code = normalise(value)
    return bool(FORM.fullmatch(code)) and check_character(code[:15]) == code[15]


def check(value: str, label: str = "Codice fiscale") -> str:
    """`value` normalised (upper case, no spaces) when it is a valid codice fiscale of a person.

    Raises InvalidData naming `label`: wrong length, characters out of place, wrong check
    character (the usual sign of a typing slip).
    """
    code = normalise(value)
    if len(code) != LENGTH:
        raise InvalidData(f"«{label}»: deve avere {LENGTH} caratteri (ne ha {len(code)}).")
    if not FORM.fullmatch(code):
        raise InvalidData(
            f"«{label}»: «{code}» non ha la forma di un codice fiscale "
            "(6 lettere, anno, lettera del mese, giorno, codice del comune, "
            "carattere di controllo)."
        )
    expected = check_character(code[:15])
    if code[15] != expected:
        raise InvalidData(
            f"«{label}»: il carattere di controllo di «{code}» non torna "
            f"(dovrebbe essere {expected}): controlla di averlo scritto bene."
        )
    return code


def numeric_check_digit(first10: str) -> str:
    """The check digit of an 11-digit codice fiscale of a body or partita IVA (DM 23/12/1976):
    odd positions summed, even positions doubled (less 9 past 9), the complement to ten."""
    total = 0
    for i, c in enumerate(first10):
        n = int(c)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return str((10 - total % 10) % 10)


def check_subject(value: str, label: str = "Codice fiscale") -> str:
    """`value` normalised when it is a valid codice fiscale of a person (16 characters) or of a
    body / partita IVA (11 digits), check character included. Raises InvalidData naming `label`."""
    code = normalise(value)
    if len(code) == 11 and code.isdigit():
        expected = numeric_check_digit(code[:10])
        if code[10] != expected:
            raise InvalidData(
                f"«{label}»: la cifra di controllo di «{code}» non torna (dovrebbe essere "
                f"{expected}): controlla di averlo scritto bene."
            )
        return code
    if len(code) != LENGTH:
        raise InvalidData(
            f"«{label}»: 16 caratteri (persona) o 11 cifre (ente o partita IVA), non {len(code)}."
        )
    return check(code, label)


def from_certificate_serial(serial: str | None) -> str | None:
    """The codice fiscale in a certificate subject's serialNumber (`TINIT-<codice>`), upper case,
    or None when the attribute does not carry a well-formed one."""
    if not serial:
        return None
    text = normalise(serial)
    if not text.startswith("TINIT-"):
        return None
    code = text.removeprefix("TINIT-")
    return code if FORM.fullmatch(code) else None
