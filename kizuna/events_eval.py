"""Pairwise evaluation of `storage.events.same_event` on labelled JSONL files.

    python -m kizuna.events_eval FILE... [--near 0.2]

It lives in kizuna/ because it needs both the matcher and storage.events, and storage/ may not
import matching/ (tests/test_imports.py).

Each line is a labelled item (id, date, title, summary, lang, dup_group, ...). Over all pairs
of items in a file, a pair is predicted "same" when same_event >= SAME_EVENT_THRESHOLD and true
when both items carry the same non-null dup_group. Signatures use the commitments our matcher
finds (tier "match"), not the labels. Prints per file: pairs, true pairs, predicted, TP,
precision, recall, then the false positives and the misses with their scores and evidence.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import combinations
from pathlib import Path
from typing import Any

from config.registry import PACKAGED_DIR, load_commitments
from matching.evaluate import load_jsonl
from matching.matcher import Matcher
from storage.events import (
    SAME_EVENT_THRESHOLD,
    EventSignature,
    event_signature,
    evidence,
    same_event,
)


@dataclass(frozen=True)
class Scored:
    a: str
    b: str
    score: float
    truth: bool
    why: dict[str, float]


@dataclass(frozen=True)
class Report:
    pairs: int
    true_pairs: int
    predicted: int
    tp: int
    false_positives: list[Scored]
    misses: list[Scored]

    @property
    def precision(self) -> float:
        return self.tp / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.tp / self.true_pairs if self.true_pairs else 1.0


def signatures(items: Iterable[dict[str, Any]], matcher: Matcher) -> dict[str, EventSignature]:
    out: dict[str, EventSignature] = {}
    for item in items:
        title, text = item.get("title") or "", item.get("summary") or ""
        found = matcher.match(title, text, None)
        keys = [h.key for h in found.all_hits if h.tier == "match"]
        published = date.fromisoformat(item["date"]) if item.get("date") else None
        out[item["id"]] = event_signature(
            title, text, lang=item.get("lang") or "", published=published, commitments=keys
        )
    return out


def evaluate(items: Sequence[dict[str, Any]], sigs: dict[str, EventSignature]) -> Report:
    group = {i["id"]: i.get("dup_group") for i in items}
    fps: list[Scored] = []
    misses: list[Scored] = []
    tp = predicted = true_pairs = pairs = 0
    for x, y in combinations([i["id"] for i in items], 2):
        pairs += 1
        truth = group[x] is not None and group[x] == group[y]
        score = same_event(sigs[x], sigs[y])
        same = score >= SAME_EVENT_THRESHOLD
        true_pairs += truth
        predicted += same
        tp += truth and same
        if same != truth:
            scored = Scored(x, y, score, truth, evidence(sigs[x], sigs[y]))
            (misses if truth else fps).append(scored)
    return Report(pairs, true_pairs, predicted, tp, fps, misses)


def _line(s: Scored) -> str:
    why = " ".join(f"{k}={v:+.2f}" for k, v in s.why.items() if v)
    return f"    {s.a} ~ {s.b}  score={s.score:.3f}  {why}"


def print_report(path: Path, report: Report, out: Any = sys.stdout) -> None:
    print(f"{path}", file=out)
    print(
        f"  pairs={report.pairs} true_pairs={report.true_pairs} predicted={report.predicted} "
        f"TP={report.tp} FP={len(report.false_positives)} FN={len(report.misses)} "
        f"precision={report.precision:.3f} recall={report.recall:.3f} "
        f"(threshold {SAME_EVENT_THRESHOLD})",
        file=out,
    )
    if report.false_positives:
        print("  false positives:", file=out)
        for s in sorted(report.false_positives, key=lambda s: -s.score):
            print(_line(s), file=out)
    if report.misses:
        print("  misses:", file=out)
        for s in sorted(report.misses, key=lambda s: -s.score):
            print(_line(s), file=out)


def _near(items: Sequence[dict[str, Any]], sigs: dict[str, EventSignature], floor: float) -> None:
    """Distinct pairs scoring above `floor`: the ones closest to becoming false positives."""
    group = {i["id"]: i.get("dup_group") for i in items}
    rows = []
    for x, y in combinations([i["id"] for i in items], 2):
        if group[x] is not None and group[x] == group[y]:
            continue
        score = same_event(sigs[x], sigs[y])
        if floor <= score < SAME_EVENT_THRESHOLD:
            rows.append(Scored(x, y, score, False, evidence(sigs[x], sigs[y])))
    if rows:
        print(f"  distinct pairs scoring >= {floor}:")
        for s in sorted(rows, key=lambda s: -s.score):
            print(_line(s))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--near", type=float, default=None, help="also list distinct pairs >=")
    args = parser.parse_args(argv)
    matcher = Matcher(load_commitments(PACKAGED_DIR).commitments)
    for path in args.files:
        items = load_jsonl(path)
        sigs = signatures(items, matcher)
        print_report(path, evaluate(items, sigs))
        if args.near is not None:
            _near(items, sigs, args.near)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
