"""Alert delivery end to end, through real `kizuna` child processes: a crawl of the KPL
fixture site or an imported JSON Lines file, then `kizuna alerts flush` to a real webhook
receiver and `kizuna digest --send` to a real SMTP server on 127.0.0.1.

What a reader of the alerts must be able to rely on:
- one Slack post per new matched story, naming its commitment paragraphs (¶N) and linking
  the story's title;
- syndicated copies of a story never cause a second post; a copy that arrived before the
  post was sent is named in it ("also reported by");
- crawling or importing the same items again sends nothing;
- the daily digest is one multipart mail, grouped under commitment headings in paragraph
  order, scraped text escaped in HTML and as written in plain text, sent once only;
- a delivery that fails stays queued and visible in `kizuna alerts list` with its error,
  and the webhook URL (a secret) is never printed or stored.
"""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from alerts.digest import DEFAULT_TIME, latest_closed_day
from config.registry import load_commitments
from kizuna import export as exporter
from kizuna.fixture_server import DEMO_SITES
from storage.db import session_scope
from storage.models import Story

from alerting import WEBHOOK_PATH, Receiver, free_port, outbox_rows, smtp_server, wait_for
from conftest import REPO, Env, mirrors_for, ok

TOKEN = "SECRETTOKEN123"
assert TOKEN in WEBHOOK_PATH
VIENTIANE = ZoneInfo("Asia/Vientiane")
SCRIPT = "<script>alert(1)</script>"
REPORT = re.compile(r"sent (\d+), retrying later (\d+), failed (\d+), held back (\d+)")


# ---------------------------------------------------------------- items


def local_day(days_ago: int = 0) -> str:
    return (datetime.now(VIENTIANE).date() - timedelta(days=days_ago)).isoformat()


def item(key: str, title: str, text: str, *, source: str = "example-news", **more: str) -> dict:
    """A news item published today (recent enough for an instant alert)."""
    return {
        "url": f"https://example.org/news/{key}",
        "title": title,
        "text": text,
        "source": source,
        "published_at": local_day(),
        **more,
    }


STADIUM = item(
    "stadium",
    f"Japan and Laos reopen Chao Anouvong Stadium {SCRIPT}",
    "The Chao Anouvong Stadium in Vientiane reopened on Saturday after reconstruction funded "
    "by Japan. Officials of Japan and Laos attended the ceremony.",
)  # ¶18
VICE_MINISTERS = item(
    "vice-ministers",
    "Laos and Japan hold first vice-ministerial consultation",
    "Laos and Japan held their first Foreign Vice-Ministerial Consultation in Vientiane on "
    "Wednesday, co-chaired by a Lao Deputy Minister of Foreign Affairs and the Japanese "
    "Vice-Minister for Foreign Affairs.",
)  # ¶1
UXO = item(
    "uxo",
    "Japan provides grant for UXO clearance in Xieng Khouang",
    "The Government of Japan will provide a grant of about 410 million yen to support the "
    "clearance of unexploded ordnance (UXO) across farmland in Xieng Khouang Province, under "
    "an agreement signed in Vientiane on Wednesday.",
)  # ¶9
FILM = item(
    "film",
    "Japanese film festival opens in Vientiane",
    "A Japanese film festival opened at a cinema in Vientiane on Friday, showing eight recent "
    "Japanese films with Lao subtitles. The Embassy of Japan said the festival celebrates "
    "friendship between Japan and Laos.",
)  # Japan–Laos news, no commitment
RAILWAY = item(
    "railway-freight",
    "Laos-China Railway freight volume rises",
    "The Laos-China Railway carried more cargo in Laos this quarter, Chinese and Lao "
    "officials said in Vientiane.",
)  # not about Japan and Laos

