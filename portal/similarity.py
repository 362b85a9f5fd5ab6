"""Similar texts: which improvement items or submissions look like what someone is writing.

Used while a member writes a service-gap report or an opinion ("Already being handled": open
improvement items) and on the inbox's detail page ("Likely duplicates": other submissions and
open items). The engine knows nothing of areas: callers pass the mapped class (one of
`search.SEARCHED_TABLES`, with id, title, description and commitment) and the conditions that
limit who may see what.

How:
- A text's features are its Chinese character pairs (bigrams: no segmenter needed, and a pair
  is what the search index stores) and its Latin words and numbers ("5g", "app", "roaming").
  Pairs and words every complaint holds ("我的", "问题", "please") weigh little.
- Candidates come from the search index, never from a scan: the query's QUERY_TERMS most
  telling features (title first) are each looked up with `search.matches`, newest PER_TERM rows
  each, all in one statement (plus the one question `matches` asks per term). The candidates hit
  by most terms are read (CANDIDATES_READ at most).
- Each candidate is scored in Python: cosine over the weighted features (title counted twice;
  a feature found in most candidates counts less, as inverse document frequency over the
  candidates), times COMMITMENT_WEIGHT when the service commitments differ. 0-100.
A suggestion costs at most QUERY_TERMS + 2 statements, whatever the table's size.

`measure` computes the precision of the first three suggestions on labelled pairs
(tests/data/similar_pairs.json, `measure_labelled_set`) or on the demo's links
(`measure_demo`).
"""
from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select, union_all

from portal import search
from portal.db import db

# Features looked up in the index per query, and the newest rows read per feature.
QUERY_TERMS = 8
PER_TERM = 40
# Candidates scored (those hit by most terms).
CANDIDATES_READ = 60
# Text of a query looked at (a live check sends the title and the start of the description).
QUERY_MAX = 600
# A suggestion below this score is not shown: it shares words, not the problem.
MIN_SCORE = 40
# A candidate under another service commitment keeps this share of its score.
COMMITMENT_WEIGHT = 0.7
TITLE_WEIGHT = 2.0
# What a feature every complaint holds weighs, against 1.
COMMON_WEIGHT = 0.2

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(f"[{_CJK}]+|[a-z0-9]+")
# Characters of grammar: a pair holding one says little ("我的", "了吗", "不是").
_FUNCTION_CHARS = set("的了是在我你他她它们也都就不很吗呢吧啊和与及或而但这那有个一把被给让还又再才")
# Pairs and words every service complaint holds, whatever it is about.
_COMMON = set(
    "上海 电信 中国 公司 客服 问题 反馈 希望 服务 时候 现在 已经 没有 一直 还是 但是 因为 所以 可以 "
    "需要 今天 昨天 每次 经常 非常 情况 处理 解决 告诉 说明 建议 尽快 什么 怎么 为什么 如何 多次 几次 "
    "一下 之后 以后 时间 然后 结果 感觉 实在 真的 或者 如果 自己 用户 客户 麻烦 谢谢 请问 "
    "the a an and or to of in on at for is are was were be been it its this that my me i we "
    "our you your they them with from by as not no but have has had do does did can could "
    "please when after before again still very so just there here what why how"
    .split()
)


