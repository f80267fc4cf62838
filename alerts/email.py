"""Email: a multipart text + HTML message, sent over SMTP (plain, STARTTLS or TLS, with
authentication when a username is set), or written as an .eml file with
KIZUNA_EMAIL_BACKEND=file. Certificates are checked against the system's CAs
(SSL_CERT_FILE points elsewhere)."""

from __future__ import annotations

import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Any

from alerts.channel import DeliveryError
from config.settings import Settings

DEFAULT_FROM = "Kizuna <kizuna@localhost>"


def message_id(idempotency_key: str, settings: Settings) -> str:
    """The same id for every attempt, so a mail client shows a resent message once."""
    domain = (settings.email_from or DEFAULT_FROM).rpartition("@")[2].strip("> ") or "localhost"
    local = re.sub(r"[^A-Za-z0-9.\-]", ".", idempotency_key).strip(".")
    return f"<{local}@{domain}>"


def build_email(message: dict[str, Any], settings: Settings) -> EmailMessage:
    """`message`: subject, text, html (optional), to (list), message_id."""
    mail = EmailMessage()
    mail["Subject"] = message["subject"]
    mail["From"] = settings.email_from or DEFAULT_FROM
    mail["To"] = ", ".join(message["to"])
    mail["Date"] = formatdate(localtime=False, usegmt=True)
    mail["Message-ID"] = message["message_id"]
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(message["text"])
    if message.get("html"):
        mail.add_alternative(message["html"], subtype="html")
    return mail


class EmailChannel:
    def __init__(self, settings: Settings, file_dir: Path) -> None:
        self.settings = settings
        self.file_dir = file_dir

    def destination(self, payload: dict[str, Any]) -> str:
        return "email"

    def send(self, payload: dict[str, Any]) -> str | None:
        mail = build_email(payload["message"], self.settings)
        if self.settings.email_backend == "file":
            self.file_dir.mkdir(parents=True, exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9.\-]", "_", payload["message"]["message_id"].strip("<>"))
            (self.file_dir / f"{name}.eml").write_bytes(mail.as_bytes())
            return None
        return send_smtp(mail, self.settings)

    def close(self) -> None:
        pass


def send_smtp(mail: EmailMessage, settings: Settings) -> str | None:
    """Send one message; a refusal of some recipients is returned as a note."""
    if not settings.smtp_host:
        raise DeliveryError("email is off: KIZUNA_SMTP_HOST is not set")
    where = f"SMTP {settings.smtp_host}:{settings.smtp_port}"
    context = ssl.create_default_context()
    try:
        smtp: smtplib.SMTP
        if settings.smtp_security == "tls":
            smtp = smtplib.SMTP_SSL(
                settings.smtp_host,
                settings.smtp_port,
                timeout=settings.smtp_timeout,
                context=context,
            )
        else:
            smtp = smtplib.SMTP(
                settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout
            )
        with smtp:
            if settings.smtp_security == "starttls":
                smtp.starttls(context=context)
            if settings.smtp_username:
                password = (
                    settings.smtp_password.get_secret_value() if settings.smtp_password else ""
                )
                smtp.login(settings.smtp_username, password)
            refused = smtp.send_message(mail)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = sorted({code for code, _ in exc.recipients.values()})
        raise DeliveryError(
            f"{where} refused every recipient ({', '.join(map(str, codes))})",
            permanent=all(c >= 500 for c in codes),
        ) from None
    except smtplib.SMTPAuthenticationError as exc:
        # Retried: the fix (a new password in the environment) comes with a restart.
        raise DeliveryError(f"{where}: authentication failed ({exc.smtp_code})") from None
    except smtplib.SMTPResponseException as exc:
        reply = (
            exc.smtp_error.decode(errors="replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        raise DeliveryError(
            f"{where} answered {exc.smtp_code}: {reply[:200]}", permanent=exc.smtp_code >= 500
        ) from None
    except (smtplib.SMTPException, OSError) as exc:  # refused, reset, timeout, TLS errors
        raise DeliveryError(f"{where} unreachable: {type(exc).__name__}: {exc}"[:300]) from None
    if refused:
        return "refused by the server: " + ", ".join(sorted(refused))
    return None