WIRE = (
    "Japan and the Lao government signed an exchange of notes on Monday for a grant of "
    "1.2 billion yen to expand the Chinaimo water treatment plant in Vientiane. The project "
    "will raise the capital's daily supply by 40,000 cubic metres and serve about 200,000 "
    "residents in Sikhottabong and Xaysettha districts. The notes were signed by Deputy "
    "Minister of Foreign Affairs Phoxay Khaykhamphithoune and Japanese Ambassador Kenichi "
    "Kobayashi. Construction by a Japanese contractor is expected to start next year and to "
    "take about three years, the Nam Papa Nakhone Luang state enterprise said."
)
WATER = item(
    "water",
    "Japan grants 1.2 billion yen for Vientiane water supply",
    WIRE,
    source="kpl-en",
    url="https://kpl.gov.la/En/Detail.aspx?id=91001",
)  # ¶4


def syndicated_copy(original: dict, *, source: str, url: str) -> dict:
    """The same story republished by another outlet: its own URL and headline, the agency
    text lightly edited (dateline, a phrase changed, credit line)."""
    text = (
        f"VIENTIANE ({source}) -- "
        + original["text"]
        .replace("on Monday", "this week")
        .replace("on Wednesday", "this week")
        .replace("about three years", "three years")
        + " (KPL)"
    )
    return dict(original, url=url, source=source, text=text, title=f"{original['title']} (KPL)")


WATER_COPY = syndicated_copy(
    WATER,
    source="vientiane-times",
    url="https://www.vientianetimes.org.la/freeContent/FreeConten_Water_45.php",
)


def write_jsonl(path: Path, items: list[dict]) -> Path:
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items))
    return path


# ---------------------------------------------------------------- running kizuna


def ingest(kenv: Env, path: Path) -> str:
    return ok(kenv.run("ingest", str(path))).stdout


class Flushed(NamedTuple):
    sent: int
    retrying: int
    failed: int
    held_back: int


def flush(kenv: Env) -> Flushed:
    """`kizuna alerts flush`, as its report line counted."""
    out = ok(kenv.run("alerts", "flush")).stdout
    found = REPORT.search(out)
    assert found, out
    return Flushed(*(int(n) for n in found.groups()))


def export(engine: Engine, kind: str) -> list[dict[str, Any]]:
    """What `kizuna export KIND` would print, read in-process (a child costs seconds)."""
    produce, _ = exporter.EXPORTS[kind]
    with Session(engine) as session:
        return list(produce(session, None))


def matched_stories(engine: Engine) -> dict[int, dict[str, Any]]:
    """story id -> its first article (url, title, commitment paragraphs), for every story with
    a commitment matched at the `match` tier (the default Slack route's threshold)."""
    found: dict[int, dict[str, Any]] = {}
    for a in export(engine, "articles"):
        if a["commitments"] and a["story_id"] not in found:
            found[a["story_id"]] = {
                "url": a["url"],
                "title": a["title"],
                "paragraphs": {c["paragraph"] for c in a["commitments"]},
            }
    return found


# ---------------------------------------------------------------- reading Slack posts


