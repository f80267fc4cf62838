"""Event signatures: what survives rewriting and translation (dates, figures, names), and the
pair score that decides whether two articles report the same event. Precision first: related
but distinct events (a courtesy call and the return home four days later, a summit and the visa
rule it announced, two years' scholarship send-offs) must stay apart."""

from __future__ import annotations

import json
import time
from datetime import date
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest

from config.registry import load_commitments
from matching.matcher import Matcher
from storage.events import (
    SAME_EVENT_THRESHOLD,
    EventSignature,
    event_signature,
    same_event,
)

REPO = Path(__file__).resolve().parents[1]
LABELLED = REPO / "tests" / "fixtures" / "eval" / "labelled.jsonl"


def sig(text: str, lang: str = "en", published: date | None = None, **kw: Any) -> EventSignature:
    return event_signature(kw.pop("title", ""), text, lang=lang, published=published, **kw)


# --- figures ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Japan will provide US$5 million for clearance.",
        "Japan will provide $5m for clearance.",
        "Japan will provide USD 5 million for clearance.",
        "Japan will provide 5 million dollars for clearance.",
    ],
)
def test_english_dollar_amounts_normalise_to_one_figure(text: str) -> None:
    assert "usd:5000000" in sig(text).figures


def test_yen_in_english_and_japanese_agree() -> None:
    en = sig("The grant of JPY 4.17 billion was signed.").figures
    ja = sig("41億7000万円の無償資金協力に署名した。", lang="ja").figures
    assert "jpy:4170000000" in en and "jpy:4170000000" in ja


def test_japanese_figures() -> None:
    figures = sig(
        "500万ドルと20億キープを供与。40万人以上が訪れ、職員12名が参加した。", lang="ja"
    ).figures
    assert {"usd:5000000", "lak:2000000000", "n:400000", "n:12"} <= figures


def test_lao_figures_use_lao_separators_and_scale_words() -> None:
    text = "ມູນຄ່າ 3,4 ຕື້ເຢນ ແລະ 82.000 ໂດລາສະຫະລັດ, 8 ລ້ານໂດລາສະຫະລັດ, ພະນັກງານ 25 ທ່ານ."
    figures = sig(text, lang="lo").figures
    assert {"jpy:3400000000", "usd:82000", "usd:8000000", "n:25"} <= figures
    assert not {"n:34", "n:82"} & figures  # the separators were not read twice


def test_italian_amounts_and_counts() -> None:
    figures = sig(
        "Il Giappone fornirà 5 milioni di dollari a 1.200 agricoltori.", lang="it"
    ).figures
    assert {"usd:5000000", "n:1200"} <= figures


def test_counts_percentages_and_what_is_ignored() -> None:
    text = (
        "The embassy rescued 47 Indians and Twenty-two scholars left on 5 August 2025; "
        "85% of 300 smallholders joined in 2024. Eight villages and 3 teams took part."
    )
    figures = sig(text).figures
    assert {"n:47", "n:22", "pct:85", "n:300"} <= figures
    assert not {"n:2024", "n:2025", "n:5", "n:8", "n:3"} & figures  # years, days, small counts


# --- dates -----------------------------------------------------------------------------------


def test_english_dates() -> None:
    s = sig(
        "Talks were held on 22 January 2025. The visit runs from 16 to 20 March, and the rule "
        "applies from 1 April. It was announced in November 2025."
    )
    assert {"2025-01-22", "--03-16", "--03-20", "--04-01", "2025-11"} <= s.dates
    assert s.lead_dates == {"2025-01-22"}


def test_implicit_year_comes_from_the_publication_date() -> None:
    s = sig("Notes were exchanged on 30 December.", published=date(2025, 1, 3))
    assert s.dates == {"2024-12-30"}


def test_japanese_dates() -> None:
    s = sig("2022年7月28日に署名。3月16日から20日まで訪問。令和7年9月30日。", lang="ja")
    assert {"2022-07-28", "--03-16", "--03-20", "2025-09-30"} <= s.dates


def test_japanese_bare_day_uses_the_publication_month_and_durations_are_not_days() -> None:
    s = sig("27日、式典が開かれた。滞在は15日以内とする。", lang="ja", published=date(2025, 6, 28))
    assert s.dates == {"2025-06-27"}
    assert sig("10日に東京で署名した。", lang="ja").dates == {"---10"}


