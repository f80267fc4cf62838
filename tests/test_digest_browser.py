"""The digest preview as a browser shows it: `kizuna digest --preview` output opened in
headless Chromium has a heading per commitment (¶N and its title) with the story links under
it, a <script> scraped into a headline stays text (the page has no script element and the
script never ran), and the page renders to a real screenshot."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html
from sqlalchemy.engine import Engine

from config.settings import get_settings
from kizuna.ingest import Ingestor

from conftest import Env

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs /usr/bin/chromium (Debian's chromium package; CI installs it)",
)

SCRIPT = "<script>document.body.setAttribute('data-pwned', 'yes')</script>"
STADIUM = {
    "url": "https://www.vientianetimes.org.la/stadium-reopens?a=1&b=2",
    "title": f"Japan and Laos reopen Chao Anouvong Stadium {SCRIPT}",
    "text": "The Chao Anouvong Stadium in Vientiane reopened on Saturday after reconstruction "
    "funded by Japan. Officials of Japan and Laos attended the ceremony.",
    "source": "vientiane-times",
}
UXO = {
    "url": "https://kpl.gov.la/En/Detail.aspx?id=70001",
    "title": "Japan funds UXO clearance in Xieng Khouang",
    "text": "Japan will provide new funding for unexploded ordnance (UXO) clearance in Xieng "
    "Khouang province, the Japanese Embassy in Vientiane said. The Lao UXO programme will "
    "clear 500 hectares.",
    "source": "kpl-en",
}
STUDENTS = {
    "url": "https://laotiantimes.com/ambassador-students",
    "title": "Japanese ambassador meets Lao students",
    "text": "The Japanese ambassador met Lao students in Vientiane on Tuesday to talk about "
    "life in Japan and Laos.",
    "source": "laotian-times",
}


@pytest.fixture
def preview(kenv: Env, engine: Engine, tmp_path: Path) -> Path:
    """Today's digest so far, written by `kizuna digest --preview`."""
    ingestor = Ingestor(engine, get_settings())
    for story in (STADIUM, UXO, STUDENTS):
        assert ingestor.ingest(dict(story)).status == "new"
    path = tmp_path / "preview" / "digest.html"
    result = kenv.run("digest", "--preview", str(path))
    assert result.returncode == 0, result.stderr
    assert path.exists() and path.with_suffix(".txt").exists()
    return path


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "chromium-profile"
    profile.mkdir(exist_ok=True)
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        *args,
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def headings_with_links(dom: Any) -> dict[str, list[tuple[str, str]]]:
    """h2 text -> [(link text, href)] of the list right after it."""
    found: dict[str, list[tuple[str, str]]] = {}
    for h2 in dom.iter("h2"):
        following = h2.getnext()
        links = (
            [(a.text_content(), a.get("href")) for a in following.iter("a")]
            if following is not None and following.tag == "ul"
            else []
        )
        found[" ".join(h2.text_content().split())] = links
    return found


def test_the_preview_shows_commitments_with_their_stories_and_no_script(
    preview: Path, tmp_path: Path
) -> None:
    result = chromium(tmp_path, "--dump-dom", preview.resolve().as_uri())

    dom = lxml_html.document_fromstring(result.stdout)
    sections = headings_with_links(dom)
    assert sections == {
        "¶9 UXO clearance, coordinated with other Mekong countries": [(UXO["title"], UXO["url"])],
        "¶18 Chao Anouvong Stadium reconstruction (barrier-free), disability inclusion and sport": [
            (STADIUM["title"], STADIUM["url"])
        ],
        "Other Japan–Laos news": [(STUDENTS["title"], STUDENTS["url"])],
    }
    # The commitments come in paragraph order, before the other news.
    assert [h.text_content().split()[0] for h in dom.iter("h2")] == ["¶9", "¶18", "Other"]
    # The scraped <script> is text on the page: no script element, and it never ran.
    assert dom.xpath("//script") == []
    assert dom.find("body").get("data-pwned") is None
    assert SCRIPT in dom.text_content()


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_preview_renders_to_a_screenshot(preview: Path, tmp_path: Path) -> None:
    shot = tmp_path / "digest.png"

    chromium(tmp_path, f"--screenshot={shot}", "--window-size=900,1400", preview.resolve().as_uri())

    assert shot.exists()
    assert png_size(shot) == (900, 1400)
    # A blank page compresses to a few hundred bytes; text, headings and links do not.
    assert shot.stat().st_size > 8_000
