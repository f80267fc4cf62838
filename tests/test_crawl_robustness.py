"""Sources that misbehave, crawled together with a healthy one in one `kizuna crawl`: block
and challenge pages, server errors, timeouts, malformed HTML, wrong or missing charsets and
a 50 MB page. The run completes, the healthy source is unaffected, nothing unreadable is
stored, and `source_health` names each source's state."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import select

from kizuna.fixture_server import DEMO_SITES, FixtureServer, FixtureSite

from conftest import REPO, Env, config_dir
from test_crawl import _export, summary_row

BLOCKING = Path(__file__).resolve().parent / "fixtures/blocking"


def article_html(title: str, body: str, day: str, *, charset_meta: str | None = None) -> str:
    meta = f'<meta charset="{charset_meta}">' if charset_meta else ""
    paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
    return (
        f"<!DOCTYPE html><html><head>{meta}<title>{title} | Lab News</title>"
        f'<meta property="article:published_time" content="{day}T09:00:00+07:00"></head>'
        '<body><nav><a href="/">Home</a> <a href="/news/">News</a></nav>'
        f"<main><article><h1>{title}</h1>{paragraphs}</article></main>"
        "<footer>Copyright Lab News. All rights reserved.</footer></body></html>"
    )


def listing_html(links: list[tuple[str, str]]) -> str:
    items = "".join(f'<li><a href="{href}">{text}</a></li>' for href, text in links)
    return f"<html><head><title>News</title></head><body><ul>{items}</ul></body></html>"


LONG = (
    "The Government of Japan and the Government of the Lao PDR signed an exchange of notes "
    "in Vientiane on grant aid for the improvement of water supply in three provinces.\n\n"
    "The project will serve more than forty thousand people and is expected to be completed "
    "within three years, officials from both sides said at the signing ceremony."
)
LAO = (
    "ລັດຖະບານຍີ່ປຸ່ນ ແລະ ລັດຖະບານ ສປປ ລາວ ໄດ້ລົງນາມໃນບົດບັນທຶກການແລກປ່ຽນ ກ່ຽວກັບການຊ່ວຍເຫຼືອລ້າ "
    "ເພື່ອປັບປຸງການສະໜອງນ້ຳປະປາ ໃນສາມແຂວງ ທີ່ນະຄອນຫຼວງວຽງຈັນ.\n\n"
    "ໂຄງການດັ່ງກ່າວ ຈະຮັບໃຊ້ປະຊາຊົນຫຼາຍກວ່າສີ່ໝື່ນຄົນ ແລະ ຄາດວ່າຈະສຳເລັດພາຍໃນສາມປີ."
)
JAPANESE = (
    "日本政府とラオス人民民主共和国政府は、ビエンチャンにおいて、三県における給水改善計画に関する"
    "無償資金協力の交換公文に署名しました。\n\n"
    "本計画は四万人以上の住民に安全な水を届けるもので、三年以内の完成が見込まれています。"
)


class Lab:
    """Builds fixture sites (one per source) and a sources.yaml describing them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.sites: dict[str, dict[str, Any]] = {}
        self.sources: list[dict[str, Any]] = []

    def site(self, key: str, routes: dict[str, Any], files: dict[str, bytes | str]) -> str:
        directory = self.root / key
        directory.mkdir(parents=True)
        origin = f"https://{key}.lab.example"
        for name, content in files.items():
            data = content.encode("utf-8") if isinstance(content, str) else content
            (directory / name).write_bytes(data)
        (directory / "robots.txt").write_text("User-agent: *\nDisallow:\n")
        manifest = {"origin": origin, "routes": {"/robots.txt": "robots.txt", **routes}}
        (directory / "site.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
        self.sources.append(
            {
                "key": key,
                "name": f"Lab {key}",
                "kind": "press",
                "timezone": "Asia/Vientiane",
                "entries": [{"type": "listing", "url": f"{origin}/news/"}],
                "article_patterns": [rf"^{origin.replace('.', '[.]')}/a/\w+\.html$"],
                "politeness": {"timeout": 2, "retries": 1},
            }
        )
        return origin

    def config_dir(self) -> Path:
        """A config dir whose sources.yaml holds kpl-en and the lab's sites."""
        data = yaml.safe_load((REPO / "config" / "sources.yaml").read_text(encoding="utf-8"))
        kpl = [s for s in data["sources"] if s["key"] == "kpl-en"]
        return config_dir(self.root, {"sources.yaml": {"sources": kpl + self.sources}})


def _ok_article(name: str, title: str) -> tuple[str, str]:
    return f"/a/{name}.html", article_html(title, LONG, "2026-11-02")


def build(lab: Lab) -> None:
    # 1. Cloudflare challenge, 403, on every page.
    challenge = (BLOCKING / "cloudflare.html").read_text(encoding="utf-8")
    lab.site(
        "cloudflare",
        {
            "/news/": {"file": "cf.html", "status": 403, "headers": {"Server": "cloudflare"}},
            "/a/one.html": {"file": "cf.html", "status": 403},
        },
        {"cf.html": challenge},
    )
    # 2. Anubis proof-of-work page, served with 200.
    lab.site(
        "anubis",
        {"/news/": "anubis.html"},
        {"anubis.html": (BLOCKING / "anubis.html").read_text(encoding="utf-8")},
    )
    # 3. A listing that works, one article behind a captcha.
    path, page = _ok_article("fine", "Japan and Laos sign water grant")
    lab.site(
        "captcha",
        {"/news/": "list.html", path: "fine.html", "/a/gated.html": "captcha.html"},
        {
            "list.html": listing_html([(path, "Water"), ("/a/gated.html", "Gated")]),
            "fine.html": page,
            "captcha.html": (BLOCKING / "captcha.html").read_text(encoding="utf-8"),
        },
    )
    # 4. Server errors on the entry page.
    lab.site("server-error", {"/news/": {"file": "x.html", "status": 500}}, {"x.html": "oops"})
    # 5. One article never answers in time; another does.
    path, page = _ok_article("quick", "Lao officials visit Japanese water plant")
    lab.site(
        "timeout",
        {"/news/": "list.html", path: "quick.html", "/a/slow.html": {"file": "q.html", "delay": 4}},
        {
            "list.html": listing_html([(path, "Quick"), ("/a/slow.html", "Slow")]),
            "quick.html": page,
            "q.html": page,
        },
    )
    # 6. Malformed HTML: unclosed tags, stray end tags, a broken attribute.
    broken_list = '<html><body><ul><li><a href="/a/messy.html">Messy<li><a href=/a/gone.html>X</ul'
    messy = (
        "<html><head><title>Japan funds Lao school buildings</title>"
        '<meta property="article:published_time" content="2026-11-03T08:00:00+07:00">'
        "<body><div><article><h1>Japan funds Lao school buildings</h1><p>"
        + LONG.replace("\n\n", "<p>")
        + "</div></span><p>Unclosed <b>bold and <i>italic</article>"
    )
    lab.site(
        "malformed",
        {"/news/": "list.html", "/a/messy.html": "messy.html"},
        {"list.html": broken_list, "messy.html": messy},
    )
    # 7. Charsets: Shift_JIS sent as UTF-8, EUC-JP declared only in <meta>, Lao undeclared.
    sjis = article_html("日ラオス給水計画に署名", JAPANESE, "2026-11-04").encode("shift_jis")
    eucjp = article_html(
        "ラオスへの無償資金協力", JAPANESE, "2026-11-05", charset_meta="euc-jp"
    ).encode("euc_jp")
    lao = article_html("ຍີ່ປຸ່ນ ຊ່ວຍເຫຼືອ ລາວ ດ້ານນ້ຳປະປາ", LAO, "2026-11-06").encode("utf-8")
    lab.site(
        "charsets",
        {
            "/news/": "list.html",
            "/a/sjis.html": {"file": "sjis.html", "content_type": "text/html; charset=utf-8"},
            "/a/eucjp.html": {"file": "eucjp.html", "content_type": "text/html"},
            "/a/lao.html": {"file": "lao.html", "content_type": "text/html"},
        },
        {
            "list.html": listing_html(
                [("/a/sjis.html", "SJIS"), ("/a/eucjp.html", "EUC"), ("/a/lao.html", "Lao")]
            ),
            "sjis.html": sjis,
            "eucjp.html": eucjp,
            "lao.html": lao,
        },
    )
    # 8. A 50 MB page beside a normal one.
    path, page = _ok_article("normal", "Japan supports Lao hydropower training")
    lab.site(
        "huge",
        {"/news/": "list.html", path: "normal.html", "/a/huge.html": {"size_mb": 50}},
        {
            "list.html": listing_html([(path, "Normal"), ("/a/huge.html", "Huge")]),
            "normal.html": page,
        },
    )


@pytest.fixture
def lab_crawl(kenv: Env, tmp_path: Path) -> Iterator[tuple[Env, Any, dict[str, Any]]]:
    lab = Lab(tmp_path / "lab")
    build(lab)
    config = lab.config_dir()
    sites = [
        FixtureSite.load(d)
        for d in sorted((tmp_path / "lab").iterdir())
        if (d / "site.yaml").exists()
    ]
    sites.append(FixtureSite.load(DEMO_SITES / "kpl"))
    with ExitStack() as stack:
        servers = [stack.enter_context(FixtureServer(site)) for site in sites]
        mirrors = ",".join(f"{s.site.origin}={s.base_url}" for s in servers)
        extra = {
            "KIZUNA_MIRRORS": mirrors,
            "KIZUNA_OFFLINE": "1",
            "KIZUNA_CONFIG_DIR": str(config),
            "COLUMNS": "250",
        }
        done = kenv.run("crawl", extra=extra, timeout=300)
        yield kenv, done, {s.site.origin: s.site for s in servers}


def _health(kenv: Env) -> dict[str, Any]:
    from config.settings import get_settings
    from storage.db import make_engine, session_scope
    from storage.models import SourceHealth

    get_settings.cache_clear()
    engine = make_engine(kenv.vars["KIZUNA_DATABASE_URL"])
    with session_scope(engine) as session:
        rows = {h.source: h.model_dump() for h in session.exec(select(SourceHealth)).all()}
    engine.dispose()
    return rows


def test_misbehaving_sources_are_recorded_and_the_healthy_one_is_unaffected(lab_crawl) -> None:
    kenv, done, _sites = lab_crawl
    assert "Traceback" not in done.stderr
    # Blocked sources make the command fail (the user must act), after crawling everything.
    assert done.returncode == 1
    assert "cloudflare (blocked)" in done.stderr and "anubis (blocked)" in done.stderr

    kpl = summary_row(done.stdout, "kpl-en")
    assert kpl["status"] == "ok" and kpl["health"] == "ok" and kpl["new"] == "12"

    health = _health(kenv)
    states = {key: row["status"] for key, row in health.items()}
    assert states == {
        "kpl-en": "ok",
        "cloudflare": "blocked",
        "anubis": "blocked",
        "captcha": "degraded",
        "server-error": "degraded",
        "timeout": "degraded",
        "malformed": "ok",
        "charsets": "ok",
        "huge": "degraded",
    }
    assert "cloudflare" in health["cloudflare"]["reason"]
    assert health["cloudflare"]["http_status"].get("403", 0) >= 1
    assert "anubis" in health["anubis"]["reason"]
    assert "captcha" in health["captcha"]["reason"]
    assert health["server-error"]["http_status"].get("500", 0) >= 1
    assert "TimeoutError" in health["timeout"]["reason"]
    assert health["huge"]["errors"] >= 1

    stored = {a["url"]: a for a in _export(kenv)}
    lab = {u: a for u, a in stored.items() if ".lab.example" in u}
    # Challenge and captcha pages were never stored as articles.
    assert not any("gated" in u or "cloudflare" in u or "anubis" in u for u in lab)
    assert {u.split("//")[1].split(".")[0] + u.rsplit("/", 1)[1] for u in lab} == {
        "captchafine.html",
        "timeoutquick.html",
        "malformedmessy.html",
        "charsetssjis.html",
        "charsetseucjp.html",
        "charsetslao.html",
        "hugenormal.html",
    }
    by_name = {u.rsplit("/", 1)[1]: a for u, a in lab.items()}
    assert by_name["sjis.html"]["title"] == "日ラオス給水計画に署名"
    assert by_name["sjis.html"]["text"].startswith("日本政府とラオス人民民主共和国政府は")
    assert by_name["eucjp.html"]["title"] == "ラオスへの無償資金協力"
    assert by_name["lao.html"]["title"] == "ຍີ່ປຸ່ນ ຊ່ວຍເຫຼືອ ລາວ ດ້ານນ້ຳປະປາ"
    assert by_name["lao.html"]["lang"] == "lo" and by_name["sjis.html"]["lang"] == "ja"
    assert by_name["messy.html"]["title"] == "Japan funds Lao school buildings"
    assert "signing ceremony" in by_name["messy.html"]["text"]


def test_server_errors_three_runs_in_a_row_make_a_source_broken(kenv: Env, tmp_path: Path) -> None:
    lab = Lab(tmp_path / "lab")
    lab.site("server-error", {"/news/": {"file": "x.html", "status": 503}}, {"x.html": "down"})
    config = lab.config_dir()
    with FixtureServer(FixtureSite.load(tmp_path / "lab/server-error")) as server:
        extra = {
            "KIZUNA_MIRRORS": f"{server.site.origin}={server.base_url}",
            "KIZUNA_OFFLINE": "1",
            "KIZUNA_CONFIG_DIR": str(config),
        }
        states = []
        for _ in range(3):
            kenv.run("crawl", "server-error", extra=extra)
            states.append(_health(kenv)["server-error"]["status"])
    assert states == ["degraded", "degraded", "broken"]
    row = _health(kenv)["server-error"]
    assert row["consecutive_failures"] == 3 and "3 failed runs in a row" in row["reason"]
    assert row["failure_score"] > 1.0  # 0.5, then 0.75, then 1.375: decays by half, adds the run


def test_retry_after_is_honoured_and_the_page_is_fetched_once_it_may_be(
    kenv: Env, tmp_path: Path
) -> None:
    lab = Lab(tmp_path / "lab")
    path, page = _ok_article("one", "Japan and Laos agree on rail study")
    lab.site(
        "busy",
        {
            "/news/": {
                "file": "list.html",
                "fail": {"times": 1, "status": 429, "headers": {"Retry-After": "2"}},
            },
            path: "one.html",
        },
        {"list.html": listing_html([(path, "One")]), "one.html": page},
    )
    config = lab.config_dir()
    with FixtureServer(FixtureSite.load(tmp_path / "lab/busy")) as server:
        extra = {
            "KIZUNA_MIRRORS": f"{server.site.origin}={server.base_url}",
            "KIZUNA_OFFLINE": "1",
            "KIZUNA_CONFIG_DIR": str(config),
        }
        done = kenv.run("crawl", "busy", extra=extra)
        hits = [h for h in server.site.hits if h.path == "/news/"]
    assert done.returncode == 0, done.stderr
    assert len(hits) == 2  # the 429, then the retry
    assert hits[1].at - hits[0].at >= 2.0, "retried before Retry-After allowed"
    assert len(_export(kenv)) == 1
    assert _health(kenv)["busy"]["status"] == "ok"
