"""Stories: syndicated copies, rewrites and translations join one story and alert once;
similar but distinct events stay apart; changed pages become revisions."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from alerts.slack import story_message
from alerts.views import StoryView
from config.settings import get_settings
from kizuna.ingest import Ingestor
from storage.db import make_engine
from storage.migrate import upgrade
from storage.models import Article, ArticleRevision, Story

from alerting import outbox_rows
from conftest import Env

WIRE = (
    "Japan and the Lao government signed an exchange of notes on Monday for a grant of "
    "1.2 billion yen to expand the Chinaimo water treatment plant in Vientiane. The project "
    "will raise the capital's daily supply by 40,000 cubic metres and serve about 200,000 "
    "residents in Sikhottabong and Xaysettha districts. The notes were signed by Deputy "
    "Minister of Foreign Affairs Phoxay Khaykhamphithoune and Japanese Ambassador Kenichi "
    "Kobayashi. Construction by a Japanese contractor is expected to start next year and to "
    "take about three years, the Nam Papa Nakhone Luang state enterprise said."
)

KPL = {
    "url": "https://kpl.gov.la/En/Detail.aspx?id=91001",
    "title": "Japan grants 1.2 billion yen for Vientiane water supply",
    "text": WIRE,
    "published_at": "2025-03-03T10:15:00+07:00",
    "source": "kpl-en",
}
VIENTIANE_TIMES = {
    "url": "https://www.vientianetimes.org.la/freeContent/FreeConten_Water_45.php",
    "title": "Japan to fund Chinaimo water plant expansion",
    "text": "VIENTIANE (Vientiane Times) -- "
    + WIRE.replace("on Monday", "this week").replace("about three years", "three years")
    + " (KPL)",
    "published_at": "2025-03-04",
    "source": "vientiane-times",
}
XINHUA = {
    "url": "https://english.news.cn/asiapacific/20250303/water/c.html?utm_source=rss",
    "title": "Japan provides grant aid for water supply in Lao capital",
    "text": "VIENTIANE, March 3 (Xinhua) -- " + WIRE + " Enditem",
    "published_at": "2025-03-03",
    "source": "xinhua",
}

SENDOFF = (
    "A send-off reception was held at the residence of the Japanese Ambassador in Vientiane "
    "for {n} Lao government officials who will study for master's degrees in Japan under the "
    "Project for Human Resource Development Scholarship (JDS). The fellows will study public "
    "policy, economics, law and agriculture at Japanese universities for two years. The "
    "ambassador encouraged them to build networks and bring their knowledge home to support "
    "Lao development, and the Lao side thanked Japan for its long-standing support."
)


@pytest.fixture(autouse=True)
def instant_alerts(kenv: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """Instant alerts are queued (to files) for every story, in this process and the
    `kizuna` children. The wire items are dated 2025: the backfill rule
    (tests/test_alert_routing.py) must not hold back the alerts these tests count."""
    kenv.setenv(monkeypatch, KIZUNA_SLACK_BACKEND="file", KIZUNA_BACKFILL_DAYS="100000")


@pytest.fixture
def ingestor(engine: Engine) -> Ingestor:
    return Ingestor(engine, get_settings())


def _stories(engine: Engine) -> dict[int, list[Article]]:
    out: dict[int, list[Article]] = {}
    with Session(engine) as s:
        for a in s.exec(select(Article).order_by(Article.id)).all():  # type: ignore[arg-type]
            assert a.story_id is not None
            out.setdefault(a.story_id, []).append(a)
    return out


def test_one_wire_story_on_three_outlets_is_one_story_and_one_alert(
    ingestor: Ingestor, engine: Engine
) -> None:
    results = [ingestor.ingest(dict(i)) for i in (VIENTIANE_TIMES, XINHUA, KPL)]
    assert [r.status for r in results] == ["new", "new", "new"]
    assert [r.story_join for r in results] == ["first", "near-copy", "near-copy"]
    stories = _stories(engine)
    assert len(stories) == 1
    assert len(outbox_rows(engine)) == 1
    # The agency that wrote the story leads it, though the press copy arrived first.
    with Session(engine) as s:
        story = s.exec(select(Story)).one()
        lead = s.get(Article, story.lead_article_id)
        assert lead is not None and lead.source == "kpl-en"
        assert story.title == KPL["title"]


def test_same_year_wording_different_events_stay_apart(ingestor: Ingestor, engine: Engine) -> None:
    """The JDS send-off happens every August with nearly the same words."""
    for year, n, day in ((2024, 22, "08-08"), (2025, 25, "08-06")):
        result = ingestor.ingest(
            {
                "url": f"https://kpl.gov.la/En/Detail.aspx?id={year}1",
                "title": f"{n} Lao officials to study in Japan under JDS",
                "text": SENDOFF.format(n=n),
                "published_at": f"{year}-{day}",
                "source": "kpl-en",
            }
        )
        assert result.status == "new" and result.story_join == "first"
    assert len(_stories(engine)) == 2


def test_exact_copy_years_apart_is_a_new_story(ingestor: Ingestor, engine: Engine) -> None:
    notice = "Visa notice. " + SENDOFF.format(n=20)
    for year in (2019, 2024):
        ingestor.ingest(
            {
                "url": f"https://www.la.emb-japan.go.jp/notice_{year}.html",
                "title": "Notice on visa exemption",
                "text": notice,
                "published_at": f"{year}-05-01",
            }
        )
    assert len(_stories(engine)) == 2


def test_translation_linked_by_the_official_page_joins_the_story(
    ingestor: Ingestor, engine: Engine
) -> None:
    en = {
        "url": "https://www.mofa.go.jp/press/release/pressite_000001_00999.html",
        "title": "Japan-Laos Foreign Ministers' Meeting",
        "text": "On 10 July, Foreign Minister Iwaya held a meeting with Thongsavanh Phomvihane, "
        "Minister of Foreign Affairs of the Lao PDR, in Kuala Lumpur.",
        "published_at": "2025-07-10",
        "source": "mofa-en",
        "alternate_urls": ["https://www.mofa.go.jp/mofaj/press/release/pressit_000001_01999.html"],
    }
    ja = {
        "url": "https://www.mofa.go.jp/mofaj/press/release/pressit_000001_01999.html",
        "title": "日・ラオス外相会談",
        "text": "7月10日、岩屋外務大臣は、トンサワン・ポムヴィハーン・ラオス外務大臣と"
        "会談を行いました。",
        "published_at": "2025-07-10",
        "source": "mofa-ja",
    }
    results = [ingestor.ingest(en), ingestor.ingest(ja)]
    assert [r.story_join for r in results] == ["first", "alternate"]
    assert len(_stories(engine)) == 1


def test_changed_page_is_a_revision_with_one_update_alert(
    ingestor: Ingestor, engine: Engine
) -> None:
    assert ingestor.ingest(dict(KPL)).status == "new"
    counter = dict(KPL, text=WIRE + " Views: 1,204. Last updated: 03/03/2025 11:02")
    assert ingestor.ingest(counter).status == "duplicate"  # a counter is not news
    corrected = dict(KPL, text=WIRE.replace("1.2 billion yen", "1.25 billion yen"))
    result = ingestor.ingest(corrected)
    assert result.status == "updated" and result.alerts == 1
    assert ingestor.ingest(corrected).status == "duplicate"
    with Session(engine) as s:
        article = s.exec(select(Article)).one()
        assert article.revision == 2 and "1.25 billion" in article.text
        assert "1.2 billion yen" in s.exec(select(ArticleRevision)).one().text
    kinds = sorted(o.kind for o in outbox_rows(engine))
    assert kinds == ["instant", "update"]
    update = next(o for o in outbox_rows(engine) if o.kind == "update")
    message = story_message(StoryView.from_json(update.payload["view"]))
    assert message["blocks"][0]["text"]["text"].startswith("Updated")


def test_typo_fix_is_a_revision_without_an_alert(ingestor: Ingestor, engine: Engine) -> None:
    ingestor.ingest(dict(KPL))
    fixed = dict(KPL, text=WIRE.replace("expected to start", "expected to begin"))
    result = ingestor.ingest(fixed)
    assert result.status == "updated" and result.alerts == 0
    assert [o.kind for o in outbox_rows(engine)] == ["instant"]


def test_two_processes_ingesting_copies_at_once_make_one_story_each(
    kenv: Env, tmp_path: Path
) -> None:
    """A scheduled and an on-demand run storing the same stories at the same time."""
    rng = random.Random(7)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocabulary = ["".join(rng.choices(letters, k=rng.randint(3, 9))) for _ in range(2000)]
    items = []
    for n in range(12):
        text = " ".join(rng.choice(vocabulary) for _ in range(150))
        day = f"2025-0{1 + n % 9}-1{n % 10}"
        original = dict(KPL, url=f"https://kpl.gov.la/En/Detail.aspx?id={n}", text=text)
        items.append(dict(original, published_at=day, title=f"Story {n}"))
        copy = dict(XINHUA, url=f"https://english.news.cn/{n}.html", text=f"VIENTIANE -- {text}")
        items.append(dict(copy, published_at=day, title=f"Copy of story {n}"))
    file = tmp_path / "items.jsonl"
    file.write_text("".join(json.dumps(i) + "\n" for i in items))
    results = kenv.run_together("ingest", str(file))
    assert all(code == 0 for code, _, _ in results), results
    eng = make_engine(kenv.vars["KIZUNA_DATABASE_URL"])
    stories = _stories(eng)
    assert sum(len(m) for m in stories.values()) == 24
    assert sorted(len(m) for m in stories.values()) == [2] * 12


def test_export_stories_lists_every_member_and_the_lead(
    kenv: Env, ingestor: Ingestor, engine: Engine
) -> None:
    for item in (XINHUA, KPL):
        ingestor.ingest(dict(item))
    done = kenv.run("export", "stories")
    assert done.returncode == 0, done.stderr
    (row,) = [json.loads(line) for line in done.stdout.splitlines()]
    assert row["lead_url"] == KPL["url"] and row["lead_source"] == "kpl-en"
    assert row["article_count"] == 2
    assert [m["source"] for m in row["members"]] == ["xinhua", "kpl-en"]
    assert row["members"][1]["joined"] == "near-copy"


def test_tracking_and_case_variants_are_one_article(ingestor: Ingestor, engine: Engine) -> None:
    variants = [
        "https://kpl.gov.la/En/Detail.aspx?id=91001",
        "http://www.kpl.gov.la/en/detail.aspx?id=91001&utm_source=facebook#comments",
        "HTTPS://KPL.GOV.LA:443/EN/DETAIL.ASPX?fbclid=xyz&id=91001",
    ]
    statuses = [ingestor.ingest(dict(KPL, url=u)).status for u in variants]
    assert statuses == ["new", "duplicate", "duplicate"]
    # The Lao edition numbers its articles separately: same id, another article.
    lao = dict(KPL, url="https://kpl.gov.la/detail.aspx?id=91001", text="ຂ່າວ " + WIRE)
    assert ingestor.ingest(lao).status == "new"
    with Session(engine) as s:
        urls = sorted(a.canonical_url for a in s.exec(select(Article)).all())
    assert urls == [
        "https://kpl.gov.la/En/Detail.aspx?id=91001",
        "https://kpl.gov.la/detail.aspx?id=91001",
    ]


def test_a_template_filled_in_for_another_grant_is_another_story(
    ingestor: Ingestor, engine: Engine
) -> None:
    """The embassy announces each grassroots grant with the same template."""
    template = (
        "On {day} March 2025, Ambassador Kenichi Kobayashi signed a grant contract of "
        "US${amount} under the Grant Assistance for Grassroots Human Security Projects for "
        "the construction of a primary school building in {village} village, Phonxay "
        "district, Luang Prabang province. The new building will have three classrooms, "
        "furniture and toilets, and will benefit about 150 pupils and teachers each year. "
        "The Embassy of Japan hopes the project will improve the learning environment."
    )
    for n, (day, amount, village) in enumerate(
        ((12, "98,500", "Houay Khing"), (14, "112,300", "Nam Bak"))
    ):
        result = ingestor.ingest(
            {
                "url": f"https://www.la.emb-japan.go.jp/itpr_en/ggp_2025_{n}.html",
                "title": "Signing ceremony for a grassroots grant project",
                "text": template.format(day=day, amount=amount, village=village),
                "published_at": f"2025-03-{day}",
                "source": "embassy-la",
            }
        )
        assert result.story_join == "first", result
    assert len(_stories(engine)) == 2


def test_lead_order_is_configurable(
    kenv: Env, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A newsroom that wants the press version first says so in KIZUNA_LEAD_ORDER."""
    settings = kenv.setenv(
        monkeypatch, KIZUNA_LEAD_ORDER="press,agency,official,think-tank,aggregator"
    )
    ingestor = Ingestor(engine, settings)
    ingestor.source_kinds["vientiane-times"] = "press"
    for item in (KPL, VIENTIANE_TIMES):
        ingestor.ingest(dict(item))
    with Session(engine) as s:
        story = s.exec(select(Story)).one()
        lead = s.get(Article, story.lead_article_id)
        assert lead is not None and lead.source == "vientiane-times"
    bad = kenv.run("config", extra={"KIZUNA_LEAD_ORDER": "official,blogs"})
    assert bad.returncode == 1 and "KIZUNA_LEAD_ORDER" in bad.stderr and "'blogs'" in bad.stderr


