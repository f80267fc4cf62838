"""What every benchmark shares: the metric record, peak memory, timing, a child process."""

from __future__ import annotations

import multiprocessing
import resource
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class Metric:
    """One figure. `baseline` is the same quantity measured in the same run under easier
    conditions (None for absolute figures); `ratio` = value / baseline; `limit` is the
    largest acceptable ratio (None: reported, not judged)."""

    name: str
    value: float
    unit: str
    baseline: float | None = None
    ratio: float | None = None
    limit: float | None = None
    floor: float | None = None

    @classmethod
    def compared(
        cls,
        name: str,
        value: float,
        unit: str,
        baseline: float,
        limit: float | None = None,
        floor: float | None = None,
    ) -> Metric:
        """A figure judged against a baseline measured in the same run."""
        ratio = value / baseline if baseline else None
        return cls(name, value, unit, baseline, ratio, limit, floor)

    @property
    def judged(self) -> bool:
        return self.limit is not None or self.floor is not None

    @property
    def failed(self) -> bool:
        if not self.judged:
            return False
        if self.ratio is None:
            return True
        too_high = self.limit is not None and self.ratio > self.limit
        too_low = self.floor is not None and self.ratio < self.floor
        return too_high or too_low

    def as_json(self) -> dict[str, Any]:
        """The results.json object: name, value, unit, baseline, ratio."""
        record = asdict(self)
        del record["limit"], record["floor"]
        return record


def peak_rss_mb() -> float:
    """This process's peak resident set size, in MB.

    Linux: VmHWM from /proc/self/status. `ru_maxrss` is not used there because exec keeps
    the parent's peak (a spawned child of a 500 MB parent reports at least 500 MB).
    Elsewhere: `ru_maxrss` (kilobytes on Linux, bytes on macOS).
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024


class Stopwatch:
    """Accumulated wall time over `with watch:` blocks (time.perf_counter)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._start: float | None = None

    def __enter__(self) -> Stopwatch:
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._start is not None
        self.seconds += time.perf_counter() - self._start
        self._start = None


@contextmanager
def timed() -> Iterator[Stopwatch]:
    """`with timed() as t: ...` then `t.seconds`."""
    with Stopwatch() as watch:
        yield watch


def in_child(func: Callable[..., T], *args: Any) -> T:
    """Call a module-level `func(*args)` in a fresh (spawned) Python process, so its peak
    memory and imports are its own, and return what it returns."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(func, *args).result()
