"""Ingest: throughput, peak memory, and whether the cost per item grows with the corpus.

100,000 synthetic news items (10% syndicated copies of an earlier item) go through the real
ingest path, `Ingestor.ingest`, on a fresh SQLite file (or the PostgreSQL database named by
KIZUNA_BENCH_DATABASE_URL, which is emptied first). In one run, the cost per item is
measured on the 1,000 items after 10,000 are stored and on the 1,000 items after 100,000
are stored: near-duplicate lookup must not grow with the corpus, so their ratio must stay
at or below 1.5. The same ratio is judged without the time spent matching (a function of
the item alone), which would otherwise dilute a growing lookup. At the end, the share of
syndicated copies that joined their original's story (read from `article.story_id`) shows
whether story dedupe works.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.common import Metric, Stopwatch, fresh_store, in_child, peak_rss_mb, progress

DESCRIPTION = "synthetic news items (10% syndicated copies) through Ingestor.ingest"
# `make bench` (ten minutes in all) runs 11,000 items, checkpoints at 1,000 and 10,000 stored:
# the same tenfold growth as the full 10,000 -> 100,000 (`make bench-full`, ~30 min).
DEFAULT_SCALE = 0.1
PG_URL_VARIABLE = "KIZUNA_BENCH_DATABASE_URL"
COST_RATIO_LIMIT = 1.5  # cost per item at the large checkpoint / at the small one
# Item kinds by position in each run of CYCLE items, so every window (and slice) of 100 items
# has the same mix: 2 syndicated copies (10%), 1 Japan–Laos item (5%, the expensive kind to
# match), 1 near miss naming Japan only, 16 unrelated items.
CYCLE = 20
COPY_POSITIONS = frozenset({3, 13})
RELEVANT_POSITION = 7
NEAR_MISS_POSITION = 17
SEED = 20250121
PROGRESS_EVERY = 60.0  # seconds between progress lines
SLICES = 10  # a window's cost is the median of this many slice means (robust to hiccups)


@dataclass(frozen=True)
class Plan:
    """Ingest `small` items, time `window` more; continue to `large`, time `window` more."""

    small: int = 10_000
    large: int = 100_000
    window: int = 1_000
    seed: int = SEED

    def __post_init__(self) -> None:
        if not (self.small > 0 and self.window > 0 and self.small + self.window <= self.large):
            raise ValueError(f"bad plan {self}: need 0 < small, small + window <= large")

    @classmethod
    def scaled(cls, scale: float) -> Plan:
        """Counts times `scale`, in whole runs of 20 items (`CYCLE`), so that both windows
        see the same sequence of item kinds."""
        base = cls()

        def count(n: int) -> int:
            return max(CYCLE, round(n * scale / CYCLE) * CYCLE)

        # The timed window stays 1,000 items (10 slices of 100) while the corpus allows:
        # smaller windows are noise.
        small = count(base.small)
        window = min(base.window, small)
        return cls(small, max(small + window, count(base.large)), window)

    @property
    def total(self) -> int:
        return self.large + self.window


# ------------------------------------------------------------------ synthetic corpus

# fmt: off
PLACES = (
    "Jakarta", "Hanoi", "Bangkok", "Manila", "Kuala Lumpur", "Phnom Penh", "Yangon",
    "Singapore", "Dhaka", "Colombo", "Kathmandu", "Karachi", "Nairobi", "Accra", "Lagos",
    "Lima", "Bogota", "Quito", "Santiago", "Montevideo", "Madrid", "Lisbon", "Warsaw",
    "Prague", "Vienna", "Ottawa", "Auckland", "Perth", "Da Nang", "Chiang Mai", "Cebu",
    "Surabaya", "Penang", "Mandalay", "Siem Reap", "Hue", "Davao", "Medan", "Udon Thani",
    "Khon Kaen", "Can Tho", "Battambang", "the northern provinces", "the coastal districts",
    "the capital", "the border area", "the delta region", "the highlands",
)
ORGS = (
    "the finance ministry", "the central bank", "the transport authority", "the city council",
    "the health department", "the port operator", "the national power utility",
    "the trade commission", "a farmers' cooperative", "the energy regulator",
    "the education ministry", "the statistics office", "the water board",
    "the chamber of commerce", "a regional development bank", "the labour union",
    "the tourism board", "the agriculture ministry", "the planning commission",
    "the customs department", "the environment agency", "a provincial court",
    "the national assembly", "the airport authority", "the telecoms regulator",
)
PEOPLE = (
    "The minister", "A spokesperson", "The governor", "The chief executive",
    "An analyst at a regional bank", "The mayor", "A senior official", "The director",
    "A local resident", "The project manager", "An economist", "The committee chairman",
    "A union leader", "The head of the agency", "A researcher at the university",
)
TOPICS = (
    "rice exports", "the new bridge", "a hydropower project", "school meals", "road repairs",
    "the budget deficit", "flood defences", "a rail link", "vaccine supplies", "fuel prices",
    "tourist arrivals", "the coffee harvest", "a solar farm", "water treatment",
    "digital payments", "teacher training", "customs reform", "the airport expansion",
    "fertiliser subsidies", "mobile coverage", "the bus network", "hospital waiting lists",
    "garment orders", "the minimum wage", "rubber prices", "land titles", "the fishing ban",
    "cement output", "power cuts", "the pension fund", "bank lending", "housing permits",
    "air quality", "the dengue season", "cross-border trade", "the night market",
    "export licences", "the tax amnesty", "river dredging", "cassava yields",
)
VERBS = (
    "approve", "review", "delay", "expand", "fund", "suspend", "inspect", "announce",
    "complete", "renegotiate", "cancel", "accelerate", "audit", "subsidise", "restrict",
    "modernise", "privatise", "relaunch", "scale back", "double",
)
PAST_VERBS = ("risen", "fallen", "grown", "dropped", "recovered", "slowed", "climbed", "eased")
ADJECTIVES = (
    "overdue", "ambitious", "controversial", "popular", "costly", "modest", "unrealistic",
    "welcome", "rushed", "necessary", "unclear", "promising", "disappointing", "fragile",
)
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)
PERIODS = ("year", "quarter", "month", "two years", "decade", "season", "six months")
UNITS = ("households", "farmers", "workers", "students", "tonnes", "vehicles", "patients")
TEMPLATES = (
    "{Org} said on {day} it would {verb} {topic} in {place}.",
    "{Person} told reporters that {topic} had {past} by {pct} percent over the past {period}.",
    "The decision follows months of talks between {org} and {org2}.",
    "Officials in {place} expect {topic} to improve before {month}.",
    "According to {org}, about {num} {unit} in {place} were affected.",
    "{Person} said the plan to {verb} {topic} was {adj}.",
    "Critics argue that {topic} has been {adj} and that {org} should {verb} it.",
    "The project, worth {money}, is due to be completed in {year}.",
    "Residents of {place} have complained about {topic} for years.",
    "{Org} did not respond to a request for comment on {topic}.",
    "Analysts said {topic} could affect {topic2} in {place} next {period}.",
    "{Person} added that {org} would {verb} {topic2} if demand kept growing.",
    "Last {month}, {org} agreed to {verb} {topic} after protests in {place}.",
    "{Topic} in {place} {past2} sharply in {month}, data from {org} showed.",
    "The move is expected to cost about {money} over the next {period}.",
    "{Person} from {place} called the announcement {adj}.",
    "Talks on {topic} will resume on {day}, {org} said in a statement.",
    "Demand for {topic} has {past} since {year}, according to {org}.",
    "{Org} will hold a public hearing on {topic} in {place} on {day}.",
    "Figures released on {day} put the shortfall at {money}.",
    "Some {num} {unit} signed a petition asking {org} to {verb} {topic}.",
    "{Person} warned that {topic2} remained {adj} despite recent gains.",
    "Opposition lawmakers called the budget for {topic} {adj}.",
    "Work on {topic} stalled in {month} when contractors went unpaid.",
    "A pilot scheme in {place} will {verb} {topic} for {num} {unit}.",
    "In {year}, {org} tried to {verb} {topic2}, with {adj} results.",
    "Exporters in {place} said {topic} had {past} faster than expected.",
    "The government plans to borrow {money} to {verb} {topic}.",
    "Inspectors from {org} visited {place} twice this {period}.",
    "Prices for {topic2} {past2} by {pct} percent in the week to {day}.",
    "Donors pledged {money} for {topic} at a meeting in {place}.",
    "{Person} declined to say when {org} would {verb} {topic2}.",
    "Local media in {place} reported that {topic} was {adj}.",
    "About {pct} percent of {unit} in {place} depend on {topic2}.",
    "A report by {org} found {topic} {adj} in most districts.",
    "Shares in firms linked to {topic} {past2} on {day}.",
)
# Japan–Laos items, so some items go through matching as real relevant ones do.
RELEVANT_TEMPLATES = (
    "Japan and the Lao PDR signed a grant agreement on {rtopic} in {lplace} on {day}.",
    "The Japan International Cooperation Agency will provide {money} for {rtopic}.",
    "The Japanese ambassador to Laos said {rtopic} would benefit {num} {unit} in {lplace}.",
    "Lao officials thanked Japan for its support for {rtopic} in Vientiane.",
    "JICA experts will train Lao staff in {rtopic} from {month}.",
    "Japan has supported {rtopic} in Laos since {year}, the embassy in Vientiane said.",
)
RELEVANT_TOPICS = (
    "UXO clearance", "maternal and child health", "the Vientiane bus network",
    "water supply", "disaster risk reduction", "rice seed production", "road maintenance",
    "nursing education", "the Mekong riverbank", "electricity transmission",
    "the national mine action programme", "hospital equipment", "teacher training",
)
LAO_PLACES = ("Vientiane", "Luang Prabang", "Savannakhet", "Champasak", "Xieng Khouang")
OUTLETS = (
    ("mekong-daily", "news.mekong-daily.example", "Mekong Daily"),
    ("asia-wire", "www.asia-wire.example", "Asia Wire"),
    ("regional-times", "regionaltimes.example", "Regional Times"),
    ("delta-post", "www.delta-post.example", "Delta Post"),
    ("capital-herald", "capitalherald.example", "Capital Herald"),
    ("business-ledger", "www.business-ledger.example", "Business Ledger"),
)
SYNDICATORS = (
    ("wire-digest", "wire-digest.example", "Wire Digest"),
    ("news-aggregate", "www.news-aggregate.example", "News Aggregate"),
    ("asean-briefing", "asean-briefing.example", "ASEAN Briefing"),
    ("morning-roundup", "morning-roundup.example", "Morning Roundup"),
)
# fmt: on
WORDS = tuple(
    sorted(
        {
            w
            for group in (TOPICS, ORGS, ADJECTIVES, VERBS, PAST_VERBS, UNITS)
            for p in group
            for w in p.split()
            if w.isalpha() and len(w) > 3
        }
    )
)
START = datetime(2022, 6, 1, tzinfo=UTC)
SPAN = timedelta(days=3 * 365)


@dataclass
class Original:
    """What a syndicated copy needs of an earlier item."""

    index: int
    url: str
    title: str
    words: list[str]
    published: datetime


@dataclass
class Corpus:
    """Deterministic synthetic items; `copies` maps a copy's URL to its original's URL."""

    total: int
    seed: int = SEED
    copies: dict[str, str] = field(default_factory=dict)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        rng = random.Random(self.seed)
        recent: deque[Original] = deque(maxlen=200)  # ~2 days of originals at full size
        for index in range(self.total):
            if recent and index % CYCLE in COPY_POSITIONS:
                yield self._copy(rng, index, rng.choice(recent))
            else:
                item, original = self._original(rng, index)
                recent.append(original)
                yield item

    def _original(self, rng: random.Random, index: int) -> tuple[dict[str, Any], Original]:
        published = START + SPAN * (index / self.total) + timedelta(minutes=rng.uniform(-360, 0))
        relevant = index % CYCLE == RELEVANT_POSITION
        near_miss = index % CYCLE == NEAR_MISS_POSITION
        topic, place = rng.choice(TOPICS), rng.choice(PLACES)
        target = rng.randint(150, 400)
        style = rng.sample(TEMPLATES, 10)  # one writer's turns of phrase
        sentences: list[str] = []
        words = 0
        while words < target:
            if relevant and rng.random() < 0.3:
                sentence = self._fill(rng, rng.choice(RELEVANT_TEMPLATES))
            elif near_miss and rng.random() < 0.1:  # one party only
                sentence = (
                    f"Delegates from Japan visited {rng.choice(PLACES)} on {rng.choice(DAYS)}."
                )
            else:
                sentence = self._fill(rng, rng.choice(style), topic=topic, place=place)
            sentences.append(sentence)
            words += len(sentence.split())
        paragraphs = [" ".join(sentences[i : i + 4]) for i in range(0, len(sentences), 4)]
        title = f"{place} {rng.choice(ORGS).removeprefix('the ')} to {rng.choice(VERBS)} {topic}"
        if relevant:
            title = f"Japan to support {rng.choice(RELEVANT_TOPICS)} in {rng.choice(LAO_PLACES)}"
        key, host, _ = rng.choice(OUTLETS)
        slug = "-".join(title.lower().split()[:6]).replace("'", "")
        url = f"https://{host}/{published:%Y/%m/%d}/{slug}-{index}/"
        if rng.random() < 0.2:
            url += f"?utm_source={rng.choice(('twitter', 'facebook', 'rss'))}"
        text = "\n\n".join(paragraphs)
        item = self._item(rng, url, title[:1].upper() + title[1:], text, published, key)
        return item, Original(index, url, item["title"], text.split(" "), published)

    def _copy(self, rng: random.Random, index: int, original: Original) -> dict[str, Any]:
        key, host, outlet = rng.choice(SYNDICATORS)
        published = original.published + timedelta(minutes=rng.uniform(10, 3 * 24 * 60))
        words = [rng.choice(WORDS) if rng.random() < 0.05 else w for w in original.words]
        header = f"By {rng.choice(('staff', 'a correspondent', 'wire reporters'))}, {outlet}"
        footer = rng.choice(
            (
                f"This story first appeared elsewhere and is republished by {outlet}.",
                f"Copyright {published.year} {outlet}. All rights reserved.",
                f"Follow {outlet} for more regional news.",
            )
        )
        text = f"{header}\n\n{' '.join(words)}\n\n{footer}"
        title = original.title if rng.random() < 0.5 else f"{original.title} | {outlet}"
        url = f"https://{host}/syndicated/{published:%Y%m%d}/{index}"
        self.copies[url] = original.url
        return self._item(rng, url, title, text, published, key)

    @staticmethod
    def _item(
        rng: random.Random, url: str, title: str, text: str, published: datetime, source: str
    ) -> dict[str, Any]:
        item: dict[str, Any] = {
            "url": url,
            "title": title,
            "text": text,
            "published_at": published.astimezone(UTC).isoformat(),
            "source": source,
        }
        if rng.random() < 0.8:  # spiders set the language; imports often do not
            item["lang"] = "en"
        return item

    @staticmethod
    def _fill(rng: random.Random, template: str, **fixed: str) -> str:
        values = {
            "org": rng.choice(ORGS),
            "org2": rng.choice(ORGS),
            "Person": rng.choice(PEOPLE),
            "topic": _either(rng, fixed.get("topic"), TOPICS),
            "topic2": rng.choice(TOPICS),
            "place": _either(rng, fixed.get("place"), PLACES),
            "verb": rng.choice(VERBS),
            "past": rng.choice(PAST_VERBS),
            "past2": rng.choice(("rose", "fell", "jumped", "slipped")),
            "adj": rng.choice(ADJECTIVES),
            "day": rng.choice(DAYS),
            "month": rng.choice(MONTHS),
            "period": rng.choice(PERIODS),
            "unit": rng.choice(UNITS),
            "pct": str(rng.randint(2, 60)),
            "num": f"{rng.randint(2, 900) * 10:,}",
            "money": f"${rng.randint(2, 950)} million",
            "year": str(rng.randint(2018, 2029)),
            "rtopic": rng.choice(RELEVANT_TOPICS),
            "lplace": rng.choice(LAO_PLACES),
        }
        values["Org"] = values["org"][:1].upper() + values["org"][1:]
        values["Topic"] = values["topic"][:1].upper() + values["topic"][1:]
        return template.format(**values)


def _either(rng: random.Random, preferred: str | None, choices: tuple[str, ...]) -> str:
    """The item's own topic or place half the time (it is what the item is about)."""
    return preferred if preferred and rng.random() < 0.5 else rng.choice(choices)


