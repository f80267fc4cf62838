"""Measure the story layer end to end: ingest a labelled JSONL file through the real
`Ingestor` into a throwaway SQLite database, then compare "same story" with the
`dup_group` labels over every pair of items.

    python -m kizuna.story_eval tests/fixtures/eval/labelled.jsonl [more.jsonl ...]
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from config.settings import load_settings
from matching.evaluate import load_jsonl
from storage.db import make_engine
from storage.migrate import upgrade
from storage.models import Article


@dataclass
class PairScore:
    items: int
    true_pairs: int
    predicted: int
    correct: int
    false_pairs: list[tuple[str, str, str]] = field(default_factory=list)  # ids and how joined
    missed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.true_pairs if self.true_pairs else 1.0


def story_ids(rows: list[dict[str, Any]]) -> dict[str, tuple[int, str]]:
    """Ingest the rows in order; item id -> (story id, how its article joined)."""
    from kizuna.ingest import Ingestor

    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            database_url=f"sqlite:///{Path(tmp) / 'eval.db'}", var_dir=Path(tmp)
        )
        engine = make_engine(settings.database_url)
        upgrade(engine)
        ingestor = Ingestor(engine, settings)
        article_of: dict[str, int] = {}
        for row in rows:
            item = {**row, "source": (row.get("outlet") or "import")[:100]}
            result = ingestor.ingest(item)
            if result.article_id is not None:
                article_of[row["id"]] = result.article_id
        with Session(engine) as session:
            stored = {a.id: (a.story_id, a.story_join) for a in session.exec(select(Article)).all()}
        engine.dispose()
    return {i: stored[a] for i, a in article_of.items()}  # type: ignore[misc]


def score(rows: list[dict[str, Any]], stories: dict[str, tuple[int, str]]) -> PairScore:
    result = PairScore(len(rows), 0, 0, 0)
    for a, b in combinations(rows, 2):
        truth = a.get("dup_group") is not None and a.get("dup_group") == b.get("dup_group")
        sa, sb = stories.get(a["id"]), stories.get(b["id"])
        same = sa is not None and sb is not None and sa[0] == sb[0]
        result.true_pairs += truth
        result.predicted += same
        result.correct += truth and same
        if same and not truth:
            how = sb[1] if sb else "?"
            result.false_pairs.append((a["id"], b["id"], how))
        if truth and not same:
            result.missed.append((a["id"], b["id"]))
    return result


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    for path in argv:
        rows = load_jsonl(Path(path))
        result = score(rows, story_ids(rows))
        print(
            f"{path}: {result.items} items, {result.true_pairs} same-story pairs; "
            f"predicted {result.predicted}, correct {result.correct}; "
            f"precision {result.precision:.3f}, recall {result.recall:.3f}"
        )
        for a, b, how in result.false_pairs:
            print(f"  merged but distinct: {a} + {b} (joined by {how})")
        for a, b in result.missed:
            print(f"  missed: {a} + {b}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
