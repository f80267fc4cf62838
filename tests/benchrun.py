"""Runs one benchmark the way `make bench` does (`python -m benchmarks NAME`), in a
subprocess, and reads back its results file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import REPO

FIELDS = {"name", "value", "unit", "baseline", "ratio"}


def run_benchmark(
    name: str,
    scale: float,
    output: Path,
    *,
    timeout: float,
    env: dict[str, str] | None = None,
) -> tuple[str, dict[str, dict[str, Any]]]:
    """(the printed table, the results by metric name). Exit 1 is accepted: it only means a
    ratio outside its bounds, and at a test's tiny scale the timings are noise."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", name, "--scale", str(scale), "--output", output],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    assert "(error)" not in done.stderr, done.stderr
    results = json.loads(output.read_text())
    assert all(set(r) == FIELDS for r in results)
    return done.stdout, {r["name"]: r for r in results}