# ------------------------------------------------------------------ the measurement


def run(scale: float = 1.0) -> list[Metric]:
    """The benchmark at `scale` (0.01: 1,100 items; 100 timed after 100 and 1,000 stored)."""
    plan = Plan.scaled(scale)
    _progress(
        f"{plan.total:,} items; cost per item timed on {plan.window:,} items "
        f"after {plan.small:,} and after {plan.large:,} are stored"
    )
    return in_child(measure, plan, os.environ.get(PG_URL_VARIABLE))


def measure(plan: Plan, database_url: str | None = None) -> list[Metric]:
    """Run `plan` in this process (call it through `in_child`: peak memory is the process's)."""
    with tempfile.TemporaryDirectory(prefix="kizuna-bench-") as tmp:
        return _measure(plan, database_url or f"sqlite:///{Path(tmp) / 'bench.db'}", Path(tmp))


class TimedMatcher:
    """Wraps the ingestor's matcher to time `match` (everything else passes through), so
    the cost of fingerprinting, deduplicating and storing can be told apart from the cost
    of matching, which does not depend on the corpus."""

    def __init__(self, matcher: Any) -> None:
        self._matcher = matcher
        self.watch = Stopwatch()

    def match(self, *args: Any, **kwargs: Any) -> Any:
        with self.watch:
            return self._matcher.match(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._matcher, name)


