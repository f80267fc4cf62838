"""Matching: items per second of the matcher against a plain scan of its aliases with `re`.

10,000 synthetic items, half English, 30% Japanese, 20% Lao, go through `Matcher.match` as
the ingest path calls it (the matcher built from config/commitments.yaml). A few items are
about Japan–Laos cooperation and name commitment terms; a few more name Japan only; most
are unrelated news. The baseline is the simplest way to look for the same terms: for each
item, `re.search` of every alias and rule term of every commitment, escaped, ignoring case
(patterns compiled outside the timed region). The ratio matcher / plain scan must stay at
or above 0.25. The plain scan is timed on every 21st item (21 is prime to the 10-item
language cycle, so the sample keeps the language mix): scanning all 10,000 would take minutes.
Also reported: `matching.matches`, the items with at least one commitment hit (`match` or
`possible`), and `matching.relevant`, the items judged to be about Japan–Laos relations.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING

from benchmarks.common import REPO, Metric, in_child, progress, timed

if TYPE_CHECKING:
    from matching.matcher import Matcher

DESCRIPTION = "Matcher.match on English, Japanese and Lao items vs a plain `re` scan of its aliases"
ITEMS = 10_000
FLOOR = 0.25  # smallest acceptable matcher / plain-scan ratio
BASELINE_STEP = 21  # the plain scan is timed on items 0, 21, 42, ...
SEED = 20250121
# The language of item i is LANGUAGES[i % 10]: 50% English, 30% Japanese, 20% Lao.
LANGUAGES = ("en", "ja", "en", "lo", "en", "ja", "en", "lo", "en", "ja")
# Within each language, by position in each run of 10 items: one item about Japan–Laos
# cooperation, one that names Japan only; the rest are unrelated.
RELEVANT_POSITION = 3
NEAR_MISS_POSITION = 8


@dataclass(frozen=True)
class Item:
    title: str
    text: str
    lang: str


# ------------------------------------------------------------------ Japanese items

# fmt: off
JA_PLACES = (
    "ハノイ", "バンコク", "ジャカルタ", "マニラ", "プノンペン", "ヤンゴン", "シンガポール",
    "クアラルンプール", "ダッカ", "コロンボ", "大阪", "名古屋", "福岡", "札幌", "仙台", "広島",
    "北部地域", "沿岸部", "首都圏", "山間部", "県南部", "湾岸地区",
)
JA_ORGS = (
    "財務省", "中央銀行", "国土交通省", "市議会", "厚生労働省", "港湾当局", "電力会社",
    "商工会議所", "農業協同組合", "統計局", "教育委員会", "県庁", "労働組合", "観光協会",
    "環境省", "地方裁判所", "規制当局", "水道局", "開発銀行", "空港会社",
)
JA_PEOPLE = (
    "担当大臣", "報道官", "知事", "社長", "地元銀行のアナリスト", "市長", "政府高官", "局長",
    "地元の住民", "経済学者", "委員長", "組合の代表", "大学の研究者",
)
JA_TOPICS = (
    "米の輸出", "新しい橋の建設", "鉄道の延伸", "学校給食", "道路の補修", "財政赤字",
    "ワクチンの供給", "燃料価格", "観光客数", "コーヒーの収穫", "太陽光発電所", "浄水施設",
    "電子決済", "最低賃金", "年金基金", "住宅の許可", "大気汚染", "港の拡張", "バス路線",
    "肥料の補助金", "携帯電話の通信網", "病院の待ち時間", "縫製業の受注", "ゴム価格",
    "土地の権利", "セメントの生産", "停電", "銀行の貸し出し", "夜市", "輸出許可",
)
JA_VERBS = (
    "承認する", "見直す", "延期する", "拡大する", "中止する", "発表する", "前倒しする",
    "縮小する", "民営化する", "再開する", "監査する", "倍増する",
)
JA_ADJECTIVES = (
    "遅すぎる", "野心的だ", "評価できる", "費用がかかりすぎる", "控えめだ", "非現実的だ",
    "必要だ", "不透明だ", "有望だ", "期待外れだ", "拙速だ",
)
JA_CHANGES = ("増加", "減少", "回復", "低下", "上昇")
JA_UNITS = ("世帯", "農家", "労働者", "学生", "患者", "利用者")
JA_TEMPLATES = (
    "{org}は{day}日、{place}で{topic}を{verb}と発表した。",
    "{person}によると、{topic}は過去{period}で{pct}%{change}した。",
    "{place}の住民は長年、{topic}に不満を訴えてきた。",
    "{org}は{month}月までに{topic}が改善すると見込んでいる。",
    "事業費は約{money}億円で、{year}年の完成を予定している。",
    "{person}は、{topic}の計画について「{adj}」と述べた。",
    "{org}と{org2}の協議は数か月に及んだ。",
    "{place}では約{num}の{unit}が影響を受けたという。",
    "専門家は、{topic}が{place}の{topic2}にも影響すると指摘している。",
    "{org}は取材に対し、{topic}についてのコメントを控えた。",
    "{person}は、需要が伸び続ければ{org}が{topic2}を{verb}だろうと付け加えた。",
    "{month}月の統計では、{topic}が前年同月比で{pct}%{change}した。",
    "{org}は{day}日、{topic}に関する公聴会を{place}で開く。",
    "野党は{topic}の予算を「{adj}」と批判した。",
    "{place}での試験事業では、{num}の{unit}を対象に{topic}を{verb}。",
    "地元紙によると、{place}の{topic}は{adj}という。",
)
JA_RELEVANT_TEMPLATES = (
    "日本政府はラオスの{rtopic}を支援するため、約{money}億円の無償資金協力を実施する。",
    "JICAは{lplace}で{rtopic}に関する技術協力プロジェクトを開始した。",
    "在ラオス日本国大使館は{lplace}で{rtopic}の贈与契約署名式を行った。",
    "ラオス政府は、日本による{rtopic}への支援に謝意を表した。",
    "日・ラオス首脳会談で、両首脳は{rtopic}の分野で協力を強化することで一致した。",
    "日本は{year}年からラオスの{rtopic}を支援している。",
)
JA_RELEVANT_TOPICS = (
    "不発弾処理", "防災", "水力発電", "日本語教育", "母子保健", "公的債務管理",
    "東西経済回廊の橋梁改修", "法整備支援", "青年海外協力隊の派遣", "送電網の整備",
    "地雷除去", "学校建設", "洪水予測", "脱炭素",
)
JA_LAO_PLACES = ("ビエンチャン", "ルアンパバーン", "サバナケット", "チャンパサック", "アッタプー")
# fmt: on


def _ja_fill(rng: random.Random, template: str, topic: str, place: str) -> str:
    return template.format(
        org=rng.choice(JA_ORGS),
        org2=rng.choice(JA_ORGS),
        person=rng.choice(JA_PEOPLE),
        topic=topic if rng.random() < 0.5 else rng.choice(JA_TOPICS),
        topic2=rng.choice(JA_TOPICS),
        place=place if rng.random() < 0.5 else rng.choice(JA_PLACES),
        verb=rng.choice(JA_VERBS),
        adj=rng.choice(JA_ADJECTIVES),
        change=rng.choice(JA_CHANGES),
        unit=rng.choice(JA_UNITS),
        day=rng.randint(1, 28),
        month=rng.randint(1, 12),
        period=rng.choice(("1年", "半年", "3か月", "10年")),
        pct=rng.randint(2, 60),
        num=f"{rng.randint(2, 900) * 10:,}",
        money=rng.randint(2, 950),
        year=rng.randint(2018, 2029),
        rtopic=rng.choice(JA_RELEVANT_TOPICS),
        lplace=rng.choice(JA_LAO_PLACES),
    )


def japanese_item(rng: random.Random, kind: str) -> Item:
    """A Japanese news item of 250 to 700 characters; `kind` is relevant, near_miss or other."""
    topic, place = rng.choice(JA_TOPICS), rng.choice(JA_PLACES)
    style = rng.sample(JA_TEMPLATES, 8)
    target = rng.randint(250, 700)
    sentences: list[str] = []
    while sum(map(len, sentences)) < target:
        if kind == "relevant" and rng.random() < 0.35:
            template = rng.choice(JA_RELEVANT_TEMPLATES)
        elif kind == "near_miss" and rng.random() < 0.15:
            template = "日本の代表団は{day}日、{place}を訪問した。"
        else:
            template = rng.choice(style)
        sentences.append(_ja_fill(rng, template, topic, place))
    org, verb = rng.choice(JA_ORGS), rng.choice(JA_VERBS).removesuffix("する")
    title = f"{place}の{topic}、{org}が{verb}へ"
    if kind == "relevant":
        title = f"日本、{rng.choice(JA_LAO_PLACES)}の{rng.choice(JA_RELEVANT_TOPICS)}を支援"
    paragraphs = ["".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3)]
    return Item(title, "\n".join(paragraphs), "ja")


# ------------------------------------------------------------------ Lao items

# fmt: off
LO_PLACES = (
    "ບາງກອກ", "ຮ່າໂນ້ຍ", "ພະນົມເປັນ", "ຈາກາຕາ", "ມະນີລາ", "ສິງກະໂປ", "ກົວລາລຳເປີ",
    "ເຂດຊົນນະບົດ", "ເຂດພູດອຍ", "ເຂດຊາຍແດນ", "ເຂດຕົວເມືອງ", "ແຂວງພາກເໜືອ", "ແຂວງພາກໃຕ້",
)
LO_ORGS = (
    "ກະຊວງການເງິນ", "ກະຊວງສາທາລະນະສຸກ", "ກະຊວງສຶກສາທິການ ແລະ ກິລາ",
    "ກະຊວງກະສິກຳ ແລະ ປ່າໄມ້", "ກະຊວງພະລັງງານ ແລະ ບໍ່ແຮ່", "ກະຊວງອຸດສາຫະກຳ ແລະ ການຄ້າ",
    "ອົງການປົກຄອງແຂວງ", "ສະພາການຄ້າ ແລະ ອຸດສາຫະກຳແຫ່ງຊາດ", "ທະນາຄານພັດທະນາ",
    "ສະຫະພັນກຳມະບານ", "ກົມສະຖິຕິ", "ຫ້ອງການທ່ອງທ່ຽວ",
)
LO_PEOPLE = (
    "ທ່ານລັດຖະມົນຕີ", "ໂຄສົກ", "ທ່ານເຈົ້າແຂວງ", "ຜູ້ອຳນວຍການ", "ນັກເສດຖະສາດ", "ຊາວບ້ານ",
    "ເຈົ້າໜ້າທີ່ອາວຸໂສ", "ຫົວໜ້າໂຄງການ",
)
LO_TOPICS = (
    "ການສົ່ງອອກເຂົ້າ", "ຂົວແຫ່ງໃໝ່", "ການສ້ອມແປງຖະໜົນ", "ລາຄານ້ຳມັນ", "ການປູກກາເຟ",
    "ການສະໜອງນ້ຳສະອາດ", "ອັດຕາເງິນເຟີ້", "ການຊຳລະເງິນດິຈິຕອນ", "ຄ່າແຮງງານຂັ້ນຕ່ຳ",
    "ລາຄາຢາງພາລາ", "ທາງລົດໄຟ", "ຕະຫຼາດກາງຄືນ", "ການປູກມັນຕົ້ນ", "ລາຄາຜັກ", "ການລ້ຽງງົວ",
)
LO_VERBS = (
    "ອະນຸມັດ", "ທົບທວນ", "ເລື່ອນ", "ຂະຫຍາຍ", "ໂຈະ", "ກວດກາ", "ປະກາດ", "ສຳເລັດ", "ຍົກເລີກ",
    "ເລັ່ງ",
)
LO_DAYS = ("ຈັນ", "ອັງຄານ", "ພຸດ", "ພະຫັດ", "ສຸກ", "ເສົາ", "ອາທິດ")
LO_MONTHS = (
    "ມັງກອນ", "ກຸມພາ", "ມີນາ", "ເມສາ", "ພຶດສະພາ", "ມິຖຸນາ", "ກໍລະກົດ", "ສິງຫາ", "ກັນຍາ",
    "ຕຸລາ", "ພະຈິກ", "ທັນວາ",
)
LO_UNITS = ("ຄອບຄົວ", "ຊາວກະສິກອນ", "ກຳມະກອນ", "ນັກຮຽນ", "ຄົນເຈັບ")
LO_TEMPLATES = (
    "{org} ໄດ້{verb}{topic} ຢູ່ {place} ໃນວັນ{day}.",
    "{person} ກ່າວວ່າ {topic} ໄດ້ເພີ່ມຂຶ້ນ {pct} ສ່ວນຮ້ອຍ ໃນປີຜ່ານມາ.",
    "ປະຊາຊົນຢູ່ {place} ໄດ້ຮ້ອງຮຽນກ່ຽວກັບ{topic} ມາຫຼາຍປີແລ້ວ.",
    "ໂຄງການດັ່ງກ່າວ ມີມູນຄ່າ {money} ລ້ານໂດລາ ແລະ ຄາດວ່າຈະສຳເລັດໃນປີ {year}.",
    "{org} ຄາດວ່າ {topic} ຈະດີຂຶ້ນ ກ່ອນເດືອນ{month}.",
    "ມີ{unit}ປະມານ {num} ຄົນ ໄດ້ຮັບຜົນກະທົບ ຢູ່ {place}.",
    "{person} ເນັ້ນວ່າ {topic2} ຍັງເປັນບັນຫາທີ່ຕ້ອງແກ້ໄຂ.",
    "ການປຶກສາຫາລືລະຫວ່າງ {org} ແລະ {org2} ໃຊ້ເວລາຫຼາຍເດືອນ.",
    "ນັກວິເຄາະເຫັນວ່າ {topic} ອາດສົ່ງຜົນຕໍ່{topic2} ໃນ{place}.",
    "{org} ຈະຈັດກອງປະຊຸມກ່ຽວກັບ{topic} ໃນວັນ{day} ໜ້າ.",
    "ເດືອນ{month} ຜ່ານມາ {org} ໄດ້ຕົກລົງ{verb}{topic2}.",
    "{person} ຈາກ {place} ກ່າວວ່າ ແຜນການນີ້ ມີຄວາມຈຳເປັນ.",
)
LO_RELEVANT_TEMPLATES = (
    "ລັດຖະບານຍີ່ປຸ່ນ ໄດ້ໃຫ້ການຊ່ວຍເຫຼືອລ້າ {money} ລ້ານເຢນ ເພື່ອ{rtopic} ຢູ່ {lplace}.",
    "ອົງການໄຈກາ ຈະສົ່ງຊ່ຽວຊານມາຊ່ວຍ{rtopic} ຢູ່ແຂວງ{lplace}.",
    "ເອກອັກຄະລັດຖະທູດຍີ່ປຸ່ນ ປະຈຳ ສປປ ລາວ ໄດ້ລົງນາມໃນສັນຍາ{rtopic} ຢູ່ນະຄອນຫຼວງວຽງຈັນ.",
    "ຝ່າຍລາວ ໄດ້ສະແດງຄວາມຂອບໃຈຕໍ່ຍີ່ປຸ່ນ ທີ່ໄດ້ສະໜັບສະໜູນ{rtopic}.",
    "ຍີ່ປຸ່ນ ໄດ້ຊ່ວຍ{rtopic} ໃນ ສປປ ລາວ ມາແຕ່ປີ {year}.",
)
LO_RELEVANT_TOPICS = (
    "ການເກັບກູ້ລະເບີດບໍ່ທັນແຕກ", "ການປ້ອງກັນໄພພິບັດ", "ໄຟຟ້າພະລັງງານນ້ຳ", "ການສອນພາສາຍີ່ປຸ່ນ",
    "ການຄຸ້ມຄອງໜີ້ສາທາລະນະ", "ການກໍ່ສ້າງໂຮງຮຽນ", "ສາຍສົ່ງໄຟຟ້າ", "ການພັດທະນາລະບົບກົດໝາຍ",
)
LO_LAO_PLACES = ("ຫຼວງພະບາງ", "ສະຫວັນນະເຂດ", "ຈຳປາສັກ", "ຊຽງຂວາງ", "ອັດຕະປື")
# fmt: on


def _lo_fill(rng: random.Random, template: str, topic: str, place: str) -> str:
    return template.format(
        org=rng.choice(LO_ORGS),
        org2=rng.choice(LO_ORGS),
        person=rng.choice(LO_PEOPLE),
        topic=topic if rng.random() < 0.5 else rng.choice(LO_TOPICS),
        topic2=rng.choice(LO_TOPICS),
        place=place if rng.random() < 0.5 else rng.choice(LO_PLACES),
        verb=rng.choice(LO_VERBS),
        unit=rng.choice(LO_UNITS),
        day=rng.choice(LO_DAYS),
        month=rng.choice(LO_MONTHS),
        pct=rng.randint(2, 60),
        num=f"{rng.randint(2, 900) * 10:,}",
        money=rng.randint(2, 950),
        year=rng.randint(2018, 2029),
        rtopic=rng.choice(LO_RELEVANT_TOPICS),
        lplace=rng.choice(LO_LAO_PLACES),
    )


def lao_item(rng: random.Random, kind: str) -> Item:
    """A Lao news item of 400 to 1,200 characters; `kind` is relevant, near_miss or other."""
    topic, place = rng.choice(LO_TOPICS), rng.choice(LO_PLACES)
    style = rng.sample(LO_TEMPLATES, 8)
    target = rng.randint(400, 1200)
    sentences: list[str] = []
    while sum(map(len, sentences)) < target:
        if kind == "relevant" and rng.random() < 0.35:
            template = rng.choice(LO_RELEVANT_TEMPLATES)
        elif kind == "near_miss" and rng.random() < 0.1:
            template = "ຄະນະຜູ້ແທນຍີ່ປຸ່ນ ໄດ້ຢ້ຽມຢາມ {place} ໃນວັນ{day}."
        else:
            template = rng.choice(style)
        sentences.append(_lo_fill(rng, template, topic, place))
    title = f"{rng.choice(LO_ORGS)} {rng.choice(LO_VERBS)}{topic} ຢູ່ {place}"
    if kind == "relevant":
        title = f"ຍີ່ປຸ່ນ ຊ່ວຍເຫຼືອ ສປປ ລາວ ດ້ານ{rng.choice(LO_RELEVANT_TOPICS)}"
    paragraphs = [" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3)]
    return Item(title, "\n\n".join(paragraphs), "lo")


# ------------------------------------------------------------------ the corpus


def _kind(position: int) -> str:
    if position % 10 == RELEVANT_POSITION:
        return "relevant"
    return "near_miss" if position % 10 == NEAR_MISS_POSITION else "other"


def _english(seed: int) -> Iterator[Item]:
    """English items: the ingest benchmark's synthetic news (5% Japan–Laos, 5% Japan only,
    10% syndicated copies)."""
    from benchmarks.ingest import Corpus

    n = 0
    while True:  # Corpus needs a total up front; take what is asked for, in batches
        for item in Corpus(10_000, seed + n):
            yield Item(item["title"], item["text"], "en")
        n += 1


def _other(seed: int, make: Callable[[random.Random, str], Item]) -> Iterator[Item]:
    rng = random.Random(seed)
    position = 0
    while True:
        yield make(rng, _kind(position))
        position += 1


def corpus(total: int, seed: int = SEED) -> list[Item]:
    """`total` items, their language by position (see `LANGUAGES`); deterministic."""
    streams: dict[str, Iterator[Item]] = {
        "en": _english(seed),
        "ja": _other(seed + 1, japanese_item),
        "lo": _other(seed + 2, lao_item),
    }
    return [next(streams[LANGUAGES[i % len(LANGUAGES)]]) for i in range(total)]


# ------------------------------------------------------------------ the measurement


def catalogue_terms() -> list[str]:
    """Every term the matcher searches for (aliases, rule and negative terms), distinct."""
    return list(_matcher().terms)


def _matcher() -> Matcher:
    from config.registry import load_commitments
    from matching.matcher import Matcher

    return Matcher(load_commitments(REPO / "config").commitments)


def run(scale: float = 1.0) -> list[Metric]:
    """The benchmark at `scale` (0.01: 100 items)."""
    total = max(len(LANGUAGES), round(ITEMS * scale))
    _progress(f"{total:,} items; plain scan on every {BASELINE_STEP}st")
    return in_child(measure, total, SEED)


def measure(total: int, seed: int = SEED) -> list[Metric]:
    """Time the matcher and the plain scan in this process (call it through `in_child`)."""
    items = corpus(total, seed)
    matcher = _matcher()
    for item in items[:20]:  # lazy imports and compiled patterns out of the timing
        matcher.match(item.title, item.text, None)
    with timed() as watch:
        results = [matcher.match(item.title, item.text, None) for item in items]
    matched = sum(1 for r in results if r.all_hits)
    relevant = sum(1 for r in results if r.relevant)
    if not 0 < matched < total:
        raise RuntimeError(f"{matched} of {total} items matched a commitment: the corpus is wrong")
    _progress(f"matcher: {total / watch.seconds:,.0f} items/s, {matched:,} items matched")

    patterns = [re.compile(re.escape(term), re.IGNORECASE) for term in matcher.terms]
    sample = [f"{item.title}\n{item.text}" for item in islice(items, 0, None, BASELINE_STEP)]
    with timed() as scan:
        found = sum(1 for text in sample for p in patterns if p.search(text))
    _progress(f"plain scan: {len(sample) / scan.seconds:,.1f} items/s, {found:,} term hits")
    return [
        Metric.compared(
            "matching.items_per_s",
            total / watch.seconds,
            "items/s",
            len(sample) / scan.seconds,
            floor=FLOOR,
        ),
        Metric("matching.matches", matched, "items"),
        Metric("matching.relevant", relevant, "items"),
        Metric("matching.items", total, "items"),
        Metric("matching.catalogue_terms", len(patterns), "terms"),
    ]


def _progress(message: str) -> None:
    progress("matching", message)
