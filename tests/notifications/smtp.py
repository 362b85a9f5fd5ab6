"""Real SMTP servers for the outbox tests (aiosmtpd, on 127.0.0.1, in a thread of the test run):
a plain one, one that requires STARTTLS and a login (with a self-signed certificate made by the
openssl command), one that answers "try again later", and one that hangs up at once."""
from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER, PASSWORD = "portal", "s3cret-pass"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    tls: bool
    authenticated: bool


@dataclass
class Recorder:
    """The handler: keeps each message; answers `fail_with` to the next `fail_next` DATA
    commands, and refuses recipients whose address contains "refuse"."""

    received: list[Received] = field(default_factory=list)
    fail_next: int = 0
    fail_with: str = "451 4.3.0 Try again later"
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if "refuse" in address:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.fail_next:
                self.fail_next -= 1
                return self.fail_with
            self.received.append(Received(
                mail_from=envelope.mail_from, rcpt_tos=list(envelope.rcpt_tos),
                message=message_from_bytes(envelope.content, policy=policy.default),
                tls=session.ssl is not None, authenticated=bool(session.authenticated)))
        return "250 OK"

    def messages(self) -> list[EmailMessage]:
        return [r.message for r in self.received]


@dataclass
class Server:
    port: int
    handler: Recorder
    cert: Path | None = None

    def config(self, **values) -> dict:
        """The app settings that send through this server."""
        settings = dict(SMTP_HOST="127.0.0.1", SMTP_PORT=self.port, SMTP_STARTTLS=False, SMTP_SSL=False,
                        SMTP_USER=None, SMTP_PASSWORD=None, SMTP_TIMEOUT=5, MAIL_FROM="panel@example.com",
                        PUBLIC_BASE_URL="https://panel.example.com")
        settings.update(values)
        return settings


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(), PASSWORD.encode())
    return AuthResult(success=ok, handled=False)


def _start(handler, **kwargs) -> tuple[Controller, int]:
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    return controller, port


@pytest.fixture
def smtp_server():
    """A plain SMTP server (no TLS, no login)."""
    handler = Recorder()
    controller, port = _start(handler)
    yield Server(port=port, handler=handler)
    controller.stop()


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, made by the openssl command."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True)
    return cert, key


@pytest.fixture
def tls_server(tmp_path):
    """A server that requires STARTTLS before anything, and a login (only over TLS)."""
    cert, key = make_certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    handler = Recorder()
    controller, port = _start(handler, tls_context=context, require_starttls=True, auth_required=True,
                              auth_require_tls=True, authenticator=_authenticator)
    yield Server(port=port, handler=handler, cert=cert)
    controller.stop()


class HangUpServer:
    """Accepts connections and closes them at once, without a greeting."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self):
        self.sock.close()


@pytest.fixture
def hang_up_server():
    server = HangUpServer()
    yield server
    server.close()