def _measure(plan: Plan, database_url: str, tmp: Path) -> list[Metric]:
    from kizuna.ingest import Ingestor

    # Instant alerts are enqueued (to a file backend), as in production.
    engine, settings = fresh_store(database_url, tmp / "var", slack_backend="file")
    ingestor = Ingestor(engine, settings)
    matcher = TimedMatcher(ingestor.matcher)
    ingestor.matcher = matcher  # type: ignore[assignment]

    corpus = Corpus(plan.total, plan.seed)
    slice_size = max(1, plan.window // SLICES)
    # Slice boundaries of both windows: the time spent so far is noted at each.
    bounds = {c + k * slice_size for c in (plan.small, plan.large) for k in range(SLICES + 1)}
    spent: dict[int, tuple[float, float]] = {}  # index -> (ingest seconds, matching seconds)
    total = Stopwatch()
    statuses: Counter[str] = Counter()
    started = reported = time.monotonic()
    for index, item in enumerate(corpus):
        if index in bounds:
            spent[index] = (total.seconds, matcher.watch.seconds)
            if index == plan.small + SLICES * slice_size:  # a figure now, in case of a crash
                _progress(
                    f"cost per item after {plan.small:,} stored: "
                    f"{_window_cost(spent, plan.small, slice_size, 0):.2f} ms, "
                    f"{_window_cost(spent, plan.small, slice_size, 1):.2f} ms without matching"
                )
        with total:
            statuses[ingestor.ingest(item).status] += 1
        if time.monotonic() - reported >= PROGRESS_EVERY:
            reported = time.monotonic()
            _progress(
                f"{index + 1:,}/{plan.total:,} items, "
                f"{(index + 1) / total.seconds:,.0f} items/s, "
                f"{time.monotonic() - started:,.0f} s"
            )
    spent[plan.total] = (total.seconds, matcher.watch.seconds)
    peak = peak_rss_mb()
    if statuses["rejected"]:
        raise RuntimeError(f"synthetic items were rejected: {dict(statuses)}")
    joined = _copies_joined(engine, corpus.copies)
    engine.dispose()
    _progress(f"done: {dict(statuses)}, {time.monotonic() - started:,.0f} s")

    def cost(checkpoint: int, part: int) -> float:
        return _window_cost(spent, checkpoint, slice_size, part)

    small, large = f"at_{plan.small}_stored", f"at_{plan.large}_stored"
    copies = len(corpus.copies)
    return [
        Metric("ingest.items_per_s", plan.total / total.seconds, "items/s"),
        Metric(f"ingest.cost_per_item_{small}", cost(plan.small, 0), "ms"),
        Metric.compared(
            f"ingest.cost_per_item_{large}",
            cost(plan.large, 0),
            "ms",
            cost(plan.small, 0),
            COST_RATIO_LIMIT,
        ),
        Metric(f"ingest.cost_excl_matching_{small}", cost(plan.small, 1), "ms"),
        Metric.compared(
            f"ingest.cost_excl_matching_{large}",
            cost(plan.large, 1),
            "ms",
            cost(plan.small, 1),
            COST_RATIO_LIMIT,
        ),
        Metric("ingest.matching_share", matcher.watch.seconds / total.seconds, "share"),
        Metric("ingest.peak_rss", peak, "MB"),
        Metric("ingest.syndicated_copies", copies, "items"),
        Metric("ingest.syndicated_recall", joined / copies if copies else 0.0, "share"),
    ]


def _window_cost(
    spent: dict[int, tuple[float, float]], checkpoint: int, slice_size: int, part: int
) -> float:
    """ms per item after `checkpoint` stored: the median of the window's slice means;
    part 0 is the whole ingest, part 1 the ingest without matching."""
    means = []
    for k in range(SLICES):
        first, last = checkpoint + k * slice_size, checkpoint + (k + 1) * slice_size
        if last in spent:
            ingest = spent[last][0] - spent[first][0]
            matching = spent[last][1] - spent[first][1]
            means.append((ingest if part == 0 else ingest - matching) / slice_size)
    return 1000 * statistics.median(means)


def _progress(message: str) -> None:
    progress("ingest", message)


def _copies_joined(engine: Any, copies: dict[str, str]) -> int:
    """How many copies share their original's story, read from `article.story_id`."""
    from sqlalchemy import bindparam, text

    from storage.urls import canonical_url

    query = text(
        "SELECT canonical_url, story_id FROM article WHERE canonical_url IN :urls"
    ).bindparams(bindparam("urls", expanding=True))
    pairs = [(canonical_url(copy), canonical_url(orig)) for copy, orig in copies.items()]
    story: dict[str, int | None] = {}
    with engine.connect() as conn:
        for start in range(0, len(pairs), 400):
            urls = sorted({u for pair in pairs[start : start + 400] for u in pair})
            story.update(conn.execute(query, {"urls": urls}).tuples().all())
    return sum(1 for c, o in pairs if story.get(c) is not None and story.get(c) == story.get(o))
