"""The one e-mail builder: long and accented subjects folded as RFC 2047 asks and read back
unchanged, and no text of a row (subject, a name) able to add a header of its own."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime
from email.header import decode_header, make_header

import pytest
from sqlalchemy.orm.attributes import set_committed_value

from workflow.mail.models import OutboxMessage
from workflow.mail.transport import SMTP_POLICY, build_message

SENDER = "Procedimenti CMM <procedimenti@example.org>"
LONG_ACCENTED = (
    "[Scadenza] Parere di regolarità tecnica sulla proposta di deliberazione del Consiglio "
    "metropolitano: approvazione definitiva del Piano strategico — perché è già così "
    "— entro il 03/07/2025"
)
LONG_ASCII = (
    "[Sollecito] Relata di pubblicazione n. 1084/2025 del decreto del Sindaco metropolitano "
    "R.G. 43/2025 - scaduta il 03/07/2025"
)
ENCODED_WORD = re.compile(rb"=\?[^?]+\?[qQbB]\?[^?]*\?=")


def row(subject: str, recipient: str = "laura.bianchi@example.org") -> OutboxMessage:
    return OutboxMessage(
        key="k",
        recipient=recipient,
        subject=subject,
        message_id="<abc@example.org>",
        created_at=datetime(2025, 7, 3, 8, 0, tzinfo=UTC),
        body_text="Testo",
        body_html="<p>Testo</p>",
        unsubscribe_url="https://procedimenti.example.org/promemoria/disiscrizione/" + "x" * 120,
    )


def wire(subject: str, sender: str = SENDER) -> bytes:
    """The bytes the SMTP transport sends for a row with `subject`."""
    return build_message(row(subject), sender).as_bytes(policy=SMTP_POLICY)


def headers_of(raw: bytes) -> bytes:
    return raw.split(b"\r\n\r\n", 1)[0]


@pytest.mark.parametrize(
    "subject",
    [LONG_ACCENTED, LONG_ASCII, "Perché", "Breve", "x" * 120, "Testo =?utf-8?q?finto?="],
)
def test_a_subject_folds_within_rfc_limits_and_comes_back_unchanged(subject) -> None:
    raw = wire(subject)
    head = headers_of(raw)
    [subject_field] = re.findall(rb"^Subject:[^\r\n]*(?:\r\n[ \t][^\r\n]*)*", head, re.MULTILINE)
    assert all(len(line) <= 78 for line in subject_field.split(b"\r\n")), subject_field
    assert all(len(word) <= 75 for word in ENCODED_WORD.findall(subject_field))
    # Read back by the modern parser and by the RFC 2047 decoder of the legacy API.
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Subject"] == subject
    unfolded = subject_field.decode("ascii").removeprefix("Subject: ").replace("\r\n", "")
    assert str(make_header(decode_header(unfolded))) == subject


def test_the_unsubscribe_url_stays_one_plain_url() -> None:
    parsed = email.message_from_bytes(wire("Breve"), policy=email.policy.default)
    assert parsed["List-Unsubscribe"] == f"<{row('').unsubscribe_url}>"


@pytest.mark.parametrize(
    "subject",
    [
        "Relata\r\nBcc: intruso@example.org",
        "Relata\nBcc: intruso@example.org",
        "Relata\rBcc: intruso@example.org",
        "Relata perché\r\nBcc: intruso@example.org",
        "Relata\u2028Bcc: intruso@example.org",
    ],
)
def test_a_line_break_in_a_subject_cannot_add_a_header(subject) -> None:
    raw = wire(subject)
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Bcc"] is None and b"\r\nBcc:" not in headers_of(raw)
    assert parsed["Subject"].endswith("Bcc: intruso@example.org")
    assert "\n" not in parsed["Subject"] and "\r" not in parsed["Subject"]


def test_a_line_break_in_the_senders_name_cannot_add_a_header() -> None:
    sender = '"Procedimenti\r\nBcc: intruso@example.org" <procedimenti@example.org>'
    raw = wire("Breve", sender)
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Bcc"] is None and b"\r\nBcc:" not in headers_of(raw)
    assert parsed["From"].addresses[0].addr_spec == "procedimenti@example.org"
    assert parsed["From"].addresses[0].display_name == "Procedimenti Bcc: intruso@example.org"


def test_a_recipient_that_is_not_one_address_is_never_written() -> None:
    # An outbox row is written by the system: the column guard makes a CR/LF harmless on the way
    # in (U+FFFD), and the builder refuses what is then no address.
    guarded = row("Breve", "a@example.org\r\nBcc: intruso@example.org")
    assert "\r" not in guarded.recipient and "\n" not in guarded.recipient
    with pytest.raises(ValueError):
        build_message(guarded, SENDER)
    # A row written before the guard, or past the ORM, is still never turned into two headers.
    message = row("Breve")
    set_committed_value(message, "recipient", "a@example.org\r\nBcc: intruso@example.org")
    with pytest.raises(ValueError, match="CR or LF"):
        build_message(message, SENDER)