# English words of the service and their Chinese, so an English report finds a Chinese item and
# the other way round: each side's text also carries the other language's word.
_BRIDGE = {
    "roaming": "漫游", "signal": "信号", "coverage": "覆盖", "broadband": "宽带", "data": "流量 数据",
    "bill": "账单", "billing": "计费", "charged": "扣费", "charge": "扣费", "fee": "费用",
    "alert": "提醒", "reminder": "提醒", "balance": "余额", "top": "充值", "topped": "充值",
    "store": "营业厅", "staff": "营业员", "queue": "排队", "waiting": "等候", "rude": "态度",
    "impatient": "不耐烦", "invoice": "发票", "ringback": "彩铃", "subscription": "订购",
    "subscribed": "订购", "unsubscribe": "退订", "marketing": "营销", "promotional": "推广",
    "sms": "短信", "text": "短信", "verification": "验证码", "payment": "支付", "points": "积分",
    "plan": "套餐", "package": "流量包", "japan": "日本", "korea": "韩国", "thailand": "泰国",
    "singapore": "新加坡", "europe": "欧洲", "hong": "香港", "macau": "澳门", "america": "美国",
    "states": "美国", "voice": "声音", "father": "父亲", "elderly": "老人", "metro": "地铁",
    "tunnel": "隧道", "indoor": "室内", "twice": "两次", "refund": "退费", "english": "英文",
    "hotline": "热线", "cancelled": "取消", "cancel": "取消", "technician": "装维",
    "installation": "安装", "install": "安装", "crash": "闪退", "crashes": "闪退", "login": "登录",
    "sim": "sim", "card": "卡", "renewal": "续费", "membership": "会员", "horoscope": "星座",
    "exceeded": "超出", "credited": "到账", "network": "网络", "phone": "手机",
}
_BRIDGE_BACK: dict[str, list[str]] = {}
for _en, _zh in _BRIDGE.items():
    for _word_zh in _zh.split():
        if not _word_zh.isascii():
            _BRIDGE_BACK.setdefault(_word_zh, []).append(_en)


def _normal(text: str | None) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


def _word(word: str) -> str:
    # "bills" and "bill" are one word; short words and numbers stay as written.
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _weight(term: str) -> float:
    if term in _COMMON or (len(term) == 2 and _FUNCTION_CHARS & set(term)):
        return COMMON_WEIGHT
    if term.isascii() and len(term) < 3 and not any(c.isdigit() for c in term):
        return COMMON_WEIGHT
    return 1.0


def terms(text: str | None) -> list[str]:
    """The text's features in order: Chinese character pairs (a lone character as itself) and
    Latin words / numbers, lowercased."""
    found: list[str] = []
    for run in _RUN.findall(_normal(text)):
        if run.isascii():
            word = _word(run)
            found.append(word)
            for zh in _BRIDGE.get(word, "").split():
                found.extend(_pairs(zh))
        else:
            found.extend(_pairs(run))
            found.extend(en for zh, words in _BRIDGE_BACK.items() if zh in run for en in words)
    return found


def _pairs(run: str) -> list[str]:
    if run.isascii() or len(run) == 1:
        return [run]
    return [run[i:i + 2] for i in range(len(run) - 1)]


def features(title: str | None, description: str | None) -> Counter:
    """Weighted feature counts of a title and description (the title counted TITLE_WEIGHT)."""
    counts: Counter = Counter()
    for term in terms(title):
        counts[term] += TITLE_WEIGHT
    for term in terms(description):
        counts[term] += 1
    return counts


def query_terms(title: str | None, description: str | None, limit: int = QUERY_TERMS) -> list[str]:
    """The features worth asking the index for: telling ones (not common, not a lone
    character), the title's first, then the description's most frequent, at most `limit`."""
    def telling(term: str) -> bool:
        return _weight(term) == 1.0 and len(term) >= 2

    chosen: list[str] = []
    for term in terms(title):
        if telling(term) and term not in chosen:
            chosen.append(term)
    body = Counter(t for t in terms(description) if telling(t) and t not in chosen)
    # Latin words are rarer than pairs: prefer them at equal counts, then the longer.
    chosen.extend(t for t, _n in sorted(body.items(), key=lambda kv: (-kv[1], not kv[0].isascii())))
    if len(chosen) <= limit:
        return chosen
    # Spread the title's picks over it: neighbouring pairs ("漫游", "游流") say the same thing.
    title_terms = [t for t in chosen if t in set(terms(title))]
    spread = title_terms[::2] + title_terms[1::2]
    rest = [t for t in chosen if t not in spread]
    return (spread + rest)[:limit]


# ---------------------------------------------------------------------------------------------
# Finding and scoring


@dataclass(frozen=True)
class Match:
    id: int
    score: int  # 0-100


