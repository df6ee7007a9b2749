"""One message per event even when the sender is killed between handing a message to GOV.UK
Notify and recording it; and email through the council's own mail server (SMTP, STARTTLS,
sign-in, plain text and HTML) with the server's answer as the status."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import signal
import ssl
import subprocess
import sys
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from scripts.platform import REPO_ROOT, free_port
from shared.db import Database
from tests.integration.messaging import (
    Clock,
    announced,
    database,
    db,
    owner_url,
    referral,
    stack,
    statuses,
    until,
)

__all__ = ["database", "db", "owner_url"]  # fixtures


async def test_a_sender_killed_after_notify_took_the_messages_never_sends_one_twice(
    db: asyncpg.Pool, database: Database
) -> None:
    # The wall clock, as the killed sender process used: its claim must be seen to run out.
    async with stack(database, Clock(real=True), lease_s=0.5) as s:
        s.notify.callbacks, s.notify.answer_after_s = False, 60  # Notify holds its answers
        families = [await referral(database.pool()) for _ in range(3)]  # sent together
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.integration.sender_process", database.url, s.notify_url,
            cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:

            async def notify_has_them() -> bool:
                return len(s.notify.messages) == len(families)

            await until(notify_has_them, timeout_s=30, what="the killed sender's messages")
        finally:
            process.send_signal(signal.SIGKILL)
            await process.wait()
        for family in families:  # handed over, not recorded
            assert (await statuses(db, family.id))[0][1] == "sending"
        s.notify.answer_after_s = 0
        claimed: list[int] = []

        async def claimed_again() -> bool:  # once the dead sender's lease has run out
            claimed.append(await s.send_due())
            return claimed[-1] > 0

        await until(claimed_again, what="the dead sender's lease to run out")
        assert claimed[-1] == len(families)  # Notify is asked about each by reference first
        assert await s.send_due() == 0
    assert len(s.notify.messages) == len(families)  # each once
    for family in families:
        # Notify had delivered it meanwhile: its status came with the answer.
        assert (await statuses(db, family.id))[0][1] == "delivered"
        assert await announced(db, family.id) == ["notification-sent", "notification-delivered"]


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse = False

    async def handle_RCPT(  # noqa: N802  # aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Envelope, address: str, options: Any
    ) -> str:
        if self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:  # noqa: N802
        assert session.authenticated  # signed in, and only over TLS (aiosmtpd's default)
        content = envelope.original_content or b""
        parsed = email.message_from_bytes(content, _class=EmailMessage, policy=email.policy.default)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"


def _authenticate(
    server: Any, session: Any, envelope: Any, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"send", b"secret")
    return AuthResult(success=ok)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    folder = tmp_path_factory.mktemp("smtp")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ))  # fmt: skip
    return folder / "cert.pem", folder / "key.pem"


@pytest.fixture
def mail_server(certificate: tuple[Path, Path]) -> Iterator[tuple[Mailbox, int]]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(
        mailbox, hostname="localhost", port=port, tls_context=context, require_starttls=True,
        authenticator=_authenticate, auth_require_tls=True,
    )  # fmt: skip
    controller.start()
    yield mailbox, port
    controller.stop()


def _smtp(port: int, certificate: tuple[Path, Path]) -> dict[str, Any]:
    server = {"host": "localhost", "port": port, "username": "send", "password": "secret",
              "sender": "send-team@council.example", "ca_file": str(certificate[0])}  # fmt: skip
    return {"email": "smtp", "sms": None, "letter": None, "smtp": server}


async def test_email_through_the_councils_mail_server_is_delivered_when_it_takes_it(
    db: asyncpg.Pool,
    database: Database,
    mail_server: tuple[Mailbox, int],
    certificate: tuple[Path, Path],
) -> None:
    mailbox, port = mail_server
    async with stack(database, **_smtp(port, certificate)) as s:
        family = await referral(database.pool())
        assert await s.send_due() == 1
    [message] = mailbox.messages
    notification_id = await db.fetchval("SELECT id FROM notifications")
    assert message["To"] == family.contact.email
    assert message["Message-ID"] == f"<{notification_id}@council.example>"
    assert "received the request" in message["Subject"]
    plain, page = (
        str(part.get_content()) for part in message.walk() if part.get_content_maintype() == "text"
    )
    assert f"https://council.example/family/{family.id}" in plain
    assert f'<a href="https://council.example/family/{family.id}">' in page
    assert await statuses(db, family.id) == [("request-received", "delivered", "email")]
    assert await announced(db, family.id) == ["notification-sent", "notification-delivered"]


async def test_a_mailbox_the_server_refuses_is_a_permanent_failure(
    db: asyncpg.Pool,
    database: Database,
    mail_server: tuple[Mailbox, int],
    certificate: tuple[Path, Path],
) -> None:
    mailbox, port = mail_server
    mailbox.refuse = True
    async with stack(database, **_smtp(port, certificate)) as s:
        family = await referral(database.pool())
        await s.send_due()  # refused: the next channel (none here) ...
        await s.send_due()  # ... so it gives up, and says so
    assert await statuses(db, family.id) == [("request-received", "permanent-failure", "email")]
    assert await announced(db, family.id) == ["notification-failed"]
