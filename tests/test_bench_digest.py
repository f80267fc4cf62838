"""`python -m benchmarks digest`: the digest benchmark runs end to end at a tiny scale and
writes its figures. Timings are not asserted (they depend on the machine)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO


def test_digest_benchmark_writes_its_metrics(tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    # --scale 0.02: 20 stories in the day against 10 in the baseline day.
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "digest", "--scale", "0.02", "--output", output],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # Exit 1 may only mean a ratio over its limit: at this scale the timings are noise.
    assert done.returncode in (0, 1), done.stderr
    assert "(error)" not in done.stderr, done.stderr
    assert "digest.compose_s" in done.stdout  # the table

    results = json.loads(output.read_text())
    by_name = {r["name"]: r for r in results}
    assert all(set(r) == {"name", "value", "unit", "baseline", "ratio"} for r in results)
    compose = by_name["digest.compose_s"]
    assert compose["unit"] == "s"
    assert compose["value"] > 0 and compose["baseline"] > 0
    assert isinstance(compose["ratio"], float)
    # The benchmark itself fails unless the email links every story under a commitment.
    assert by_name["digest.stories"]["value"] == 20
    assert by_name["digest.entries"]["value"] >= 20
    assert by_name["digest.html_bytes"]["value"] > 20 * 200
    assert by_name["digest.text_bytes"]["value"] > 20 * 100
    assert by_name["digest.wall_time"]["value"] > 0


def test_every_relevant_sentence_matches_a_commitment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The synthetic items stay matched if the catalogue changes, or the benchmark says so
    early: each relevant sentence, with each topic, is a `match` on its own."""
    import random

    monkeypatch.syspath_prepend(str(REPO))  # `benchmarks` is not an installed package
    from benchmarks.digest import RELEVANT_SENTENCES, RELEVANT_TOPICS, _fill
    from config.registry import load_commitments
    from matching.matcher import Matcher

    matcher = Matcher(load_commitments(REPO / "config").commitments)
    rng = random.Random(1)
    for template in RELEVANT_SENTENCES:
        for topic in RELEVANT_TOPICS:
            fixed = {"rtopic": topic, "lplace": "Savannakhet", "place": "Hanoi", "topic": "x"}
            sentence = _fill(rng, template, fixed)
            result = matcher.match("Japan and Laos", sentence, None)
            assert any(h.tier == "match" for h in result.all_hits), sentence
