"""`kizuna demo`: the whole loop offline, twice, as a newcomer would run it."""

from __future__ import annotations

import json
from email import message_from_bytes, policy

from conftest import Env
from sites import canonicalizer, expected_items, sources


def test_demo_twice_stores_nothing_twice(kenv: Env) -> None:
    first = kenv.run("demo")
    assert first.returncode == 0, first.stderr
    demo = kenv.cwd / "var" / "demo"
    for name in ("digest.html", "digest.txt", "slack.jsonl"):
        assert (demo / name).stat().st_size > 0, name
    assert "pages fetched" in first.stdout and "var/demo/digest.html" in first.stdout
    messages = [json.loads(line) for line in (demo / "slack.jsonl").read_text().splitlines()]
    assert messages and all(m["blocks"] and m["text"] for m in messages)
    assert any("Chao Anouvong" in m["text"] for m in messages)
    assert not any("Railway" in m["text"] for m in messages)  # a hard negative never alerts
    digest = (demo / "digest.txt").read_text()
    assert "¶18" in digest and "Chao Anouvong Stadium" in digest
    mail = message_from_bytes((demo / "digest.eml").read_bytes(), policy=policy.default)
    assert mail["Message-ID"] and mail["Date"] and "Kizuna digest" in mail["Subject"]
    html = mail.get_body(preferencelist=("html",))
    assert html is not None and "Chao Anouvong Stadium" in html.get_content()

    second = kenv.run("demo")
    assert second.returncode == 0, second.stderr
    assert "already stored" in second.stdout and "nothing was stored twice" in second.stdout
    assert (demo / "slack.jsonl").read_text().splitlines() == [
        json.dumps(m, ensure_ascii=False) for m in messages
    ]
    exported = [json.loads(line) for line in kenv.run("export", "articles").stdout.splitlines()]
    # Every source's expected items, each once (an article in two entries of a source too).
    assert {a["canonical_url"] for a in exported} == {
        canonicalizer()(i["url"]) for i in expected_items()
    }
    assert len(exported) == len({canonicalizer()(i["url"]) for i in expected_items()})
    assert {a["source"] for a in exported} == {k for k, s in sources().items() if s.enabled}
    table = first.stdout
    for key, source in sources().items():
        if source.enabled:
            row = next(line for line in table.splitlines() if line.startswith(f"│ {key} "))
            assert "│ ok " in row, row
    listing = kenv.run("commitments")
    assert listing.returncode == 0 and "csp2025-18" in listing.stdout
