"""`python -m benchmarks matching`: runs end to end at a tiny scale and writes its figures
(timings are not asserted: they depend on the machine). Also: the candidate filter that
makes the matcher fast never drops a term that a full search would find (the matcher's
results must not change: the labelled set's are checked by test_matching_quality.py)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from matching.relevance import BILATERAL, JAPAN_TERMS, LAOS_TERMS, MULTILATERAL, OTHER_COUNTRIES
from matching.text import Vocabulary, may_occur, normalize, split_sentences, term_pattern

from benchrun import run_benchmark
from conftest import REPO


def test_matching_benchmark_writes_its_metrics(tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    # --scale 0.01: 100 items (50 English, 30 Japanese, 20 Lao).
    table, by_name = run_benchmark("matching", 0.01, output, timeout=120)
    assert "matching.items_per_s" in table
    speed = by_name["matching.items_per_s"]
    assert speed["unit"] == "items/s"
    assert speed["value"] > 0 and speed["baseline"] > 0
    assert speed["ratio"] == speed["value"] / speed["baseline"]
    assert by_name["matching.items"]["value"] == 100
    assert 0 < by_name["matching.matches"]["value"] < 100
    assert 0 < by_name["matching.relevant"]["value"] < 100
    assert by_name["matching.catalogue_terms"]["value"] > 1000
    assert by_name["matching.wall_time"]["value"] > 0


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """benchmarks.matching (benchmarks/ runs from the checkout; it is not installed)."""
    monkeypatch.syspath_prepend(str(REPO))
    import benchmarks.matching

    return benchmarks.matching


def test_corpus_is_deterministic_and_mixes_languages(bench: ModuleType) -> None:
    items = bench.corpus(200)
    assert items == bench.corpus(200)
    assert Counter(i.lang for i in items) == {"en": 100, "ja": 60, "lo": 40}
    assert [i.lang for i in items[:10]] == list(bench.LANGUAGES)
    assert any("ラオス" in i.text for i in items if i.lang == "ja")
    assert any("ຍີ່ປຸ່ນ" in i.text for i in items if i.lang == "lo")


def _texts(bench: ModuleType) -> list[str]:
    """Normalised items of the benchmark corpus and the labelled set."""
    labelled = REPO / "tests" / "fixtures" / "eval" / "labelled.jsonl"
    items = [(i.title, i.text) for i in bench.corpus(30)]
    for line in labelled.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        items.append((record.get("title") or "", record.get("summary") or ""))
    return [f"{normalize(title)}\n{normalize(text)}" for title, text in items]


def test_vocabulary_candidates_include_every_term_that_matches(bench: ModuleType) -> None:
    terms = [*bench.catalogue_terms(), *JAPAN_TERMS, *LAOS_TERMS, *OTHER_COUNTRIES]
    terms += [*MULTILATERAL, *BILATERAL, "", "u.s.", "-x-", "日ASEAN首脳会議"]
    vocabulary = Vocabulary(terms)
    patterns = {t: term_pattern(t) for t in set(terms)}
    for doc in _texts(bench):
        candidates = vocabulary.candidates(doc)
        for piece in [doc, *split_sentences(doc)]:
            found = {t for t, p in patterns.items() if p.search(piece)}
            assert found <= candidates, (found - candidates, piece)
            assert all(may_occur(t, piece) for t in found)
    assert vocabulary.candidates("japan and laos") >= {"Japan", "Laos", ""}
    assert "Japan" not in vocabulary.candidates("japanese visitors")