@dataclass
class Query:
    title: str = ""
    description: str = ""
    commitment: str | None = None

    @classmethod
    def of(cls, title: str | None, description: str | None, commitment: str | None = None) -> Query:
        return cls(title=(title or "")[:QUERY_MAX],
                   description=(description or "")[:QUERY_MAX], commitment=commitment or None)

    @property
    def blank(self) -> bool:
        return not query_terms(self.title, self.description)


def candidate_ids(model, look_for: Sequence[str], where: Iterable = ()) -> list[int]:
    """Ids of rows containing any of `look_for` (through the search index), the newest PER_TERM
    per term, the rows hit by most terms first, at most CANDIDATES_READ. One statement, after
    the one question `search.matches` asks per term."""
    where = list(where)
    parts = []
    for term in look_for:
        newest = (select(model.id.label("id")).where(search.matches(model, term), *where)
                  .order_by(model.id.desc()).limit(PER_TERM).subquery())
        parts.append(select(newest.c.id))
    if not parts:
        return []
    hits = union_all(*parts).subquery()
    stmt = (select(hits.c.id).group_by(hits.c.id)
            .order_by(func.count().desc(), hits.c.id.desc()).limit(CANDIDATES_READ))
    return list(db.scalars(stmt))


def _cosine(a: Counter, b: Counter, idf: Callable[[str], float]) -> float:
    shared = a.keys() & b.keys()
    if not shared:
        return 0.0

    def w(term: str) -> float:
        return _weight(term) * idf(term)

    dot = sum(a[t] * b[t] * w(t) ** 2 for t in shared)
    norm_a = math.sqrt(sum((n * w(t)) ** 2 for t, n in a.items()))
    norm_b = math.sqrt(sum((n * w(t)) ** 2 for t, n in b.items()))
    return dot / (norm_a * norm_b) if norm_a and norm_b else 0.0


@dataclass
class Candidate:
    id: int
    title: str
    description: str
    commitment: str | None = None


def rank(query: Query, candidates: Sequence[Candidate], minimum: int = MIN_SCORE) -> list[Match]:
    """The candidates scored against the query (0-100), best first, those below `minimum` left
    out. Pure: no database."""
    wanted = features(query.title, query.description)
    if not wanted or not candidates:
        return []
    docs = [(c, features(c.title, c.description)) for c in candidates]
    # Inverse document frequency over the candidates and the query: a feature most candidates
    # share (they were found by it) tells them apart less. Few candidates: close to 1 for all.
    df: Counter = Counter()
    for _c, counts in docs:
        df.update(counts.keys())
    total = len(docs) + 1

    def idf(term: str) -> float:
        return math.log(1 + total / (1 + df[term])) / math.log(1 + total)

    found = []
    for candidate, counts in docs:
        score = _cosine(wanted, counts, idf)
        if query.commitment and candidate.commitment and query.commitment != candidate.commitment:
            score *= COMMITMENT_WEIGHT
        percent = round(100 * min(1.0, math.sqrt(score)))
        if percent >= minimum:
            found.append(Match(candidate.id, percent))
    found.sort(key=lambda m: (-m.score, -m.id))
    return found


def similar(model, query: Query, *, where: Iterable = (), exclude: Iterable[int] = (),
            limit: int = 5, minimum: int = MIN_SCORE) -> list[Match]:
    """The rows of `model` most like `query` (a title, description and commitment), best first,
    at most `limit`, each with its score; `where`: conditions on `model` a row must meet (the
    viewer's scope, open items only); `exclude`: ids never suggested (the row itself)."""
    look_for = query_terms(query.title, query.description)
    if not look_for:
        return []
    skip = set(exclude)
    ids = [i for i in candidate_ids(model, look_for, where) if i not in skip]
    if not ids:
        return []
    rows = db.execute(select(model.id, model.title, model.description, model.commitment)
                      .where(model.id.in_(ids))).all()
    candidates = [Candidate(r.id, r.title, r.description or "", r.commitment) for r in rows]
    return rank(query, candidates, minimum)[:limit]


