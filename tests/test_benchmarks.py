"""`python -m benchmarks`: the ingest benchmark runs end to end at a tiny scale and writes
its figures. Timings are not asserted (they depend on the machine)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import PG_URL, REPO


def test_ingest_benchmark_writes_its_metrics(tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    env = {k: v for k, v in os.environ.items() if k != "KIZUNA_BENCH_DATABASE_URL"}
    if PG_URL:  # the test database is ours to empty; a developer's bench database is not
        env["KIZUNA_BENCH_DATABASE_URL"] = PG_URL
    # --scale 0.003: 320 items, cost per item timed after 40 and after 300 are stored.
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "ingest", "--scale", "0.003", "--output", output],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    # Exit 1 may only mean a ratio over its limit: at this scale the timings are noise.
    assert done.returncode in (0, 1), done.stderr
    assert "(error)" not in done.stderr, done.stderr
    assert "ingest.cost_per_item_at_300_stored" in done.stdout  # the table

    results = json.loads(output.read_text())
    by_name = {r["name"]: r for r in results}
    assert all(set(r) == {"name", "value", "unit", "baseline", "ratio"} for r in results)
    assert all(isinstance(r["value"], int | float) for r in results)
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
    assert by_name["ingest.syndicated_copies"]["value"] == 320 // 10  # 2 in every 20 items
    recall = by_name["ingest.syndicated_recall"]
    assert recall["unit"] == "share"
    # Syndicated copies (new header/footer, 5% of words replaced) join their original.
    assert recall["value"] >= 0.9
