"""Quality floor of the story layer, end to end through the real ingest path: pairwise
"same story" against the `dup_group` labels of our labelled set (which holds deliberately
similar but distinct events: yearly send-offs, successive visits, templated notices)."""

from __future__ import annotations

import json
from pathlib import Path

from kizuna.story_eval import score, story_ids

LABELLED = Path(__file__).parent / "fixtures" / "eval" / "labelled.jsonl"


def test_same_story_pairs_meet_the_floors(kenv: object) -> None:
    rows = [json.loads(line) for line in LABELLED.read_text().splitlines() if line.strip()]
    result = score(rows, story_ids(rows))
    assert result.true_pairs >= 15  # the set still holds enough groups to measure
    assert result.precision >= 0.95, result.false_pairs
    assert result.recall >= 0.85, result.missed
