"""Configuration mistakes as the user meets them: the real CLI in a child process, exit code 1
and one `error:` line naming what to fix, exit code 2 for bad usage, secrets never printed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from alerting import free_port
from conftest import REPO, Env, config_dir, one_error_line

# Never reach a real site, whatever happens: refuse any request that is not to a mirror.
OFFLINE = {"KIZUNA_OFFLINE": "1"}


def packaged_copy(tmp_path: Path, name: str) -> Path:
    """A copy of the packaged registry `name`, to be broken, alone in a config dir (the
    other registries are the packaged ones)."""
    text = (REPO / "config" / name).read_text(encoding="utf-8")
    return config_dir(tmp_path, {name: text}) / name


# ---------------------------------------------------------------- (a) broken YAML


def test_broken_yaml_names_file_and_line(kenv: Env, tmp_path: Path) -> None:
    sources = packaged_copy(tmp_path, "sources.yaml")
    config = sources.parent
    lines = sources.read_text(encoding="utf-8").splitlines()
    broken = next(i for i, line in enumerate(lines) if line.strip().startswith("max_pages:"))
    lines[broken] = "    max_pages: 5: 6"
    sources.write_text("\n".join(lines) + "\n", encoding="utf-8")

    proc = kenv.run("crawl", "kpl-en", extra={"KIZUNA_CONFIG_DIR": str(config), **OFFLINE})

    assert proc.returncode == 1, proc.stderr
    line = one_error_line(proc)
    assert str(sources) in line
    assert f"line {broken + 1}" in line
    assert "Crawl summary" not in proc.stdout  # nothing was crawled

    shown = kenv.run("config", extra={"KIZUNA_CONFIG_DIR": str(config)})
    assert shown.returncode == 1 and f"line {broken + 1}" in one_error_line(shown)


# ---------------------------------------------------------------- (b) schema errors


@pytest.mark.parametrize(
    ("field", "old", "new"),
    [
        (
            "entries",
            r"    entries:\n      - type: listing\n        url: [^\n]*\n",
            "    entries: []\n",
        ),
        ("entries[0].type", r"type: listing", "type: rss"),
        ("scope", r"    kind: agency\n", "    kind: agency\n    scope: laotian\n"),
        ("article_patterns", r"\(www\\\.\)\?kpl", r"(www\\.?kpl"),
        ("max_pages", r"max_pages: 5", "max_pages: 0"),
        # Identity rules: a template group the pattern lacks, a pattern that does not compile.
        ("identity[0].url", r"\{id\}'", "{article}'"),
        ("identity[0].pattern", r"\(\?P<id>\\d\+\)", "(?P<id>\\d+"),
    ],
)
def test_schema_error_names_file_entry_and_field(
    kenv: Env, tmp_path: Path, field: str, old: str, new: str
) -> None:
    sources = packaged_copy(tmp_path, "sources.yaml")
    config = sources.parent
    original = sources.read_text(encoding="utf-8")
    changed = re.sub(old, lambda _m: new, original, count=1)
    assert changed != original, "the fixture edit did not apply"
    sources.write_text(changed, encoding="utf-8")

    proc = kenv.run("crawl", "kpl-en", extra={"KIZUNA_CONFIG_DIR": str(config), **OFFLINE})

    assert proc.returncode == 1, proc.stderr
    line = one_error_line(proc)
    assert str(sources) in line
    assert "sources[kpl-en]" in line
    assert field in line


def test_commitments_schema_error_names_the_commitment(kenv: Env, tmp_path: Path) -> None:
    path = packaged_copy(tmp_path, "commitments.yaml")
    config = path.parent
    original = path.read_text(encoding="utf-8")
    changed = original.replace("    paragraph: 18\n", "    paragraph: eighteen\n", 1)
    assert changed != original
    path.write_text(changed, encoding="utf-8")

    proc = kenv.run("match", "-", input="", extra={"KIZUNA_CONFIG_DIR": str(config)})

    assert proc.returncode == 1
    line = one_error_line(proc)
    assert str(path) in line and "commitments[csp2025-18]" in line and "paragraph" in line


# ---------------------------------------------------------------- (c) unknown source


def test_unknown_crawl_source(kenv: Env) -> None:
    proc = kenv.run("crawl", "nosuch", extra=OFFLINE)
    assert proc.returncode == 1
    line = one_error_line(proc)
    assert "unknown source" in line and "nosuch" in line
    assert "kpl-en" in line  # says what is known


def test_source_with_unknown_page_objects_is_refused_before_any_run_is_recorded(
    kenv: Env, tmp_path: Path
) -> None:
    sources_file = packaged_copy(tmp_path, "sources.yaml")
    config = sources_file.parent
    text = sources_file.read_text(encoding="utf-8")
    sources_file.write_text(text.replace("pages: kpl\n", "pages: kpl-v2\n", 1), encoding="utf-8")
    proc = kenv.run("crawl", "kpl-en", extra={"KIZUNA_CONFIG_DIR": str(config), **OFFLINE})
    assert proc.returncode == 1
    line = one_error_line(proc)
    assert "kpl-en" in line and "'kpl-v2'" in line and "known: kpl" in line
    sources = kenv.run("sources", extra={"KIZUNA_CONFIG_DIR": str(config)})
    assert "running" not in sources.stdout and "never crawled" in sources.stdout


# ---------------------------------------------------------------- (d) database URL


@pytest.mark.parametrize(
    "url", ["mysql://x/y", "not a url", "postgresql+psycopg2://u@127.0.0.1:1/x"]
)
def test_unsupported_database_url(kenv: Env, url: str) -> None:
    proc = kenv.run("db", "upgrade", extra={"KIZUNA_DATABASE_URL": url})
    assert proc.returncode == 1
    assert "KIZUNA_DATABASE_URL" in one_error_line(proc)


def test_unreachable_postgresql(kenv: Env) -> None:
    url = f"postgresql+psycopg://kizuna:dbpass-secret@127.0.0.1:{free_port()}/kizuna"
    proc = kenv.run("db", "upgrade", extra={"KIZUNA_DATABASE_URL": url})
    assert proc.returncode == 1
    line = one_error_line(proc)
    assert "KIZUNA_DATABASE_URL" in line
    assert "127.0.0.1" in line
    assert "dbpass-secret" not in proc.stderr + proc.stdout


# ---------------------------------------------------------------- (e) secrets


def test_config_masks_secrets(kenv: Env) -> None:
    secrets = {
        "KIZUNA_SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T000/B000/SECRETTOKEN123",
        "KIZUNA_SMTP_PASSWORD": "hunter2-secret",
        "KIZUNA_DATABASE_URL": "postgresql+psycopg://u:dbpass-secret@127.0.0.1:1/x",
    }
    proc = kenv.run("config", extra=secrets)

    assert proc.returncode == 0, proc.stderr
    shown = proc.stdout + proc.stderr
    for needle in ("SECRETTOKEN123", "hunter2-secret", "dbpass-secret", "T000/B000"):
        assert needle not in shown, f"{needle} leaked"
    assert "route slack-instant (slack instant): on" in proc.stdout
    assert "KIZUNA_SMTP_PASSWORD" in proc.stdout  # listed, but masked
    assert "127.0.0.1" in proc.stdout  # the database is still identifiable


def test_config_says_which_channels_are_off(kenv: Env) -> None:
    proc = kenv.run("config")
    assert proc.returncode == 0, proc.stderr
    assert "route slack-instant (slack instant): off: KIZUNA_SLACK_WEBHOOK_URL is not set" in (
        proc.stdout
    )
    assert "route email-digest (email digest): off: no recipients" in proc.stdout


# ---------------------------------------------------------------- (f) usage, (g) --debug


@pytest.mark.parametrize(
    "args", [("export", "nonsense"), ("no-such-command",), ("export", "articles", "--since", "x")]
)
def test_bad_usage_exits_2(kenv: Env, args: tuple[str, ...]) -> None:
    proc = kenv.run(*args)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr


def test_debug_shows_the_traceback(kenv: Env) -> None:
    url = f"postgresql+psycopg://u:dbpass-secret@127.0.0.1:{free_port()}/x"
    plain = kenv.run("db", "upgrade", extra={"KIZUNA_DATABASE_URL": url})
    debug = kenv.run("--debug", "db", "upgrade", extra={"KIZUNA_DATABASE_URL": url})

    assert plain.returncode == debug.returncode == 1
    assert "Traceback" not in plain.stderr
    assert "Traceback (most recent call last)" in debug.stderr
    assert debug.stderr.strip().splitlines()[-1].startswith("error: KIZUNA_DATABASE_URL")


def test_env_example_documents_every_setting() -> None:
    """A user configures from .env.example: a setting missing there is one they never find."""
    from config.settings import Settings

    text = (REPO / ".env.example").read_text(encoding="utf-8")
    missing = [
        f"KIZUNA_{name.upper()}"
        for name in Settings.model_fields
        if f"\nKIZUNA_{name.upper()}=" not in text
    ]
    assert missing == []
