"""The digest by email, through `kizuna digest --send` against a real SMTP server on
127.0.0.1 with a certificate from a test CA: delivered over STARTTLS and over implicit TLS
with authentication; refused when the certificate is not trusted (before the password is
sent); kept pending on a wrong password, with an error that never holds the password, which
no output shows; and written as a parseable multipart .eml with KIZUNA_EMAIL_BACKEND=file."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import pytest
import trustme
from sqlalchemy.engine import Engine

from config.settings import get_settings
from kizuna.ingest import Ingestor
from storage.db import session_scope
from storage.models import Story

from alerting import outbox_rows, smtp_server
from conftest import Env, config_dir

USER = "kizuna"
PASSWORD = "s3cret-Pa55word-7731"
WRONG = "wr0ng-Pa55word-4409"
DESK = "desk@example.org"
XSS_TAG = "<img src=x onerror=alert(1)>"
STADIUM = {
    "url": "https://www.vientianetimes.org.la/stadium-reopens",
    "title": f"Japan and Laos reopen Chao Anouvong Stadium {XSS_TAG}",
    "text": "The Chao Anouvong Stadium in Vientiane reopened on Saturday after reconstruction "
    "funded by Japan. Officials of Japan and Laos attended the ceremony.",
    "source": "vientiane-times",
}


@pytest.fixture
def yesterdays_story(engine: Engine) -> str:
    """A story Kizuna first saw a day ago: in the latest digest that is closed."""
    result = Ingestor(engine, get_settings()).ingest(dict(STADIUM))
    assert result.status == "new" and result.story_id is not None
    with session_scope(engine) as session:
        story = session.get(Story, result.story_id)
        assert story is not None
        story.created_at -= timedelta(days=1)
        session.add(story)
    return STADIUM["title"]


@pytest.fixture(scope="module")
def ca_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, tuple[Path, Path]]:
    """(the CA's PEM, (server certificate chain, server key)) for 127.0.0.1."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    where = tmp_path_factory.mktemp("tls")
    ca_pem, chain, key = where / "ca.pem", where / "server.pem", where / "server.key"
    ca.cert_pem.write_to_path(str(ca_pem))
    chain.write_bytes(b"".join(p.bytes() for p in cert.cert_chain_pems))
    cert.private_key_pem.write_to_path(str(key))
    return ca_pem, (chain, key)


def send(kenv: Env, env: dict[str, str]) -> CompletedProcess[str]:
    return kenv.run("digest", "--send", extra={"KIZUNA_DIGEST_TO": DESK, **env})


def outputs(*results: CompletedProcess[str]) -> str:
    return "\n".join(r.stdout + r.stderr for r in results)


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_the_digest_arrives_over_tls_with_authentication(
    kenv: Env,
    engine: Engine,
    yesterdays_story: str,
    ca_files: tuple[Path, tuple[Path, Path]],
    security: str,
) -> None:
    ca_pem, cert = ca_files
    with smtp_server(security=security, cert=cert, login=(USER, PASSWORD)) as server:
        env = {**server.env(), "SSL_CERT_FILE": str(ca_pem)}

        result = send(kenv, env)
        again = send(kenv, env)

    assert result.returncode == 0, result.stderr
    assert again.returncode == 0, again.stderr
    assert "sent 1," in result.stdout
    assert len(server.mails) == 1  # the second run found nothing due
    (mail,) = server.mails
    assert mail.recipients == [DESK]
    assert server.auth_attempts == [USER]
    assert "1 Japan–Laos story, 1 commitment moved" in mail.subject
    assert yesterdays_story in mail.part("plain")
    assert "&lt;img src=x onerror=alert(1)&gt;" in mail.part("html")
    assert XSS_TAG not in mail.part("html")
    assert "¶18" in mail.part("html")
    assert [r.status for r in outbox_rows(engine, kind="digest")] == ["sent"]
    assert PASSWORD not in outputs(result, again)


def test_an_untrusted_certificate_is_refused_before_the_password_is_sent(
    kenv: Env, engine: Engine, yesterdays_story: str, ca_files: tuple[Path, tuple[Path, Path]]
) -> None:
    _, cert = ca_files
    with smtp_server(security="starttls", cert=cert, login=(USER, PASSWORD)) as server:
        result = send(kenv, server.env())  # the test CA is not among the trusted ones

    assert result.returncode == 1
    assert server.mails == [] and server.auth_attempts == []
    (row,) = outbox_rows(engine, kind="digest")
    assert row.status == "pending" and row.attempts == 1
    assert row.last_error is not None and "CERTIFICATE_VERIFY_FAILED" in row.last_error
    assert PASSWORD not in outputs(result) + row.last_error


def test_a_wrong_password_keeps_the_digest_pending_and_is_never_shown(
    kenv: Env, engine: Engine, yesterdays_story: str, ca_files: tuple[Path, tuple[Path, Path]]
) -> None:
    ca_pem, cert = ca_files
    with smtp_server(security="starttls", cert=cert, login=(USER, PASSWORD)) as server:
        env = {
            **server.env(),
            "KIZUNA_SMTP_PASSWORD": WRONG,
            "SSL_CERT_FILE": str(ca_pem),
            "KIZUNA_ALERT_RETRY_BASE": "0.2",
        }
        failed = send(kenv, env)
        (row,) = outbox_rows(engine, kind="digest")
        listed = kenv.run("alerts", "list", extra=env)
        config = kenv.run("config", extra=env)
        debug = kenv.run("--debug", "alerts", "flush", extra=env)

        assert failed.returncode == 1
        assert "will be retried" in failed.stderr
        assert server.mails == []
        assert server.auth_attempts[0] == USER
        assert row.status == "pending" and row.attempts == 1
        assert row.last_error is not None
        assert "authentication failed (535)" in row.last_error
        assert WRONG not in row.last_error and PASSWORD not in row.last_error
        assert "Alerts (open): 1" in listed.stdout and "pending" in listed.stdout
        assert "****** (set)" in config.stdout
        shown = outputs(failed, listed, config, debug)
        assert WRONG not in shown and PASSWORD not in shown

        # Once the password is fixed, the pending digest goes out on the next run.
        time.sleep(0.5)
        fixed = kenv.run("alerts", "flush", extra={**env, "KIZUNA_SMTP_PASSWORD": PASSWORD})
    assert fixed.returncode == 0, fixed.stderr
    assert len(server.mails) == 1
    assert yesterdays_story in server.mails[0].part("plain")
    assert [r.status for r in outbox_rows(engine, kind="digest")] == ["sent"]
    assert PASSWORD not in outputs(fixed)


def parts(message: EmailMessage) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in message.walk():
        if part.get_content_maintype() == "text":
            found[part.get_content_subtype()] = str(part.get_content())  # type: ignore[attr-defined]
    return found


def test_the_file_backend_writes_a_multipart_eml(
    kenv: Env, engine: Engine, yesterdays_story: str
) -> None:
    result = send(kenv, {"KIZUNA_EMAIL_BACKEND": "file"})

    assert result.returncode == 0, result.stderr
    files = list((kenv.cwd / "var" / "outbox").glob("*.eml"))
    assert len(files) == 1, files
    message: Any = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert message.get_content_type() == "multipart/alternative"
    assert message["To"] == DESK
    assert message["Message-ID"].startswith("<email-digest.digest.")
    assert "1 Japan–Laos story" in message["Subject"]
    text = parts(message)
    assert set(text) == {"plain", "html"}
    assert yesterdays_story in text["plain"]
    assert "&lt;img src=x onerror=alert(1)&gt;" in text["html"]
    assert XSS_TAG not in text["html"]
    assert [r.status for r in outbox_rows(engine, kind="digest")] == ["sent"]


def test_an_instant_email_route_mails_each_new_story_once(kenv: Env, tmp_path: Path) -> None:
    """A desk that wants email, not Slack: one message per new story, escaped in HTML,
    with the commitment and its evidence; importing it again mails nothing."""
    route = {"key": "desk-mail", "channel": "email", "kind": "instant", "to": [DESK]}
    config = config_dir(tmp_path, {"alerts.yaml": {"routes": [route]}})
    items = tmp_path / "items.jsonl"
    items.write_text(json.dumps(STADIUM) + "\n", encoding="utf-8")
    with smtp_server() as server:
        env = {**server.env(), "KIZUNA_CONFIG_DIR": str(config)}
        for _ in range(2):
            assert kenv.run("ingest", str(items), extra=env).returncode == 0
            flushed = kenv.run("alerts", "flush", extra=env)
            assert flushed.returncode == 0, flushed.stderr
        assert len(server.mails) == 1
        mail = server.mails[0]
    assert mail.recipients == [DESK]
    assert "¶18" in mail.subject and "Chao Anouvong Stadium" in mail.subject
    html, text = mail.part("html"), mail.part("plain")
    assert XSS_TAG not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert XSS_TAG in text and "Chao Anouvong Stadium in Vientiane reopened" in text
    assert mail.message["Message-ID"] == "<desk-mail.story.1@example.org>"