def similar_rows(model, query: Query, **options) -> list[tuple[object, int]]:
    """`similar`, with the rows themselves: (row, score) best first; one statement more."""
    found = similar(model, query, **options)
    if not found:
        return []
    rows = {row.id: row for row in db.scalars(select(model).where(model.id.in_([m.id for m in found])))}
    return [(rows[m.id], m.score) for m in found if m.id in rows]


# ---------------------------------------------------------------------------------------------
# Measuring


@dataclass
class Measurement:
    """Top-k precision: the share of labelled queries whose true match is among the first k
    suggestions; and of the unrelated queries, how many got any suggestion (false alarms)."""

    name: str = ""
    k: int = 3
    cases: int = 0
    hits: int = 0
    unrelated: int = 0
    false_alarms: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.hits / self.cases if self.cases else 0.0

    def __str__(self) -> str:
        return (f"{self.name}: top-{self.k} precision {self.precision:.2f} ({self.hits}/{self.cases}"
                f" queries found their match among the first {self.k}); unrelated queries with a"
                f" suggestion: {self.false_alarms}/{self.unrelated}")


def measure(cases: Iterable[tuple[str, object | None, Callable[[], Sequence[object]]]], k: int = 3,
            name: str = "") -> Measurement:
    """`cases`: (label, the true match's id or None for an unrelated query, a function giving the
    suggested ids best first)."""
    result = Measurement(name=name, k=k)
    for label, truth, suggest in cases:
        found = list(suggest())
        if truth is None:
            result.unrelated += 1
            result.false_alarms += bool(found)
            continue
        result.cases += 1
        if truth in found[:k]:
            result.hits += 1
        else:
            result.misses.append(label)
    return result


LABELLED_SET = Path(__file__).resolve().parent.parent / "tests" / "data" / "similar_pairs.json"


def load_labelled_set(path: Path | str = LABELLED_SET) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def measure_labelled_set(path: Path | str = LABELLED_SET, database_url: str | None = None) -> Measurement:
    """The precision of the first three suggestions on the labelled set: its pool is written to a
    new database (a temporary SQLite file unless `database_url` names an empty migrated one),
    and each query asks `similar` through the search index, as the pages do."""
    import tempfile

    from portal import create_app
    from portal.migrate import upgrade

    data = load_labelled_set(path)
    with tempfile.TemporaryDirectory() as scratch:
        url = database_url
        if url is None:
            url = f"sqlite:///{scratch}/similar.sqlite3"
            upgrade(url)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "measure", "TESTING": True})
        with app.app_context():
            ids = load_pool(data["pool"])
            return measure_pool(data, ids)


def load_pool(pool: Sequence[dict]) -> dict[str, tuple[str, int]]:
    """Write the labelled set's pool (improvement items and members' gap reports as inbox rows)
    to the database; their labels -> (kind, id)."""
    from datetime import UTC, datetime, timedelta

    from portal.accounts.models import User
    from portal.db import unit_of_work
    from portal.improvements.models import ImprovementItem
    from portal.triage.models import Submission

    with unit_of_work():
        member = User(email="similar-pairs@example.com", name="Pool", role="member",
                      segment="mobile", district="xuhui", password_hash="-", status="active")
        db.add(member)
        db.flush()
        rows = {}
        start = datetime(2025, 1, 1, tzinfo=UTC)
        for n, entry in enumerate(pool):
            if entry["kind"] == "item":
                row = ImprovementItem(title=entry["title"], description=entry["description"],
                                      commitment=entry.get("commitment"),
                                      status=entry.get("status", "in_progress"), priority="normal",
                                      dmaic_phase="define")
            else:
                row = Submission(kind="gap_report", member_id=member.id, segment="mobile",
                                 district="xuhui", channel="other", severity=2, status="new",
                                 commitment=entry.get("commitment"), title=entry["title"],
                                 description=entry["description"], tags=[],
                                 submitted_at=start + timedelta(minutes=n))
            db.add(row)
            rows[entry["id"]] = row
        db.flush()
    return {label: ("item" if isinstance(r, ImprovementItem) else "submission", r.id)
            for label, r in rows.items()}


