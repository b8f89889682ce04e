"""Transports: how one message leaves (SMTP with its reply codes, or the console), and the one
e-mail builder.

SMTP replies 4xx and lost connections are transient (TransientError), replies 5xx permanent
(PermanentError): the sender decides what each means for the row.
"""

from __future__ import annotations

import re
import smtplib
import ssl
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import parseaddr
from typing import Any, Protocol, TextIO

from workflow.core.clock import as_utc
from workflow.mail.models import (
    OutboxMessage,
)

# CRLF line ends (smtplib does not fix bare LFs in bytes); headers folded only past 998 bytes, so
# a long List-Unsubscribe URL stays a plain URL instead of becoming an encoded word.
SMTP_POLICY = SMTP.clone(max_line_length=998)
# --- Transports ------------------------------------------------------------------------------


class TransientError(Exception):
    """Try again later: a 4xx reply, a refused or dropped connection, a timeout."""


class PermanentError(Exception):
    """Do not try again: a 5xx reply."""


class Transport(Protocol):
    def send(self, message: EmailMessage, sender: str, recipient: str) -> str:
        """Deliver one message; return the server's final answer, or raise the errors above."""
        ...


def _check(reply: tuple[int, bytes], ok: tuple[int, ...]) -> str:
    code, text = reply
    answer = f"{code} {text.decode('utf-8', 'replace')}".strip()
    if code in ok:
        return answer
    if 400 <= code < 500:
        raise TransientError(answer)
    raise PermanentError(answer)


@dataclass
class SmtpTransport:
    """SMTP with optional STARTTLS or implicit TLS (SSL) and optional AUTH."""

    host: str
    port: int
    security: str = "none"  # none | starttls | ssl
    username: str = ""
    password: str = ""
    timeout: float = 30.0
    tls_context: ssl.SSLContext | None = None

    def _connect(self) -> smtplib.SMTP:
        context = self.tls_context or ssl.create_default_context()
        if self.security == "ssl":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.security == "starttls":
            smtp.ehlo()
            _check(smtp.starttls(context=context), (220,))
        return smtp

    def send(self, message: EmailMessage, sender: str, recipient: str) -> str:
        try:
            smtp = self._connect()
        except (OSError, smtplib.SMTPException) as exc:
            where = f"{self.host}:{self.port}"
            raise TransientError(f"Connessione a {where} non riuscita: {exc}") from exc
        try:
            smtp.ehlo_or_helo_if_needed()
            if self.username:
                smtp.login(self.username, self.password)
            # mail/rcpt/data one by one: data() hands back the server's final answer to record.
            _check(smtp.mail(sender), (250,))
            _check(smtp.rcpt(recipient), (250, 251))
            return _check(smtp.data(message.as_bytes(policy=SMTP_POLICY)), (250,))
        except smtplib.SMTPResponseException as exc:
            answer = f"{exc.smtp_code} {exc.smtp_error!r}"
            if 400 <= exc.smtp_code < 500:
                raise TransientError(answer) from exc
            raise PermanentError(answer) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise TransientError(f"Connessione interrotta: {exc}") from exc
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()


@dataclass
class ConsoleTransport:
    """For the demo and a laptop: prints each message instead of sending it."""

    stream: TextIO = field(default_factory=lambda: sys.stdout)

    def send(self, message: EmailMessage, sender: str, recipient: str) -> str:
        body = message.get_body(("plain",))
        self.stream.write(
            f"\n--- e-mail (console) ---\nDa: {sender}\nA: {recipient}\n"
            f"Oggetto: {message['Subject']}\nMessage-ID: {message['Message-ID']}\n\n"
            f"{body.get_content() if body else ''}\n--- fine ---\n"
        )
        self.stream.flush()
        return "250 console"


def transport_from(config: Mapping[str, Any]) -> Transport:
    if config["MAIL_BACKEND"] == "smtp":
        return SmtpTransport(
            host=config["MAIL_SMTP_HOST"],
            port=config["MAIL_SMTP_PORT"],
            security=config["MAIL_SMTP_SECURITY"],
            username=config["MAIL_SMTP_USERNAME"],
            password=config["MAIL_SMTP_PASSWORD"],
            timeout=config["MAIL_SMTP_TIMEOUT"],
        )
    return ConsoleTransport()


# Any control character (CR and LF first of all): none may reach a header's text.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")
# Lines of an encoded header stay within RFC 5322's 78 characters, "Subject: " included.
SUBJECT_LINE = 76


def header_text(value: str) -> str:
    """`value` as one line of header text: control characters (CR, LF…) become spaces, runs of
    spaces one. Whatever a title holds, it cannot start a header of its own."""
    return " ".join(_CONTROLS.sub(" ", value).split())


def encoded_subject(subject: str) -> str:
    """The Subject's value as written on the wire: plain ASCII folded at spaces, or, for text
    with accents (or an ASCII word too long to fold), RFC 2047 encoded words of at most 75
    characters each, split between characters (never inside one), on lines of at most 78.

    The `email` package's own folder is not used for it: on Python 3.11 it drops the spaces
    between adjacent encoded words ("perché è già" came back as "perchéègià"), and with lines
    allowed to 998 characters it writes a single encoded word longer than RFC 2047 allows.
    """
    text = header_text(subject)
    ascii_only = text.isascii() and "=?" not in text and all(len(w) < 60 for w in text.split())
    charset = "us-ascii" if ascii_only else "utf-8"
    return Header(text, charset, maxlinelen=SUBJECT_LINE, header_name="Subject").encode()


def _mailbox(address: str) -> Address:
    """A `From` as configured ("Procedimenti CMM <procedimenti@…>"): its name on one line.
    Raises ValueError for an address the header cannot carry as it is."""
    name, addr_spec = parseaddr(header_text(address))
    return Address(display_name=name, addr_spec=addr_spec)


def build_message(row: OutboxMessage, sender: str) -> EmailMessage:
    """The one e-mail builder. No text of a row can add a header: the subject and names pass
    `header_text`, addresses are parsed as one addr-spec (and were checked at input by
    `email-validator`), and the policy refuses any CR/LF left in a value."""
    message = EmailMessage(policy=SMTP_POLICY)
    message["From"] = _mailbox(sender)
    message["To"] = Address(addr_spec=row.recipient)
    # Already encoded and folded: stored as it is and written as it is.
    message.set_raw("Subject", encoded_subject(row.subject))
    message["Message-ID"] = row.message_id
    message["Date"] = as_utc(row.created_at).strftime("%a, %d %b %Y %H:%M:%S +0000")
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to reminders
    if row.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{header_text(row.unsubscribe_url)}>"
    # quoted-printable keeps every line short: SMTP servers refuse lines over 998 bytes (RFC 5321).
    message.set_content(row.body_text, cte="quoted-printable")
    message.add_alternative(row.body_html, subtype="html", cte="quoted-printable")
    return message