def test_lao_dates() -> None:
    s = sig("ວັນທີ 21 ມັງກອນ 2025 ແລະ ວັນທີ 5 ສິງຫາ. ນັບແຕ່ເດືອນມິຖຸນາ ເປັນຕົ້ນມາ.", lang="lo")
    assert {"2025-01-21", "--08-05", "--06"} <= s.dates


def test_italian_and_french_dates() -> None:
    assert "2025-01-22" in sig("Il 22 gennaio 2025 a Tokyo.", lang="it").dates
    assert "2025-04-01" in sig("Le 1er avril 2025 à Vientiane.", lang="fr").dates


def test_may_the_verb_is_not_a_month() -> None:
    assert not sig("The princess may visit Laos and may 15 officials join.").dates


# --- names -----------------------------------------------------------------------------------


def test_latin_names_skip_titles_generic_words_and_sentence_openers() -> None:
    s = sig(
        "Deputy Governor Siriphone Souphanthong and Ambassador Kenichi Kobayashi spoke at the "
        "ceremony of Saka no Tochu in Luang Prabang. Officials said the Ministry of Agriculture "
        "and Forestry would help."
    )
    assert {"siriphone souphanthong", "kenichi kobayashi", "saka no tochu"} <= s.names
    assert "=luang-prabang" in s.names  # a gazetteer place, the same key in every script
    assert not {"officials", "ministry", "agriculture", "forestry", "deputy"} & s.names


def test_name_order_does_not_matter() -> None:
    assert (
        sig("It was Kobayashi Kenichi who signed.").names
        == sig("It was Kenichi Kobayashi who signed.").names
    )


def test_japanese_and_lao_names() -> None:
    ja = sig("津島淳法務副大臣とポンサイサック・インティラート副大臣が署名した。", lang="ja").names
    assert {"津島淳", "ポンサイサック・インティラート"} <= ja
    lo = sig("ທ່ານ ສອນໄຊ ສີພັນດອນ ແລະ ທ່ານ ບຸນທອງ ຈິດມະນີ ໄດ້ພົບປະກັນ.", lang="lo").names
    assert {"=sonexay", "ບຸນທອງ ຈິດມະນີ"} <= lo


def test_leaders_map_to_one_key_across_scripts() -> None:
    en = sig("Prime Minister Sonexay Siphandone met Ishiba Shigeru.").names
    ja = sig("石破総理大臣はソーネサイ首相と会談した。", lang="ja").names
    lo = sig("ທ່ານ ສອນໄຊ ສີພັນດອນ ແລະ ທ່ານ ອິຊິບະ ຊິເງຣຸ.", lang="lo").names
    assert {"=sonexay", "=ishiba"} <= en & ja & lo


# --- anchors and JSON ------------------------------------------------------------------------

GENERIC = {
    "japan", "laos", "lao", "vientiane", "tokyo", "minister", "ambassador", "government",
    "january", "november", "japanese", "prime", "asean", "ministry", "embassy",
}  # fmt: skip


def test_anchors_are_specific() -> None:
    s = sig(
        "Japanese Prime Minister Ishiba and Lao Prime Minister Sonexay met in Tokyo on 21 "
        "January; the Japanese Ambassador in Vientiane said the Government of Japan would give "
        "US$3.9 million to UXO Lao for 47 teams in Xieng Khouang. The ASEAN Ministry and "
        "Embassy staff attended in November.",
        title="Japan and Laos agree on UXO grant",
    )
    anchors = s.anchors()
    words = {part for a in anchors for part in a.split(":", 1)[-1].replace("-", " ").split()}
    assert not GENERIC & words
    assert {"d:01-21", "f:usd:3.9e6", "f:n:47", "n:=xieng-khouang"} <= anchors
    assert not any("ishiba" in a or "sonexay" in a for a in anchors)  # in most stories


def test_json_round_trip() -> None:
    s = sig(
        "On 8 November Japan gave USD 3.9 million to UXO Lao in Xieng Khuang.",
        published=date(2023, 11, 9),
        commitments=["csp2025-09"],
    )
    data = json.loads(json.dumps(s.to_json()))
    again = EventSignature.from_json(data)
    assert again == s
    assert again.anchors() == s.anchors()
    assert same_event(again, s) == same_event(s, s)


# --- pairs -----------------------------------------------------------------------------------

SENDOFF = (
    "A send-off reception was held at the Japanese Ambassador's residence in Vientiane for {n} "
    "Lao government officials who will study for master's degrees in Japan under the Project "
    "for Human Resource Development Scholarship (JDS). The scholars will study public policy, "
    "economics and law at Japanese universities. A Deputy Minister urged them to return and "
    "apply their knowledge."
)


