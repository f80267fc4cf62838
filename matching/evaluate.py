"""Evaluation of the matcher on labelled items (`make eval`).

Labelled JSON Lines: `title`, `summary` (or `text`), `japan_laos` (bool), `commitments`
(paragraph numbers). Prints per-paragraph precision and recall, micro and macro F1 over
paragraphs, relevance accuracy, and the confusions worth reading (near misses).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from config.registry import Commitment, load_commitments
from matching.matcher import Matcher


@dataclass
class Report:
    items: int = 0
    relevance_correct: int = 0
    tp: Counter[int] = field(default_factory=Counter)
    fp: Counter[int] = field(default_factory=Counter)
    fn: Counter[int] = field(default_factory=Counter)
    confusions: list[str] = field(default_factory=list)

    @property
    def relevance_accuracy(self) -> float:
        return self.relevance_correct / self.items if self.items else 0.0

    @property
    def micro(self) -> tuple[float, float, float]:
        tp, fp, fn = sum(self.tp.values()), sum(self.fp.values()), sum(self.fn.values())
        return _prf(tp, fp, fn)

    @property
    def macro_f1(self) -> float:
        paragraphs = set(self.tp) | set(self.fn) | set(self.fp)
        if not paragraphs:
            return 0.0
        return sum(_prf(self.tp[p], self.fp[p], self.fn[p])[2] for p in paragraphs) / len(
            paragraphs
        )

    def per_paragraph(self) -> list[tuple[int, int, float, float]]:
        """(paragraph, gold count, precision, recall)."""
        paragraphs = sorted(set(self.tp) | set(self.fn) | set(self.fp))
        rows = []
        for p in paragraphs:
            precision, recall, _ = _prf(self.tp[p], self.fp[p], self.fn[p])
            rows.append((p, self.tp[p] + self.fn[p], precision, recall))
        return rows


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def evaluate(items: Iterable[dict], commitments: list[Commitment]) -> Report:
    matcher = Matcher(commitments)
    paragraph_of = {c.key: c.paragraph for c in commitments}
    report = Report()
    for item in items:
        result = matcher.match(
            item.get("title") or "", item.get("summary") or item.get("text") or ""
        )
        gold = set(item.get("commitments") or [])
        found = {paragraph_of[h.key] for h in result.commitments}
        report.items += 1
        report.relevance_correct += result.relevant == bool(item.get("japan_laos"))
        for p in gold & found:
            report.tp[p] += 1
        for p in found - gold:
            report.fp[p] += 1
        for p in gold - found:
            report.fn[p] += 1
        if result.relevant != bool(item.get("japan_laos")) or found != gold:
            why = "; ".join(
                f"¶{h.paragraph} by {', '.join(h.fired[:3])}" for h in result.commitments
            )
            # A near miss: we claimed what the labels deny (a hard negative passed for
            # Japan–Laos, or a paragraph credited that the item is not evidence for).
            near = (result.relevant and not item.get("japan_laos")) or bool(found - gold)
            report.confusions.append(
                f"[{'near miss' if near else 'missed'}] {item.get('id')}: relevant "
                f"{result.relevant} (gold {item.get('japan_laos')}), found {sorted(found)} "
                f"(gold {sorted(gold)}){' — ' + why if why else ''}"
            )
    return report


def render(name: str, report: Report) -> str:
    precision, recall, f1 = report.micro
    lines = [
        f"== {name}: {report.items} items",
        f"relevance accuracy {report.relevance_accuracy:.3f}",
        f"commitments micro P {precision:.3f} R {recall:.3f} F1 {f1:.3f}; "
        f"macro F1 {report.macro_f1:.3f}",
        "paragraph  gold  precision  recall",
    ]
    lines += [f"  ¶{p:<7} {n:>4}  {pr:9.2f}  {rc:6.2f}" for p, n, pr, rc in report.per_paragraph()]
    if report.confusions:
        lines.append("confusions (near misses first, then misses):")
        lines += [
            f"  {c}"
            for c in sorted(report.confusions, key=lambda c: not c.startswith("[near miss]"))
        ]
    return "\n".join(lines)


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def main(argv: list[str]) -> int:
    config_dir = Path("config")
    commitments = load_commitments(config_dir).commitments
    paths = [Path(a) for a in argv] or [Path("tests/fixtures/eval/labelled.jsonl")]
    for path in paths:
        if not path.exists():
            print(f"== {path}: not found, skipped")
            continue
        print(render(str(path), evaluate(load_jsonl(path), commitments)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