def measure_pool(data: dict, ids: dict[str, tuple[str, int]], k: int = 3) -> Measurement:
    """Each labelled query against the pool already written (`load_pool`'s ids)."""
    from portal.improvements.models import ImprovementItem
    from portal.triage.models import Submission

    models = {"item": ImprovementItem, "submission": Submission}

    def case(pair: dict):
        query = Query.of(pair["title"], pair.get("description"), pair.get("commitment"))
        target = pair.get("target", "item")
        truth = ids[pair["match"]] if pair.get("match") else None
        model = models[target]

        def suggest():
            return [(target, m.id) for m in similar(model, query, limit=k)]
        return pair.get("label") or pair["title"], truth, suggest

    return measure((case(p) for p in data["pairs"]), k=k, name="labelled set")


def measure_demo(k: int = 3) -> Measurement:
    """On the current database (the demo data): each submission linked to an improvement item
    asks for similar items (open or not), and each duplicate for similar submissions; the
    precision of the first `k`. Reads only."""
    from portal.improvements.models import ImprovementItem
    from portal.triage.models import Submission

    def linked_cases():
        for submission in db.scalars(select(Submission).where(Submission.items.any())):
            truth = {i.id for i in submission.items}
            query = Query.of(submission.title, submission.description, submission.commitment)

            def suggest(q=query, truth=truth):
                found = [m.id for m in similar(ImprovementItem, q, limit=k)]
                # Any of its items counts: report the first found among them.
                return [next(iter(truth)) if i in truth else i for i in found]
            yield f"#{submission.id}", next(iter(truth)), suggest

    def duplicate_cases():
        for submission in db.scalars(select(Submission).where(Submission.duplicate_of_id.is_not(None))):
            query = Query.of(submission.title, submission.description, submission.commitment)

            def suggest(q=query, own=submission.id):
                return [m.id for m in similar(Submission, q, exclude=[own], limit=k)]
            yield f"#{submission.id}", submission.duplicate_of_id, suggest

    result = measure([*linked_cases(), *duplicate_cases()], k=k, name="demo data")
    return result


# ---------------------------------------------------------------------------------------------
# Demo data (portal/demo.py calls it once, in its unit of work)


def seed_demo() -> None:
    """What the demo shows of similar reports: a report its member sent with "This is my problem
    too" on the open roaming item (linked by the member, its progress on the report), and two
    new reports like earlier ones, for "Likely duplicates" in the inbox (one like the Japan
    roaming report, one like the broadband slowdown item). Sent through the report service, as
    the form does."""
    from datetime import timedelta

    from portal.accounts.models import User
    from portal.db import utcnow
    from portal.gaps import services as gaps
    from portal.improvements.models import ImprovementItem

    def member(email: str) -> User | None:
        return db.scalar(select(User).where(User.email == email))

    roaming = db.scalar(select(ImprovementItem).where(ImprovementItem.title.like("国际漫游落地后%")))
    household2, sme = member("household2@example.com"), member("sme@example.com")
    if roaming is None or household2 is None or sme is None:
        return
    now = utcnow()
    gaps.create_report(
        household2, channel="mobile_app", commitment="roaming", district="changning",
        place="大阪关西机场", occurred_at=now - timedelta(days=1, hours=4), severity=3,
        title="日本漫游落地后一直无法上网",
        description="到大阪后国际漫游已开通，手机显示有信号但无法上网，重启多次也不行。",
        photos=[], joins_item_id=roaming.id,
    )
    gaps.create_report(
        sme, channel="hotline", commitment="roaming", district="jingan", place="东京成田机场",
        occurred_at=now - timedelta(hours=20), severity=3, title="东京漫游开通后上不了网",
        description="已开通国际漫游，落地东京后无法上网，拨打热线也一直排队。", photos=[],
    )
    gaps.create_report(
        household2, channel="other", commitment="network_quality", district="minhang",
        place="莘庄某小区", occurred_at=now - timedelta(hours=30), severity=2,
        title="闵行晚高峰家庭宽带降速严重",
        description="每天晚上 8 点到 11 点家里宽带速度只有平时的一半，看视频一直缓冲。", photos=[],
    )