def test_two_years_of_scholarship_send_offs_are_different_events() -> None:
    kw: dict[str, Any] = {"commitments": ["csp2025-17"]}
    y2024 = sig(
        SENDOFF.format(n=22),
        title="22 Lao officials to study in Japan under JDS",
        published=date(2024, 8, 8),
        **kw,
    )
    y2025 = sig(
        SENDOFF.format(n=25),
        title="25 Lao officials to study in Japan under JDS",
        published=date(2025, 8, 6),
        **kw,
    )
    assert same_event(y2024, y2025) == 0.0
    # Even with no publication dates, the wording alone does not make them one event.
    undated = [EventSignature.from_json({**s.to_json(), "day": None}) for s in (y2024, y2025)]
    assert same_event(*undated) < SAME_EVENT_THRESHOLD


def test_english_and_japanese_reports_of_one_grant_are_the_same_event() -> None:
    en = sig(
        "Japan will provide USD 3.9 million to buy detectors and vehicles for UXO Lao. Notes "
        "were exchanged at the Ministry of Foreign Affairs on 8 November by a Deputy Foreign "
        "Minister and the Japanese Ambassador.",
        title="Japan provides USD 3.9 million for UXO clearance equipment",
        published=date(2023, 11, 9),
        commitments=["csp2025-09"],
    )
    ja = sig(
        "11月8日、ビエンチャンにおいて、在ラオス日本国大使とラオス外務副大臣との間で、"
        "不発弾除去機材整備計画に関する書簡の交換が行われた。供与額は390万ドルで、"
        "探知機や車両を整備する。",
        lang="ja",
        title="ラオスに対する不発弾除去機材の供与",
        published=date(2023, 11, 9),
        commitments=["csp2025-09"],
    )
    assert en.anchors() & ja.anchors()
    assert same_event(en, ja) >= SAME_EVENT_THRESHOLD


def test_courtesy_call_and_return_four_days_later_are_different_events() -> None:
    call = sig(
        "Princess Aiko paid a courtesy call on President Thongloun Sisoulith at the Presidential "
        "Palace in Vientiane on 18 November. The President welcomed her on her first official "
        "overseas visit, marking the 70th anniversary of diplomatic relations.",
        title="Princess Aiko calls on Lao President",
        published=date(2025, 11, 18),
    )
    back = sig(
        "Princess Aiko returned to Tokyo on 22 November after her first official overseas visit. "
        "During the six-day trip she called on President Thongloun Sisoulith on 18 November and "
        "attended a ceremony marking the 70th anniversary of diplomatic relations.",
        title="Princess Aiko returns from Laos",
        published=date(2025, 11, 22),
    )
    assert same_event(call, back) < SAME_EVENT_THRESHOLD


def test_summit_and_the_visa_rule_it_announced_are_different_events() -> None:
    summit = sig(
        "Prime Minister Ishiba Shigeru and President Thongloun Sisoulith held talks in Tokyo on "
        "29 May. Thongloun said Laos would let Japanese visitors stay 30 days without a visa "
        "from 1 June, instead of 15 days.",
        published=date(2025, 5, 29),
        commitments=["csp2025-01", "csp2025-19"],
    )
    visa = sig(
        "From 1 June, Japanese holders of ordinary passports may stay in Laos for up to 30 days "
        "without a visa, up from 15 days, the Ministry of Foreign Affairs said.",
        published=date(2025, 5, 31),
        commitments=["csp2025-19"],
    )
    assert same_event(summit, visa) < SAME_EVENT_THRESHOLD


def test_two_courtesy_calls_on_one_morning_are_different_events() -> None:
    """Same day, same commitment (high-level exchanges), different leaders: two events, in any
    pair of languages; the English and Japanese reports of one call are one event."""
    kw: dict[str, Any] = {"published": date(2025, 3, 6), "commitments": ["csp2025-01"]}
    pm_en = sig(
        "Prime Minister Sonexay Siphandone received Japanese Ambassador Kenichi Kobayashi on "
        "5 March in Vientiane. They discussed the 70th anniversary and debt management.",
        **kw,
    )
    dpm_en = sig(
        "Deputy Prime Minister Saleumxay Kommasith received JICA Senior Vice President Shohei "
        "Hara on 5 March in Vientiane. They discussed support for education and health.",
        **kw,
    )
    pm_ja = sig(
        "3月5日、小林大使はソーネサイ首相を表敬し、外交関係樹立70周年に向けた準備や債務管理への"
        "支援について意見交換した。",
        lang="ja",
        **kw,
    )
    dpm_ja = sig(
        "3月5日、JICAの原上級副理事長はサルムサイ副首相を表敬し、教育と保健分野の協力について"
        "意見交換した。",
        lang="ja",
        **kw,
    )
    assert same_event(pm_en, pm_ja) >= SAME_EVENT_THRESHOLD
    assert same_event(dpm_en, dpm_ja) >= SAME_EVENT_THRESHOLD
    for a, b in ((pm_en, dpm_en), (pm_en, dpm_ja), (pm_ja, dpm_ja), (dpm_en, pm_ja)):
        assert same_event(a, b) < SAME_EVENT_THRESHOLD


