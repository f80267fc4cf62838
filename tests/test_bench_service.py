"""`python -m benchmarks service`: an idle `kizuna run` is started, measured from /proc and
stopped with SIGTERM (exit 0), and the figures are written. Memory is not asserted beyond
sanity: the 150 MB budget is judged by the benchmark's limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchrun import run_benchmark

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="reads memory from /proc (Linux)"
)


def test_service_benchmark_writes_its_metrics(tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    # --scale 0.1: the shortest idle wait (6 s).
    table, by_name = run_benchmark("service", 0.1, output, timeout=120)
    assert "service.idle_rss" in table
    idle = by_name["service.idle_rss"]
    assert idle["unit"] == "MB" and idle["baseline"] == 150.0
    assert 20 < idle["value"] < 2_000
    assert idle["ratio"] == pytest.approx(idle["value"] / 150.0)
    assert by_name["service.peak_rss"]["value"] >= idle["value"] - 1
    assert by_name["service.children"]["value"] == 0  # no crawl ran
    assert 0 < by_name["service.stop_s"]["value"] < 30
