"""The matcher as a pure function (text in, relevance and commitment hits out), and the
`kizuna match` command that exposes it on JSON Lines. Item texts are written for these tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from config.registry import load_commitments
from matching.matcher import EVIDENCE_LIMIT, Matcher, MatchResult

from conftest import Env

CONFIG = Path(__file__).resolve().parents[1] / "config"


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(load_commitments(CONFIG).commitments)


def keys(result: MatchResult) -> list[str]:
    return [h.key for h in result.commitments]


# ---------------------------------------------------------------- positives

UXO_TITLE = "Tokyo funds bomb clearance in Houaphan"
UXO_TEXT = (
    "The Government of Japan signed a grant agreement with the Lao PDR on Monday to fund UXO "
    "clearance on farmland in Houaphan Province. The Japanese ambassador said unexploded "
    "ordnance still injures farmers in Laos every year. Survey teams will start in March."
)


def test_uxo_grant_from_japan_matches_paragraph_9(matcher: Matcher) -> None:
    result = matcher.match(UXO_TITLE, UXO_TEXT)
    assert result.relevant
    assert keys(result)[0] == "csp2025-09"
    hit = result.commitments[0]
    assert hit.paragraph == 9
    assert hit.tier == "match"
    assert 0 < hit.score <= 1
    assert "UXO" in hit.evidence
    assert hit.evidence in UXO_TEXT  # a sentence of the item, not of the catalogue
    assert "csp2025-09" not in [h.key for h in result.possible]


def test_jds_scholarship_matches_paragraph_17(matcher: Matcher) -> None:
    result = matcher.match(
        "Young Lao officials depart for graduate school",
        "Twelve Lao civil servants selected under the JDS scholarship programme left Vientiane "
        "for universities in Japan on Friday. Since 2001 the JDS programme, financed by Japanese "
        "grant aid, has sent more than 400 Lao officials abroad.",
    )
    assert result.relevant
    assert "csp2025-17" in keys(result)
    hit = next(h for h in result.commitments if h.key == "csp2025-17")
    assert hit.paragraph == 17 and hit.tier == "match"
    assert "JDS" in hit.evidence


def test_chao_anouvong_stadium_matches_paragraph_18(matcher: Matcher) -> None:
    result = matcher.match(
        "Rebuilt national stadium handed over",
        "Japan and Laos marked the completion of the Chao Anouvong Stadium in Vientiane on "
        "Saturday. The stadium, rebuilt with Japanese grant aid, has ramps and seating for "
        "wheelchair users.",
    )
    assert result.relevant
    assert keys(result)[0] == "csp2025-18"
    hit = result.commitments[0]
    assert hit.paragraph == 18 and hit.tier == "match"
    assert "Chao Anouvong" in hit.evidence


# ---------------------------------------------------------------- hard negatives


def test_us_funded_uxo_clearance_is_not_relevant(matcher: Matcher) -> None:
    result = matcher.match(
        "US funds new UXO survey in Savannakhet",
        "The United States will fund a new UXO survey in Savannakhet Province, Laos. The "
        "unexploded ordnance survey will cover 40 villages. American officials said UXO remains "
        "a danger to farmers across Laos.",
    )
    assert not result.relevant
    assert result.commitments == [] and result.possible == []


def test_japan_listed_among_dialogue_partners_is_not_relevant(matcher: Matcher) -> None:
    result = matcher.match(
        "ASEAN senior officials meet in Vientiane",
        "Senior officials of ASEAN member states met in Vientiane, Laos on Tuesday to prepare the "
        "regional summit. Dialogue partners including China, Japan, the Republic of Korea, India "
        "and Australia sent observers. Lao officials presented the connectivity agenda.",
    )
    assert not result.relevant
    assert result.all_hits == []


def test_laos_china_railway_is_not_relevant(matcher: Matcher) -> None:
    result = matcher.match(
        "Laos-China Railway passenger numbers climb",
        "The Laos-China Railway carried two million passengers in Laos last year. Chinese and Lao "
        "officials in Vientiane said cross-border trips had doubled since the line opened.",
    )
    assert not result.relevant
    assert result.all_hits == []


# ---------------------------------------------------------------- word boundaries


def test_short_aliases_do_not_fire_inside_longer_words(matcher: Matcher) -> None:
    title = "Japan and Laos agree on cyber security training"
    text = (
        "Japan and Laos agreed to train government staff in Vientiane. Japanese experts will "
        "teach PASSWORD hygiene and the course on UXOLOGY basics; every PASSWORDS file is checked."
    )
    result = matcher.match(title, text)
    assert result.relevant  # so an alias hit would have been reported
    assert "csp2025-13" not in [h.key for h in result.all_hits]  # SSW inside PASSWORD
    assert "csp2025-09" not in [h.key for h in result.all_hits]  # UXO inside UXOLOGY


def test_short_aliases_fire_as_whole_words(matcher: Matcher) -> None:
    """The counterpart of the test above: the same aliases standing alone do fire."""
    result = matcher.match(
        "Japan and Laos agree on training",
        "Japan and Laos agreed to expand the SSW programme. UXO teams will also be trained.",
    )
    hit_keys = [h.key for h in result.all_hits]
    assert "csp2025-13" in hit_keys
    assert "csp2025-09" in hit_keys


# ---------------------------------------------------------------- languages and home country


def test_japanese_text_is_relevant_without_a_joint_headline(matcher: Matcher) -> None:
    result = matcher.match(
        "不発弾処理で無償資金協力",
        "日本政府はラオス政府と不発弾処理の無償資金協力に署名した。"
        "ビエンチャンで日本大使が式典に出席した。",
    )
    assert result.relevant


def test_japanese_text_naming_japan_once_is_not_relevant(matcher: Matcher) -> None:
    result = matcher.match(
        "ラオスで洪水",
        "ラオス南部で大雨による洪水が発生した。ラオス政府によると、日本からの観光客に影響はない。",
    )
    assert not result.relevant


def test_home_country_la_makes_a_lao_agency_grant_story_relevant(matcher: Matcher) -> None:
    title = "Grant signed for rural water supply"
    text = (
        "The Japanese Embassy signed a grant for a water supply project in rural Laos. "
        "The Japanese grant will serve 2,000 residents."
    )
    assert matcher.match(title, text, "la").relevant
    assert "csp2025-04" in keys(matcher.match(title, text, "la"))
    # The same story from an unknown publisher names Laos only once: not enough.
    unknown = matcher.match(title, text, None)
    assert not unknown.relevant
    assert unknown.all_hits == []


# ---------------------------------------------------------------- evidence and order


def test_evidence_is_bounded_even_for_a_huge_sentence(matcher: Matcher) -> None:
    sentence = (
        "The Japanese government and the Lao PDR signed a grant for UXO clearance "
        + "in farmland, village land and school grounds " * 45
        + "will continue"
    )
    assert len(sentence) > 2000
    result = matcher.match("Japan and Laos sign UXO deal", sentence + ".")
    assert result.commitments
    for hit in result.all_hits:
        assert 0 < len(hit.evidence) <= EVIDENCE_LIMIT == 300
        assert hit.evidence.startswith("The Japanese government")


def test_result_order_is_stable(matcher: Matcher) -> None:
    title = "Japan and Laos review cooperation"
    text = (
        "Officials reviewed JDS fellowships and UXO work. The JDS alumni network and the UXO "
        "sector were discussed in Vientiane. A Chao Anouvong Stadium visit closed the day."
    )
    first = matcher.match(title, text)
    assert len(first.all_hits) >= 3
    again = Matcher(load_commitments(CONFIG).commitments).match(title, text)
    assert first == again
    order = [(-h.score, h.paragraph) for h in first.commitments]
    assert order == sorted(order), "best score first, ties by paragraph"
    # ¶18 leads; "UXO work" with no Japanese action is only a possible ¶9 (its rules need
    # Japan acting), so ¶17 follows in the match tier.
    assert keys(first) == ["csp2025-18", "csp2025-17"]
    assert "csp2025-09" in [h.key for h in first.possible]


# ---------------------------------------------------------------- kizuna match (CLI)

CONTRACT_KEYS = {"id", "relevant", "commitments", "possible"}
HIT_KEYS = {"key", "paragraph", "score", "tier", "evidence"}


def run_match(kenv: Env, lines: list[str], tmp_path: Path) -> tuple[int, list[dict], str, Path]:
    db = tmp_path / "nodb" / "kizuna.db"
    proc = kenv.run(
        "match",
        "-",
        input="\n".join(lines) + "\n",
        extra={"KIZUNA_DATABASE_URL": f"sqlite:///{db}"},
    )
    records = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    return proc.returncode, records, proc.stderr, db


def test_match_cli_prints_one_object_per_line_in_order(kenv: Env, tmp_path: Path) -> None:
    items = [
        {
            "id": "uxo-1",
            "url": "https://example.org/a",
            "title": UXO_TITLE,
            "text": UXO_TEXT,
            "published_at": "2025-02-03T09:00:00+07:00",
        },
        {
            "url": "https://example.org/b",
            "title": "Laos-China Railway passenger numbers climb",
            "text": "The Laos-China Railway carried two million passengers in Laos last year.",
        },
        {
            "id": 77,
            "url": "https://example.org/c",
            "title": "Japan and Laos open stadium",
            "summary": "The Chao Anouvong Stadium in Vientiane, rebuilt by Japan, opened today.",
            "date": "2025-03-01",
        },
    ]
    code, records, stderr, db = run_match(kenv, [json.dumps(i) for i in items], tmp_path)

    assert code == 0, stderr
    assert len(records) == 3
    for record in records:
        assert set(record) == CONTRACT_KEYS
        for hit in record["commitments"] + record["possible"]:
            assert HIT_KEYS <= set(hit) <= HIT_KEYS | {"fired"}
            assert len(hit["evidence"]) <= 300
    assert [r["id"] for r in records] == ["uxo-1", 2, 77]
    assert [r["relevant"] for r in records] == [True, False, True]
    assert records[0]["commitments"][0]["key"] == "csp2025-09"
    assert records[0]["commitments"][0]["paragraph"] == 9
    assert records[0]["commitments"][0]["tier"] == "match"
    assert records[1]["commitments"] == [] and records[1]["possible"] == []
    # `summary` and `date` stand in for text and published_at.
    assert [c["key"] for c in records[2]["commitments"]] == ["csp2025-18"]
    assert "Chao Anouvong Stadium" in records[2]["commitments"][0]["evidence"]
    assert not db.exists() and not db.parent.exists(), "kizuna match touched the database"


def test_match_cli_reports_bad_lines_in_place(kenv: Env, tmp_path: Path) -> None:
    good = {"url": "https://example.org/ok", "title": UXO_TITLE, "text": UXO_TEXT}
    lines = [
        "this is not json",
        json.dumps(good),
        json.dumps({"id": "no-url", "title": "Japan and Laos", "text": "no link"}),
        json.dumps({**good, "id": "last"}),
    ]
    code, records, stderr, db = run_match(kenv, lines, tmp_path)

    assert code == 1
    assert len(records) == 4
    assert [r["id"] for r in records] == [1, 2, "no-url", "last"]
    assert "error" in records[0] and "error" in records[2]
    assert "url" in records[2]["error"]
    for ok in (records[1], records[3]):
        assert "error" not in ok
        assert ok["relevant"] is True
        assert ok["commitments"][0]["key"] == "csp2025-09"
    assert "line 1" in stderr and "line 3" in stderr
    assert "Traceback" not in stderr
    assert not db.exists()