def test_a_shared_day_alone_is_not_enough() -> None:
    """Summits and ASEAN weeks hold many events on one day in one city."""
    azec = sig(
        "The Second AZEC Leaders' Meeting was held in Vientiane on 11 October 2024.",
        published=date(2024, 10, 11),
    )
    eas = sig(
        "The East Asia Summit met in Vientiane on 11 October 2024 with Blinken attending.",
        published=date(2024, 10, 11),
    )
    assert same_event(azec, eas) < SAME_EVENT_THRESHOLD


def test_different_grants_of_the_same_kind_are_different_events() -> None:
    a = sig(
        "On 8 November Japan gave USD 3.9 million to UXO Lao for 12 clearance teams.",
        published=date(2023, 11, 9),
        commitments=["csp2025-09"],
    )
    b = sig(
        "On 8 November Japan gave USD 5 million to UXO Lao for 12 clearance teams.",
        published=date(2023, 11, 9),
        commitments=["csp2025-09"],
    )
    assert same_event(a, b) < SAME_EVENT_THRESHOLD


def test_publication_dates_far_apart_score_zero() -> None:
    text = "On 8 November Japan gave USD 3.9 million to UXO Lao for 12 clearance teams."
    a, b = sig(text, published=date(2023, 11, 9)), sig(text, published=date(2024, 11, 9))
    assert same_event(a, b) == 0.0


# --- quality floor on our own labelled set ---------------------------------------------------


@pytest.fixture(scope="module")
def labelled() -> tuple[list[dict[str, Any]], dict[str, EventSignature]]:
    items = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines()]
    matcher = Matcher(load_commitments(REPO / "config").commitments)
    sigs = {}
    for item in items:
        hits = matcher.match(item["title"] or "", item["summary"], None).all_hits
        sigs[item["id"]] = event_signature(
            item["title"] or "",
            item["summary"],
            lang=item["lang"],
            published=date.fromisoformat(item["date"]) if item["date"] else None,
            commitments=[h.key for h in hits if h.tier == "match"],
        )
    return items, sigs


def test_pairwise_quality_floor_on_our_labelled_set(
    labelled: tuple[list[dict[str, Any]], dict[str, EventSignature]],
) -> None:
    items, sigs = labelled
    group = {i["id"]: i["dup_group"] for i in items}
    tp = fp = fn = 0
    for x, y in combinations(group, 2):
        truth = group[x] is not None and group[x] == group[y]
        same = same_event(sigs[x], sigs[y]) >= SAME_EVENT_THRESHOLD
        tp += truth and same
        fp += same and not truth
        fn += truth and not same
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn)
    assert precision >= 0.95, (precision, tp, fp)
    assert recall >= 0.5, (recall, tp, fn)


def test_every_true_pair_found_shares_an_anchor(
    labelled: tuple[list[dict[str, Any]], dict[str, EventSignature]],
) -> None:
    """The story layer only scores articles that share an anchor."""
    items, sigs = labelled
    for x, y in combinations([i["id"] for i in items], 2):
        if same_event(sigs[x], sigs[y]) >= SAME_EVENT_THRESHOLD:
            assert sigs[x].anchors() & sigs[y].anchors(), (x, y)


def test_signatures_and_scores_are_fast(
    labelled: tuple[list[dict[str, Any]], dict[str, EventSignature]],
) -> None:
    items, sigs = labelled
    start = time.perf_counter()
    for item in items:
        event_signature(item["title"], item["summary"], lang=item["lang"], published=None)
    per_item = (time.perf_counter() - start) / len(items)
    pairs = list(combinations(sigs.values(), 2))[:5000]
    start = time.perf_counter()
    for a, b in pairs:
        same_event(a, b)
    per_pair = (time.perf_counter() - start) / len(pairs)
    assert per_item < 0.005, per_item  # typically well under 1 ms; generous for slow CI
    assert per_pair < 0.0005, per_pair
