"""`kizuna ingest`: the contract's counts, URL dedupe, revisions, rejects, concurrency."""

from __future__ import annotations

import json

from sqlmodel import Session, select

from storage.db import make_engine
from storage.models import Article, ArticleRevision, Outbox

from conftest import Env

UXO = {
    "id": "a1",
    "url": "https://laotiantimes.com/2025/03/01/japan-uxo-grant/?utm_source=twitter#top",
    "title": "Japan funds UXO clearance in Xieng Khouang",
    "summary": "Japan signed a grant with the Lao PDR for UXO clearance in Xieng Khouang. "
    "The Japanese ambassador said unexploded ordnance still blocks farmland in Laos. "
    "Japan and Laos agreed to report progress each year.",
    "date": "2025-03-01",
    "source": "laotian-times",
}


def _lines(*items: object) -> str:
    return "".join((json.dumps(i) if not isinstance(i, str) else i) + "\n" for i in items)


def _articles(url: str) -> list[Article]:
    with Session(make_engine(url)) as s:
        return list(s.exec(select(Article)).all())


def test_counts_rejects_with_line_numbers_and_keeps_the_good_lines(kenv: Env) -> None:
    variant = {
        **UXO,
        "id": "a2",
        "url": "HTTPS://LAOTIANTIMES.COM:443/2025/03/01/japan-uxo-grant/?fbclid=abc",
    }
    other = {
        "url": "https://kpl.gov.la/En/Detail.aspx?id=5",
        "title": "Laos-China rail freight",
        "text": "Freight on the Laos-China railway rose.",
        "published_at": "2025-03-02T10:00:00+07:00",
    }
    stdin = _lines(
        UXO, "{not json", variant, {"title": "no url"}, other, {"url": "ftp://x/y", "title": "t"}
    )
    done = kenv.run("ingest", "-", input=stdin)
    assert done.returncode == 1  # some lines were rejected: the user must fix them
    assert "new 2, duplicate 1, updated 0, rejected 3" in done.stdout
    errors = done.stderr.strip().splitlines()
    assert [e.split(":")[0] for e in errors] == ["line 2", "line 4", "line 6"]
    assert "url" in errors[1]
    stored = _articles(kenv.vars["KIZUNA_DATABASE_URL"])
    assert len(stored) == 2
    uxo = next(a for a in stored if "uxo" in a.url)
    assert uxo.canonical_url == "https://laotiantimes.com/2025/03/01/japan-uxo-grant/"
    assert uxo.lang == "en" and uxo.relevant
    # A bare date is midnight in the service's time zone (Asia/Vientiane).
    assert (
        uxo.published_at is not None and uxo.published_at.isoformat() == "2025-02-28T17:00:00+00:00"
    )


def test_changed_page_becomes_a_revision_and_an_update_not_a_new_alert(kenv: Env, tmp_path) -> None:
    file = tmp_path / "items.jsonl"
    file.write_text(_lines(UXO))
    # The item is dated 2025: the backfill rule would keep it out of instant channels.
    slack = {"KIZUNA_SLACK_BACKEND": "file", "KIZUNA_BACKFILL_DAYS": "100000"}
    assert "new 1" in kenv.run("ingest", str(file), extra=slack).stdout
    changed = {**UXO, "summary": UXO["summary"] + " The grant totals 410 million yen."}
    file.write_text(_lines(changed))
    done = kenv.run("ingest", str(file), extra=slack)
    assert done.returncode == 0, done.stderr
    assert "updated 1" in done.stdout
    url = kenv.vars["KIZUNA_DATABASE_URL"]
    with Session(make_engine(url)) as s:
        article = s.exec(select(Article)).one()
        assert article.revision == 2 and "410 million yen" in article.text
        revision = s.exec(select(ArticleRevision)).one()
        assert "410 million yen" not in revision.text
        assert sorted(o.kind for o in s.exec(select(Outbox)).all()) == ["instant", "update"]


def test_two_processes_ingesting_the_same_items_store_each_once(kenv: Env, tmp_path) -> None:
    items = [
        {
            "url": f"https://kpl.gov.la/En/Detail.aspx?id={n}",
            "title": f"Item {n}",
            "text": f"Japan and Laos item number {n}.",
        }
        for n in range(40)
    ]
    file = tmp_path / "items.jsonl"
    file.write_text(_lines(*items))
    results = kenv.run_together("ingest", str(file))
    assert all(code == 0 for code, _, _ in results), results
    assert len(_articles(kenv.vars["KIZUNA_DATABASE_URL"])) == 40
    new_counts = [int(out.split("new ")[1].split(",")[0]) for _, out, _ in results]
    assert sum(new_counts) == 40


def test_db_upgrade_is_idempotent(kenv: Env) -> None:
    first = kenv.run("db", "upgrade")
    assert first.returncode == 0 and "upgraded from empty" in first.stdout
    second = kenv.run("db", "upgrade")
    assert second.returncode == 0 and "already at revision" in second.stdout


def test_export_articles_follows_the_contract(kenv: Env) -> None:
    assert kenv.run("ingest", "-", input=_lines(UXO)).returncode == 0
    done = kenv.run("export", "articles", "--format", "jsonl")
    row = json.loads(done.stdout.splitlines()[0])
    assert list(row) == [
        "url",
        "canonical_url",
        "source",
        "title",
        "published_at",
        "lang",
        "text",
        "relevant",
        "story_id",
        "commitments",
    ]
    assert {"key": "csp2025-09", "paragraph": 9} in row["commitments"]
    csv_out = kenv.run("export", "articles", "--format", "csv").stdout.splitlines()
    assert csv_out[0].split(",")[:3] == ["url", "canonical_url", "source"]
    assert "csp2025-09" in csv_out[1]
    stories = json.loads(kenv.run("export", "stories").stdout.splitlines()[0])
    assert [(m["url"], m["source"], m["lead"]) for m in stories["members"]] == [
        (UXO["url"], "laotian-times", True)
    ]
    assert kenv.run("export", "articles", "--since", "2025-03-02").stdout == ""