def test_what_one_database_taught_does_not_leak_into_another(
    ingestor: Ingestor, tmp_path: Path
) -> None:
    """Two ingestors in one process (tests, evaluations, a service and an import): the
    first database's article 1 must never stand in for the second's article 1."""
    school = {
        "url": "https://a.example/school",
        "title": "School grant signed in Houay Khing",
        "text": "On 12 March 2025 Ambassador Kenichi Kobayashi signed a grant contract of "
        "US$98,500 for a primary school in Houay Khing village, Phonxay district.",
        "published_at": "2025-03-12",
    }
    rewrite = {
        "url": "https://b.example/school-rewrite",
        "title": "Japan funds Houay Khing school",
        "text": "Japan will give US$98,500 for a new primary school in Houay Khing village in "
        "Phonxay district; Ambassador Kenichi Kobayashi signed the contract on 12 March 2025.",
        "published_at": "2025-03-13",
    }
    football = {
        "url": "https://c.example/football",
        "title": "Ambassador visits football tournament",
        "text": "Ambassador Kenichi Kobayashi watched the final of a youth football tournament "
        "in Vientiane on 2 March 2025 and handed over 40 balls.",
        "published_at": "2025-03-12",
    }
    other_url = f"sqlite:///{tmp_path / 'other.db'}"
    other_engine = make_engine(other_url)
    upgrade(other_engine)
    other = Ingestor(other_engine, get_settings())
    assert [other.ingest(dict(i)).story_join for i in (school, rewrite)] == ["first", "event"]
    # Here article 1 is the football visit: the rewrite of the school grant is not its story.
    assert [ingestor.ingest(dict(i)).story_join for i in (football, rewrite)] == ["first"] * 2


def test_story_lookups_probe_indexes_not_whole_tables(engine: Engine) -> None:
    """Near-copy and event lookups cost the same at 100,000 stored articles as at 1,000:
    SQLite answers each with index searches. (A row-value IN on (band, bucket) scanned all of
    lsh_band, so ingest slowed down linearly as the corpus grew.)"""
    if engine.dialect.name != "sqlite":
        pytest.skip("query plans are SQLite's")
    from storage import stories

    params: dict[str, object] = {}
    for i in range(stories.BANDS):
        params[f"b{i}"], params[f"k{i}"] = i, 1000 + i
    anchors = {"keys": [1, 2, 3], "first": 739000, "last": 739014}
    probes = [
        (stories._BAND_PROBE, params),
        (stories._ANCHOR_PROBE[True], anchors),
        (stories._ANCHOR_PROBE[False], {"keys": [1, 2, 3]}),
    ]
    with engine.connect() as conn:
        for statement, values in probes:
            literal = statement.params(**values).compile(
                engine, compile_kwargs={"literal_binds": True}
            )
            plan = " | ".join(r[3] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {literal}"))
            assert "SEARCH" in plan and "SCAN" not in plan.replace("SCAN CONSTANT", ""), plan
