"""`python -m benchmarks [names...] [--scale F] [--output PATH]`: run the benchmarks, print
a table, write the results (a JSON list of {name, value, unit, baseline, ratio}).

Without --scale each benchmark runs at its own `DEFAULT_SCALE` (1 unless the module says
otherwise: the sizes of issue 8 that fit in `make bench`'s ten minutes); `--scale 1` runs
every benchmark at the issue's full sizes (`make bench-full`).

Exits 1 when a ratio is outside its bounds or a benchmark fails.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import platform
import sys
import time
import traceback
from pathlib import Path
from types import ModuleType

import benchmarks
from benchmarks.common import Metric

DEFAULT_OUTPUT = Path("var/bench/results.json")
NOT_BENCHMARKS = frozenset({"common"})
NUMERIC_COLUMNS = (1, 3, 4)  # value, baseline, ratio


def discover() -> dict[str, ModuleType]:
    """Every benchmark module of the package, by name."""
    found = {}
    for info in sorted(pkgutil.iter_modules(benchmarks.__path__), key=lambda i: i.name):
        if info.name.startswith("_") or info.name in NOT_BENCHMARKS:
            continue
        module = importlib.import_module(f"benchmarks.{info.name}")
        if callable(getattr(module, "run", None)):
            found[info.name] = module
    return found


def _number(value: float | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.1f}"


def _verdict(metric: Metric) -> str:
    if not metric.judged:
        return ""
    bounds = [f"≥ {metric.floor:g}"] if metric.floor is not None else []
    bounds += [f"≤ {metric.limit:g}"] if metric.limit is not None else []
    return f"{'FAIL' if metric.failed else 'ok'} ({', '.join(bounds)})"


def print_table(metrics: list[Metric]) -> None:
    """The results, with Rich when it is installed."""
    header = ("metric", "value", "unit", "baseline", "ratio", "limit")
    rows = [
        (m.name, _number(m.value), m.unit, _number(m.baseline), _number(m.ratio), _verdict(m))
        for m in metrics
    ]
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            cells = [
                c.rjust(w) if i in NUMERIC_COLUMNS else c.ljust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            ]
            print("  ".join(cells).rstrip())
        return
    table = Table(title="Kizuna benchmarks")
    for i, name in enumerate(header):
        table.add_column(name, justify="right" if i in NUMERIC_COLUMNS else "left", no_wrap=True)
    for metric, row in zip(metrics, rows, strict=True):
        table.add_row(*row, style="bold red" if metric.failed else None)
    console = Console()
    if not console.is_terminal:  # a log or a pipe: do not cut names at 80 columns
        console = Console(width=max(console.width, 120))
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    available = discover()
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help=f"benchmarks to run (default: all of {', '.join(available)})",
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=None,
        help="multiply every benchmark's full sizes (0.01 for a smoke run; default: each "
        "benchmark's DEFAULT_SCALE)",
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="results JSON file")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in available]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(available)}")
    if args.scale is not None and args.scale <= 0:
        parser.error("--scale must be positive")

    print(
        f"benchmarks at {'default scales' if args.scale is None else f'scale {args.scale:g}'}"
        f" on {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} CPUs",
        flush=True,
    )
    metrics: list[Metric] = []
    failed: list[str] = []
    for name in args.names or list(available):
        module = available[name]
        scale = args.scale if args.scale is not None else getattr(module, "DEFAULT_SCALE", 1.0)
        print(f"{name} (scale {scale:g}): {getattr(module, 'DESCRIPTION', '')}", flush=True)
        started = time.monotonic()
        try:
            results = module.run(scale)
        except Exception:
            traceback.print_exc()
            failed.append(f"{name} (error)")
            continue
        metrics.extend(results)
        metrics.append(Metric(f"{name}.wall_time", time.monotonic() - started, "s"))
        failed.extend(m.name for m in results if m.failed)

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps([m.as_json() for m in metrics], indent=2) + "\n")
    print_table(metrics)
    print(f"results: {args.output}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
