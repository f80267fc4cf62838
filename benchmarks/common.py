"""What every benchmark shares: the metric record, peak memory, timing, a child process."""

from __future__ import annotations

import multiprocessing
import os
import resource
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from config.settings import Settings

T = TypeVar("T")
REPO = Path(__file__).resolve().parents[1]
PROXY_VARIABLES = frozenset({"http_proxy", "https_proxy", "all_proxy"})


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


def proc_status(pid: int | str = "self") -> dict[str, int]:
    """The numeric fields of /proc/PID/status (memory in kB); empty when the process is gone
    or this is not Linux."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    fields = {}
    for line in lines:
        name, _, value = line.partition(":")
        parts = value.split()
        if parts and parts[0].isdigit():
            fields[name] = int(parts[0])
    return fields


def descendants(pid: int) -> list[int]:
    """Children, grandchildren, ... of `pid` (Linux /proc; none elsewhere)."""
    found: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*/children"):
            try:
                kids = [int(k) for k in task.read_text().split()]
            except OSError:  # the thread ended
                continue
            found.extend(kids)
            todo.extend(kids)
    return found


def family_kb(pid: int, field: str) -> int:
    """`field` (VmRSS, VmHWM) of `pid` and its descendants, summed, in kB."""
    return sum(proc_status(p).get(field, 0) for p in [pid, *descendants(pid)])


def peak_rss_mb() -> float:
    """This process's peak resident set size, in MB.

    Linux: VmHWM from /proc/self/status. `ru_maxrss` is not used there because exec keeps
    the parent's peak (a spawned child of a 500 MB parent reports at least 500 MB).
    Elsewhere: `ru_maxrss` (kilobytes on Linux, bytes on macOS).
    """
    peak = proc_status().get("VmHWM")
    if peak is not None:
        return peak / 1024
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024


def child_env(**overrides: str) -> dict[str, str]:
    """The environment for a `kizuna` child: the caller's without its KIZUNA_* settings or
    proxies (a benchmark must not read a developer's database or reach the network), the
    repository on PYTHONPATH, then `overrides`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("KIZUNA_") and k.lower() not in PROXY_VARIABLES
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(REPO), env.get("PYTHONPATH"))))
    return {**env, **overrides}


def sources_config(config_dir: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    """A config dir holding the packaged sources.yaml with `edit` applied to each source
    entry; the other registries fall back to the packaged ones (config/registry.py)."""
    data = yaml.safe_load((REPO / "config" / "sources.yaml").read_text(encoding="utf-8"))
    for source in data["sources"]:
        edit(source)
    config_dir.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    (config_dir / "sources.yaml").write_text(text, encoding="utf-8")
    return config_dir


def fresh_store(database_url: str, var_dir: Path, **settings: Any) -> tuple[Engine, Settings]:
    """An empty, migrated database (a PostgreSQL one is emptied first, as a new SQLite file
    is) and settings for it: the packaged config, Asia/Vientiane, then `settings`."""
    from sqlalchemy import text

    from config.settings import load_settings
    from storage.db import make_engine
    from storage.migrate import upgrade

    engine = make_engine(database_url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    options = {"config_dir": REPO / "config", "timezone": "Asia/Vientiane", **settings}
    return engine, load_settings(database_url=database_url, var_dir=var_dir, **options)


def progress(benchmark: str, message: str) -> None:
    """A progress line on stderr (the table goes to stdout)."""
    print(f"  {benchmark}: {message}", file=sys.stderr, flush=True)


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
