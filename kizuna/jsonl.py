"""Reading JSON Lines input (a file or stdin) line by line, keeping line numbers."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from config.errors import ConfigError


def read_jsonl(path: str) -> Iterator[tuple[int, Any | None, str | None]]:
    """Yield (line number, parsed object or None, error or None); blank lines skipped."""
    if path == "-":
        stream = sys.stdin
    else:
        try:
            stream = Path(path).open(encoding="utf-8")  # noqa: SIM115 (closed below)
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line), None
            except json.JSONDecodeError as exc:
                yield number, None, f"not valid JSON ({exc.msg} at column {exc.colno})"
    finally:
        if stream is not sys.stdin:
            stream.close()
