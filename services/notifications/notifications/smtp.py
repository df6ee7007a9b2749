"""Email through the council's own mail server (for councils without GOV.UK Notify), with
plain-text and HTML parts in the project's own words (``templates``).

STARTTLS before signing in (``aiosmtplib``). A 250 after the message is the server taking
responsibility for delivering it (RFC 5321, 6.1): recorded as delivered; the mail server's
later bounces are not seen here. A 5xx is a permanent failure of this channel; a 4xx, a
refused connection or a dropped one before the message was sent, an outage (queued, sent when
the server is back). An SMTP server cannot be asked whether it took a message: a message whose
sender stopped during the exchange is recorded as sent, unconfirmed, and never sent twice.
"""

from __future__ import annotations

import logging
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from uuid import UUID

import aiosmtplib

from notifications.channels import Accepted, CannotTell, Outgoing, Refused, Remote, Unavailable
from notifications.config import SmtpServer
from notifications.domain import Channel
from notifications.templates import email_parts, words

logger = logging.getLogger(__name__)


class SmtpChannel:
    name = "smtp"
    rate_per_minute: int | None = None

    def __init__(self, server: SmtpServer) -> None:
        self._server = server
        self.limit_key: str | None = f"smtp:{server.host}:{server.port}"

    def compose(self, message: Outgoing) -> EmailMessage:
        subject, plain, page = email_parts(
            words(message.template, message.language), message.fields
        )
        email = EmailMessage()
        email["From"] = self._server.sender
        email["To"] = message.to or ""
        email["Subject"] = subject
        email["Date"] = formatdate(localtime=False)
        domain = self._server.sender.rpartition("@")[2] or "localhost"
        email["Message-ID"] = f"<{message.notification_id}@{domain}>"
        email.set_content(plain)
        email.add_alternative(page, subtype="html")
        return email

    async def send(self, message: Outgoing) -> Accepted:
        if message.channel != "email" or not message.to:
            raise Refused("technical-failure", "smtp-carries-email-only")
        email = self.compose(message)
        server = self._server
        context = ssl.create_default_context(cafile=server.ca_file)
        try:
            await aiosmtplib.send(
                email,
                hostname=server.host,
                port=server.port,
                start_tls=server.starttls,
                use_tls=False,
                tls_context=context if server.starttls else None,
                username=server.username,
                password=server.password.get_secret_value() if server.password else None,
                timeout=server.timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            if all(code >= 500 for code in codes):
                raise Refused("permanent-failure", f"smtp-{codes[0]}-recipient") from exc
            raise Unavailable(f"smtp-{codes[0]}-recipient", not_sent=True) from exc
        except aiosmtplib.SMTPAuthenticationError as exc:
            logger.error(
                "the mail server %s refused our sign-in (%s): check it", server.host, exc.code
            )
            raise Unavailable(f"smtp-{exc.code}-auth", not_sent=True) from exc
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code >= 500:
                raise Refused("permanent-failure", f"smtp-{exc.code}") from exc
            raise Unavailable(f"smtp-{exc.code}", not_sent=True) from exc
        except (aiosmtplib.SMTPTimeoutError, aiosmtplib.SMTPServerDisconnected) as exc:
            # The answer may have been lost after the server took the message: in doubt.
            raise Unavailable(f"smtp-{type(exc).__name__}", not_sent=False) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise Unavailable(f"smtp-{type(exc).__name__}", not_sent=True) from exc
        return Accepted(provider_id=email["Message-ID"], delivered=True)

    async def find(self, notification_id: UUID, channel: Channel) -> Remote | None:
        raise CannotTell("an SMTP server cannot be asked what it took")

    async def status(self, provider_id: str) -> Remote | None:
        return None
