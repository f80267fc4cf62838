"""`python -m benchmarks digest`: the digest benchmark runs end to end at a tiny scale and
writes its figures. Timings are not asserted (they depend on the machine)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchrun import run_benchmark
from conftest import REPO


def test_digest_benchmark_writes_its_metrics(tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    # --scale 0.02: 20 stories in the day against 10 in the baseline day.
    table, by_name = run_benchmark("digest", 0.02, output, timeout=120)
    assert "digest.compose_s" in table
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
