"""Real delivery endpoints on 127.0.0.1 for alert tests: a Slack-style webhook receiver
that answers as scripted, and an SMTP server (aiosmtpd) with optional STARTTLS, implicit
TLS and authentication, that can be stopped and started again on the same port. Also what
the tests read back: the outbox's rows, and its timestamps as aware datetimes."""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from storage.models import Outbox

WEBHOOK_PATH = "/services/T000/B000/SECRETTOKEN123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Receiver:
    """A webhook receiver: records each POST body, answers with the next scripted reply
    (status, headers, body), then with `status` once the script is used up."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    script: list[tuple[int, dict[str, str], bytes]] = field(default_factory=list)
    posts: list[dict[str, Any]] = field(default_factory=list)
    delivered: list[dict[str, Any]] = field(default_factory=list)  # answered 200
    paths: list[str] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def texts(self) -> list[str]:
        return [p["text"] for p in self.delivered]


@contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            with state.lock:
                state.posts.append(body)
                state.paths.append(self.path)
                state.times.append(time.monotonic())
                status, headers, reply = (
                    state.script.pop(0)
                    if state.script
                    else (state.status, state.headers, state.body)
                )
                if status == 200:
                    state.delivered.append(body)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}{WEBHOOK_PATH}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    message: EmailMessage
    received_at: float = field(default_factory=time.time)  # epoch seconds

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None, f"no text/{subtype} part"
        return str(body.get_content())  # type: ignore[attr-defined]


class _Handler:
    def __init__(self, box: list[Mail]) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.box.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


class SmtpServer:
    """aiosmtpd on 127.0.0.1. `security`: none | starttls | tls (needs `cert`, a pair of
    PEM paths). With `login`, AUTH LOGIN/PLAIN is required."""

    def __init__(
        self,
        *,
        security: str = "none",
        cert: tuple[Path, Path] | None = None,
        login: tuple[str, str] | None = None,
    ) -> None:
        self.port = free_port()
        self.security = security
        self.cert = cert
        self.login = login
        self.mails: list[Mail] = []
        self.auth_attempts: list[str] = []
        self._controller: Controller | None = None

    def _context(self) -> ssl.SSLContext | None:
        if self.cert is None:
            return None
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(str(self.cert[0]), str(self.cert[1]))
        return ctx

    def _authenticator(self) -> Callable[..., AuthResult]:
        def check(
            server: Any, session: Any, envelope: Any, mechanism: str, data: Any
        ) -> AuthResult:
            ok = (
                isinstance(data, LoginPassword)
                and self.login is not None
                and (
                    data.login.decode(),
                    data.password.decode(),
                )
                == self.login
            )
            self.auth_attempts.append(
                data.login.decode() if isinstance(data, LoginPassword) else "?"
            )
            return AuthResult(success=ok, handled=False)

        return check

    def start(self) -> SmtpServer:
        kwargs: dict[str, Any] = {}
        context = self._context()
        if self.security == "starttls":
            kwargs.update(tls_context=context, require_starttls=True)
        elif self.security == "tls":
            kwargs.update(ssl_context=context)
        if self.login is not None:
            kwargs.update(
                authenticator=self._authenticator(),
                auth_required=True,
                # Implicit TLS is encrypted from the start, but aiosmtpd only knows STARTTLS.
                auth_require_tls=self.security == "starttls",
            )
        self._controller = Controller(
            _Handler(self.mails), hostname="127.0.0.1", port=self.port, **kwargs
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        """Down: connections to the port are refused until `start()`."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def env(self) -> dict[str, str]:
        """The KIZUNA_SMTP_* settings that reach this server."""
        values = {
            "KIZUNA_SMTP_HOST": "127.0.0.1",
            "KIZUNA_SMTP_PORT": str(self.port),
            "KIZUNA_SMTP_SECURITY": self.security,
            "KIZUNA_EMAIL_FROM": "Kizuna <kizuna@example.org>",
        }
        if self.login:
            values["KIZUNA_SMTP_USERNAME"] = self.login[0]
            values["KIZUNA_SMTP_PASSWORD"] = self.login[1]
        return values


@contextmanager
def smtp_server(**kwargs: Any) -> Iterator[SmtpServer]:
    server = SmtpServer(**kwargs).start()
    try:
        yield server
    finally:
        server.stop()


def wait_for(predicate: Callable[[], bool], timeout: float = 20.0, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def outbox_rows(engine: Engine, **where: object) -> list[Outbox]:
    """The outbox's rows in the order they were queued; with `where` (route="desk",
    kind="digest", status="sent", ...) only those whose fields have these values."""
    with Session(engine) as session:
        rows = session.exec(select(Outbox).order_by(col(Outbox.id))).all()
    return [r for r in rows if all(getattr(r, k) == v for k, v in where.items())]


def aware(value: datetime) -> datetime:
    """A timestamp as read back from the database, in UTC (SQLite returns it naive)."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)
