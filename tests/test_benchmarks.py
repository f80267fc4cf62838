"""`python -m benchmarks`: the ingest benchmark runs end to end at a tiny scale and writes
its figures. Timings are not asserted (they depend on the machine)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchrun import run_benchmark
from conftest import PG_URL, REPO


def test_ingest_benchmark_writes_its_metrics(tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    env = {k: v for k, v in os.environ.items() if k != "KIZUNA_BENCH_DATABASE_URL"}
    if PG_URL:  # the test database is ours to empty; a developer's bench database is not
        env["KIZUNA_BENCH_DATABASE_URL"] = PG_URL
    # --scale 0.003: 340 items, cost per item timed on 40 after 40 and after 300 are stored.
    table, by_name = run_benchmark("ingest", 0.003, output, timeout=240, env=env)
    assert "ingest.cost_per_item_at_300_stored" in table
    assert all(isinstance(r["value"], int | float) for r in by_name.values())
    for name in (
        "ingest.items_per_s",
        "ingest.cost_per_item_at_40_stored",
        "ingest.cost_excl_matching_at_40_stored",
        "ingest.peak_rss",
        "ingest.syndicated_copies",
        "ingest.wall_time",
    ):
        assert by_name[name]["value"] > 0, name
    for name in ("ingest.cost_per_item_at_300_stored", "ingest.cost_excl_matching_at_300_stored"):
        small = by_name[name.replace("_300_", "_40_")]["value"]
        assert by_name[name]["baseline"] == small
        assert isinstance(by_name[name]["ratio"], float)
    assert by_name["ingest.items_per_s"]["baseline"] is None
    assert by_name["ingest.syndicated_copies"]["value"] == 340 // 10  # 2 in every 20 items
    recall = by_name["ingest.syndicated_recall"]
    assert recall["unit"] == "share"
    # Syndicated copies (new header/footer, 5% of words replaced) join their original.
    assert recall["value"] >= 0.9


def test_a_ratio_is_judged_against_its_floor_and_its_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """'At least 0.6 of extraction-only' fails below 0.6; 'at most 1.5' fails above 1.5;
    a figure with neither bound is reported, never failed."""
    monkeypatch.syspath_prepend(str(REPO))
    from benchmarks.__main__ import _verdict
    from benchmarks.common import Metric

    slow = Metric.compared("crawl.pages_per_s", 15.0, "pages/s", 37.0, floor=0.6)
    fast = Metric.compared("crawl.pages_per_s", 30.0, "pages/s", 37.0, floor=0.6)
    grown = Metric.compared("ingest.cost", 16.0, "ms", 10.0, limit=1.5)
    assert slow.failed and _verdict(slow) == "FAIL (≥ 0.6)"
    assert not fast.failed and _verdict(fast) == "ok (≥ 0.6)"
    assert grown.failed and _verdict(grown) == "FAIL (≤ 1.5)"
    assert not Metric("ingest.items_per_s", 1.0, "items/s").failed
    assert "floor" not in slow.as_json() and "limit" not in slow.as_json()
