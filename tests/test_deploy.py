"""The container files, checked without a Docker engine (none runs here; hadolint lints the
Dockerfile in `make lint`): what the image runs, as whom, how it is checked and stopped,
and that everything it copies exists; compose's services, and that its stop grace covers
the service's own."""

from __future__ import annotations

import json
import re

import yaml

from config.settings import Settings
from scheduler.local import TERM_SECONDS

from conftest import REPO


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = (REPO / "Dockerfile").read_text(encoding="utf-8")
    text = re.sub(r"\\\n", " ", text)
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def seconds(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)(s|m)", value).groups()  # type: ignore[union-attr]
    return int(number) * (60 if unit == "m" else 1)


def test_the_image_runs_kizuna_run_as_a_numeric_non_root_user_with_a_health_check() -> None:
    steps = instructions()
    bases = [args for word, args in steps if word == "FROM"]
    assert len(bases) == 2, "multi-stage: build, then runtime"
    assert all(b.startswith("python:3.11-slim-bookworm") for b in bases)
    user = [args for word, args in steps if word == "USER"][-1]
    assert re.fullmatch(r"[1-9]\d*:[1-9]\d*", user), user
    health = [args for word, args in steps if word == "HEALTHCHECK"][-1]
    assert health.endswith('CMD ["kizuna", "health"]')
    entrypoint = json.loads([args for word, args in steps if word == "ENTRYPOINT"][-1])
    command = json.loads([args for word, args in steps if word == "CMD"][-1])
    assert entrypoint + command == ["kizuna", "run"]
    assert ("STOPSIGNAL", "SIGTERM") in steps


def test_everything_the_image_copies_is_in_the_repository() -> None:
    for word, args in instructions():
        if word != "COPY" or args.startswith("--from"):
            continue
        *sources, _target = args.split()
        for source in sources:
            assert (REPO / source).exists(), f"COPY {source}: not in the repository"


def test_compose_runs_the_app_with_postgresql_and_mailpit_and_waits_long_enough() -> None:
    compose = yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"app", "postgres", "mailpit"} <= set(services)
    app = services["app"]
    assert app["env_file"] == ".env" and app["init"] is True
    assert app["environment"]["KIZUNA_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert app["depends_on"]["postgres"]["condition"] == "service_healthy"
    named = set(compose["volumes"])
    for service in services.values():
        for volume in service.get("volumes", []):
            assert volume.split(":")[0] in named
    # SIGTERM → grace for crawls → SIGTERM to them → SIGKILL; compose must not cut it short.
    grace = Settings().shutdown_grace + TERM_SECONDS
    assert seconds(app["stop_grace_period"]) >= grace + 10
    crawler = services["crawler"]
    assert crawler["entrypoint"] == ["scrapyd"] and crawler["profiles"] == ["scrapyd"]
    assert (REPO / "deploy" / "scrapyd" / "scrapyd.conf").is_file()
