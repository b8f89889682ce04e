"""A real SMTP server on loopback (aiosmtpd) that records what it accepts and can be told to
answer 4xx/5xx, be switched off and on again, require AUTH, or speak TLS."""

from __future__ import annotations

import asyncio
import socket
import ssl
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Recorder:
    """The aiosmtpd handler: keeps every accepted message; `reply` overrides the answer to DATA;
    `delay` (seconds) makes the server that slow to answer each DATA."""

    messages: list[Message] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    reply: str | None = None
    counter: int = 0
    delay: float = 0.0

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.reply:
            return self.reply
        self.counter += 1
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.original_content))
        return f"250 2.0.0 Ok: queued as TEST{self.counter}"


class SmtpServer:
    def __init__(
        self,
        *,
        tls_context: ssl.SSLContext | None = None,
        implicit_tls: bool = False,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        self.recorder = Recorder()
        self.port = free_port()
        self.controller: Controller | None = None
        self.tls_context = tls_context
        self.implicit_tls = implicit_tls
        self.credentials = credentials

    def _authenticator(self, server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login.decode(), auth_data.password.decode()) == self.credentials
        return AuthResult(success=ok, handled=False)  # unhandled: aiosmtpd answers 235 or 535

    def start(self) -> None:
        kwargs: dict = {}
        if self.tls_context and self.implicit_tls:
            kwargs["ssl_context"] = self.tls_context
            kwargs["server_hostname"] = "localhost"
        elif self.tls_context:
            kwargs["tls_context"] = self.tls_context
            kwargs["require_starttls"] = True
        if self.credentials:
            kwargs["authenticator"] = self._authenticator
            # Over implicit TLS aiosmtpd does not see a STARTTLS, so it must not insist on one.
            kwargs["auth_require_tls"] = bool(self.tls_context) and not self.implicit_tls
            kwargs["auth_exclude_mechanism"] = ["LOGIN"]  # PLAIN is enough to prove AUTH
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port, **kwargs)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list[Message]:
        return self.recorder.messages