def unescape_mrkdwn(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def mrkdwn_texts(post: dict[str, Any]) -> list[str]:
    texts: list[str] = []
    for block in post["blocks"]:
        if block["type"] == "section":
            texts.append(block["text"]["text"])
        elif block["type"] == "context":
            texts.extend(e["text"] for e in block["elements"])
    return texts


def headline_link(post: dict[str, Any]) -> tuple[str, str]:
    """(url, title) of the post's linked headline, as the reader sees them."""
    links = [m for t in mrkdwn_texts(post) for m in re.findall(r"<([^|<>]+)\|([^<>]*)>", t)]
    assert len(links) == 1, links
    url, label = links[0]
    return url, unescape_mrkdwn(label)


def header_paragraphs(post: dict[str, Any]) -> set[int]:
    (header,) = [b for b in post["blocks"] if b["type"] == "header"]
    return {int(n) for n in re.findall(r"¶(\d+)", header["text"]["text"])}


def source_line(post: dict[str, Any]) -> str:
    context = [b for b in post["blocks"] if b["type"] == "context"]
    assert context, post
    return " ".join(e["text"] for e in context[-1]["elements"])


def post_for(receiver: Receiver, url: str) -> dict[str, Any]:
    (post,) = [p for p in receiver.delivered if headline_link(p)[0] == url]
    return post


# ---------------------------------------------------------------- fixtures


def slack_vars(webhook_url: str) -> dict[str, str]:
    return {
        "KIZUNA_SLACK_WEBHOOK_URL": webhook_url,
        "KIZUNA_SLACK_MIN_INTERVAL": "0",
        "KIZUNA_ALERT_RETRY_BASE": "0.2",
        "KIZUNA_ALERT_RETRY_CAP": "0.5",
    }


@pytest.fixture
def slack(kenv: Env, receiver: Receiver) -> Env:
    """`kizuna` children that post to the receiver."""
    kenv.vars.update(slack_vars(receiver.url))
    return kenv


# ---------------------------------------------------------------- one post per story


def test_crawl_posts_each_matched_story_once_and_crawling_again_posts_nothing(
    slack: Env, engine: Engine, receiver: Receiver, kpl_site: object
) -> None:
    # The fixture articles are dated 2025: let them alert instantly anyway.
    slack.vars.update(
        KIZUNA_MIRRORS=mirrors_for(kpl_site), KIZUNA_OFFLINE="1", KIZUNA_BACKFILL_DAYS="100000"
    )
    ok(slack.run("crawl", "kpl-en"))
    stories = matched_stories(engine)
    assert len(stories) >= 7

    sent, retrying, failed, _ = flush(slack)

    assert (sent, retrying, failed) == (len(stories), 0, 0)
    assert len(receiver.posts) == len(receiver.delivered) == len(stories)
    posted = {headline_link(p)[0]: p for p in receiver.delivered}
    assert len(posted) == len(stories)  # no story posted twice
    for story in stories.values():
        post = posted[story["url"]]
        assert headline_link(post) == (story["url"], story["title"])
        assert header_paragraphs(post) == story["paragraphs"]
    # Every hand-labelled commitment story of the fixture site is among them, under its ¶.
    expected = yaml.safe_load((DEMO_SITES / "kpl" / "expected.yaml").read_text("utf-8"))
    labelled = [i for i in expected["items"] if i["commitments"]]
    assert len(labelled) == 7
    for i in labelled:
        assert set(i["commitments"]) <= header_paragraphs(posted[i["url"]]), i["url"]
    assert "https://kpl.gov.la/En/Detail.aspx?id=89210" not in posted  # the railway story

    # Crawling again finds the same stories: nothing new to send.
    ok(slack.run("crawl", "kpl-en"))
    assert flush(slack) == (0, 0, 0, 0)
    assert len(receiver.posts) == len(stories)


def test_imported_stories_are_posted_once_and_later_copies_or_reimports_send_nothing(
    slack: Env, engine: Engine, receiver: Receiver, tmp_path: Path
) -> None:
    batch = [STADIUM, VICE_MINISTERS, UXO, FILM, RAILWAY, WATER]
    assert "4 alerts queued" in ingest(slack, write_jsonl(tmp_path / "day1.jsonl", batch))

    assert flush(slack) == (4, 0, 0, 0)

    assert len(receiver.posts) == 4
    for news, paragraph in ((STADIUM, 18), (VICE_MINISTERS, 1), (UXO, 9), (WATER, 4)):
        post = post_for(receiver, news["url"])
        assert headline_link(post) == (news["url"], news["title"])
        assert header_paragraphs(post) == {paragraph}
        assert "also reported by" not in source_line(post)
    # The scraped <script> is shown as text in Slack, never as markup.
    assert SCRIPT not in json.dumps(post_for(receiver, STADIUM["url"])["blocks"])

    # The next day: the same items again, and another outlet's copy of the water story.
    again = ingest(slack, write_jsonl(tmp_path / "day2.jsonl", [*batch, WATER_COPY]))
    assert "new 1, duplicate 6" in again and "0 alerts queued" in again
    (water,) = [s for s in export(engine, "stories") if s["lead_url"] == WATER["url"]]
    assert water["article_count"] == 2  # the copy joined the story...

    assert flush(slack) == (0, 0, 0, 0)  # ...and nothing is posted again
    assert len(receiver.posts) == 4


def test_a_copy_arriving_before_the_post_is_named_in_the_single_post(
    slack: Env, engine: Engine, receiver: Receiver, tmp_path: Path
) -> None:
    ingest(slack, write_jsonl(tmp_path / "wire.jsonl", [WATER, WATER_COPY]))
    (story,) = export(engine, "stories")
    assert story["article_count"] == 2

    assert flush(slack).sent == 1

    (post,) = receiver.posts
    assert headline_link(post) == (WATER["url"], WATER["title"])
    assert header_paragraphs(post) == {4}
    assert "kpl-en · also reported by vientiane-times" in source_line(post)


# ---------------------------------------------------------------- the digest


def backdate_stories(engine: Engine, by: timedelta) -> None:
    """Move every story's first sighting back, into an earlier (closed) digest window."""
    with session_scope(engine) as session:
        for story in session.exec(select(Story)).all():
            story.created_at = story.created_at - by
            session.add(story)


def paragraph_title(paragraph: int) -> str:
    catalogue = load_commitments(REPO / "config")
    (c,) = [c for c in catalogue.commitments if c.paragraph == paragraph]
    return c.title


def html_headings(page: str) -> list[str]:
    return [html.unescape(h).strip() for h in re.findall(r"<h2[^>]*>(.*?)</h2>", page, re.S)]


def html_section(page: str, heading_start: str) -> str:
    """The HTML from the heading that starts with `heading_start` to the next heading."""
    start = page.index(f">{heading_start}")
    end = page.find("<h2", start)
    return page[start : end if end != -1 else len(page)]


def test_digest_is_one_escaped_multipart_mail_grouped_by_commitment_and_sent_once(
    kenv: Env, engine: Engine, tmp_path: Path
) -> None:
    # Ingested in no particular order; published yesterday, first seen a day ago.
    items = [dict(i, published_at=local_day(1)) for i in (STADIUM, FILM, UXO, RAILWAY)]
    items.append(dict(VICE_MINISTERS, published_at=local_day(1)))
    ingest(kenv, write_jsonl(tmp_path / "day.jsonl", items))
    backdate_stories(engine, timedelta(days=1))

    with smtp_server() as smtp:
        kenv.vars.update(smtp.env())
        kenv.vars["KIZUNA_DIGEST_TO"] = "desk@example.org, embassy@example.org"
        before = latest_closed_day(datetime.now(UTC), DEFAULT_TIME, VIENTIANE)
        first = ok(kenv.run("digest", "--send"))
        after = latest_closed_day(datetime.now(UTC), DEFAULT_TIME, VIENTIANE)

        assert len(smtp.mails) == 1, first.stdout
        assert "sent 1," in first.stdout
        mail = smtp.mails[0]
        again = ok(kenv.run("digest", "--send"))
        assert "sent 0," in again.stdout
        assert len(smtp.mails) == 1

    message = mail.message
    subject_day = re.search(r"Kizuna digest (\d{4}-\d\d-\d\d)", mail.subject)
    assert subject_day, mail.subject
    day = date.fromisoformat(subject_day[1])
    assert day in (before, after)
    assert sorted(mail.recipients) == ["desk@example.org", "embassy@example.org"]
    assert message["Message-ID"] == f"<email-digest.digest.{day.isoformat()}@example.org>"
    sent_at = parsedate_to_datetime(str(message["Date"]))
    assert abs(sent_at - datetime.now(UTC)) < timedelta(hours=1)
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert "4 Japan–Laos stories, 3 commitments moved" in mail.subject

    page, text = mail.part("html"), mail.part("plain")
    assert html_headings(page) == [
        f"¶1 {paragraph_title(1)}",
        f"¶9 {paragraph_title(9)}",
        f"¶18 {paragraph_title(18)}",
        "Other Japan–Laos news",
    ]
    escaped_title = html.escape(STADIUM["title"], quote=False)
    assert escaped_title in html_section(page, "¶18 ")
    assert VICE_MINISTERS["title"] in html_section(page, "¶1 ")
    assert UXO["title"] in html_section(page, "¶9 ")
    assert FILM["title"] in html_section(page, "Other Japan")
    assert "<script" not in page.lower()  # no element from scraped text
    assert RAILWAY["title"] not in page and RAILWAY["title"] not in text

    # Plain text is not HTML: the title is shown as written, under its heading.
    stadium_at = text.index(STADIUM["title"])
    assert text.rindex("== ¶", 0, stadium_at) == text.index(f"== ¶18 {paragraph_title(18)} ==")
    assert "&lt;" not in text
    order = [text.index(f"== ¶{n} ") for n in (1, 9, 18)] + [text.index("== Other Japan")]
    assert order == sorted(order)


# ---------------------------------------------------------------- failures, secrets


def alerts_list(kenv: Env) -> str:
    done = ok(kenv.run("alerts", "list"))
    return done.stdout + done.stderr


def assert_secret_absent(*texts: str | None) -> None:
    for t in texts:
        assert TOKEN not in (t or ""), t


def test_unreachable_webhook_keeps_the_alert_listed_until_it_is_delivered_once(
    kenv: Env, engine: Engine, receiver: Receiver, tmp_path: Path
) -> None:
    down = f"http://127.0.0.1:{free_port()}{WEBHOOK_PATH}"  # nothing listens there
    kenv.vars.update(slack_vars(down))
    ingest(kenv, write_jsonl(tmp_path / "one.jsonl", [STADIUM]))

    failing = ok(kenv.run("alerts", "flush"))

    assert "sent 0, retrying later 1, failed 0" in failing.stdout
    (row,) = outbox_rows(engine)
    assert (row.route, row.status, row.attempts) == ("slack-instant", "pending", 1)
    assert row.last_error is not None and "unreachable" in row.last_error
    listing = alerts_list(kenv)
    (line,) = [ln for ln in listing.splitlines() if ln.startswith(f"│ {row.id} ")]
    cells = [c.strip() for c in line.split("│")[1:-1]]
    assert cells[1:5] == ["slack-instant", "instant", "pending", "1"]
    assert "Chao Anouvong Stadium" in cells[6]
    assert "Slack webhook" in cells[7] and "unreachable" in listing
    assert_secret_absent(failing.stdout, failing.stderr, listing, row.last_error)

    # The operator fixes the webhook URL: the queued alert goes out, once.
    kenv.vars["KIZUNA_SLACK_WEBHOOK_URL"] = receiver.url
    assert wait_for(lambda: flush(kenv).sent == 1, timeout=15, step=0.2)
    assert len(receiver.posts) == 1
    assert headline_link(receiver.posts[0]) == (STADIUM["url"], STADIUM["title"])
    (row,) = outbox_rows(engine)
    assert row.status == "sent"
    assert "Alerts (open): 0" in alerts_list(kenv)


def test_error_reply_echoing_the_webhook_path_does_not_leak_the_token(
    slack: Env, engine: Engine, receiver: Receiver, tmp_path: Path
) -> None:
    """A proxy in front of Slack whose error page names the request it failed."""
    receiver.status, receiver.body = 503, f"no upstream for POST {WEBHOOK_PATH}".encode()
    ingest(slack, write_jsonl(tmp_path / "one.jsonl", [STADIUM]))

    failing = ok(slack.run("alerts", "flush"))

    assert "sent 0, retrying later 1" in failing.stdout
    (row,) = outbox_rows(engine)
    assert row.status == "pending" and row.last_error and "503" in row.last_error
    listing = alerts_list(slack)
    assert "pending" in listing and "503" in listing
    assert_secret_absent(failing.stdout, failing.stderr, listing, row.last_error)
