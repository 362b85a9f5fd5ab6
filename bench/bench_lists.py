"""List pages, filters and search at 2,000 rows and at BENCH_ROWS: `make bench` (issue 11).

Seeds two databases, of 2,000 and of BENCH_ROWS (default 100,000; 1,000,000 for the full run)
member submissions and everything around them (members with segments and districts, staff who
are assignees, trials, consultations, gap reports, evaluations, opinions, departments,
improvement items and their links): SQLite files in a temporary folder, or with
PORTAL_BENCH_DATABASE_URL the PostgreSQL database it names (for BENCH_ROWS) and its sibling
`<name>_small` (for 2,000), each created when missing and emptied first. Then it times, through
the WSGI test client, every list page, each inbox filter on its own, every pair of the equality
filters, a few wider combinations and searches: BENCH_RUNS runs (default 7) after a warm-up, the
two sizes taking turns, and prints the median wall time and the SQL statements per request at
both sizes. The database of BENCH_ROWS is then served by gunicorn and loaded with wrk next to
the anchor app (bench_serving.py; BENCH_SERVING=0 leaves that out).

Goals (exit status 1 when one is missed; every page is measured first):
- at BENCH_ROWS (the issue's goal is at 1,000,000), every page's median <= 30 ms on SQLite,
  <= 40 ms on PostgreSQL;
- every page issues the same number of SQL statements at 2,000 rows and at BENCH_ROWS;
- no page's median at BENCH_ROWS is more than 1.5x its median at 2,000 rows;
  (these two compare like with like: an inbox filter that matches no row at one size, and so
  answers from the facet counts alone, is held to the time goal only, and marked so);
- the serving goals of bench_serving.py.

BENCH_DIR keeps the SQLite databases in that folder and reuses them on the next run.

`build` and `signed_in` are shared with bench_exports.py and bench_serving.py.
"""
from __future__ import annotations

import bisect
import contextlib
import itertools
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from urllib.parse import unquote, urlencode

from sqlalchemy import MetaData, create_engine, event, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from portal import create_app, domain
from portal.accounts.models import User
from portal.db import utcnow
from portal.gaps.models import ServiceGapReport
from portal.improvements.models import Department, ImprovementItem
from portal.migrate import upgrade
from portal.opinions.models import Consultation, Opinion
from portal.triage.models import Submission, submission_items
from portal.trials.models import Enrollment, Evaluation, Trial, TrialSegment

ROWS = int(os.environ.get("BENCH_ROWS", "100000"))
SMALL = 2000
RUNS = int(os.environ.get("BENCH_RUNS", "7"))
PASSWORD = "bench-pass-2026"
GOAL_MS = {"sqlite": 30.0, "postgresql": 40.0}
GROWTH_LIMIT = 1.5
BATCH = 5000

# --- The seed ---------------------------------------------------------------------------------
# Every value is drawn from a fixed-seed generator, so two databases of one size are the same and
# the ids the pages filter by (a trial, an assignee) are the same at every size. Submission ids
# grow with time, as they do when members send them one by one. Every title or description holds
# 排队 (a search that matches everything); 卡, 漫游 and "SUM" match a part of the rows.

STAFF = [  # email, name, role; the first is the office account the pages are read with
    ("office@bench", "Office", "office"),
    ("office2@bench", "王敏", "office"),
    ("office3@bench", "李强", "office"),
    ("admin@bench", "管理员", "admin"),
    ("product@bench", "产品一组", "product"),
    ("product2@bench", "产品二组", "product"),
]
SEGMENT_WEIGHTS = {"mobile": 40, "household": 30, "sme": 20, "enterprise": 10}
KIND_WEIGHTS = {"gap_report": 80, "evaluation": 10, "opinion": 10}
STATUS_WEIGHTS = {"new": 40, "in_review": 25, "linked": 15, "duplicate": 5, "no_action": 15}
ITEM_STATUS_WEIGHTS = {"proposed": 20, "approved": 15, "in_progress": 30, "done": 15,
                       "verified": 10, "rejected": 10}
GAP_TITLES = {
    "network_quality": "信号差，通话经常中断",
    "billing_reminders": "账单短信金额有误",
    "roaming": "国际漫游资费不清楚",
    "e_channels": "网上营业厅无法登录",
    "value_added_services": "增值业务被误订",
    "counter_service": "营业厅排队时间过长",
}
FRAGMENTS = [
    "工作人员态度很好，但是流程太慢",
    "SIM卡补办要跑两次",
    "充值卡无法使用",
    "=SUM(A1) 表格里的金额不对",
    "希望增加自助服务",
    "没有人说明原因",
    "等候区没有座位",
    "第二次来还是一样",
]
TRIAL_TITLES = ["5G畅享套餐试用", "家庭宽带提速", "新款手机终端", "云视讯服务", "亲情号码包",
                "智能家居套件", "流量日租包", "政企专线", "国际漫游包", "积分兑换", "视频彩铃", "物联网卡"]
CONSULTATION_TITLES = ["营业厅服务规范修订", "套餐资费调整", "宽带安装时限", "账单格式改版",
                       "漫游提醒规则", "热线转人工", "携号转网流程", "实名登记要求", "积分有效期",
                       "老人专席", "停机保号", "发票开具"]
TRIALS = len(TRIAL_TITLES)
CONSULTATIONS = len(CONSULTATION_TITLES)
TRIAL_STATUSES = ["running", "recruiting", "closed"]


def _pick(rng: random.Random, weights: dict):
    codes, cumulative = _CUMULATIVE.get(id(weights)) or _CUMULATIVE.setdefault(
        id(weights), (list(weights), list(itertools.accumulate(weights.values()))))
    return codes[bisect.bisect(cumulative, rng.random() * cumulative[-1])]


_CUMULATIVE: dict[int, tuple[list, list]] = {}


def _members(rows: int) -> int:
    # Enough that the (trial, member) and (consultation, member) pairs, one evaluation or
    # opinion each, cover a tenth of the rows.
    return max(60, rows // 100)


def _insert(s: Session, table, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        s.execute(insert(table), rows[start:start + BATCH])


def _seed_people(s: Session, rng: random.Random, rows: int, now) -> tuple[list[User], list[int]]:
    """Staff (through the ORM: few) and members (Core, explicit ids); member@bench is the first
    member."""
    hashed = generate_password_hash(PASSWORD)
    staff = [User(email=e, name=n, role=r, password_hash=hashed, created_at=now - timedelta(days=900))
             for e, n, r in STAFF]
    s.add_all(staff)
    s.flush()
    first = max(u.id for u in staff) + 1
    districts = list(domain.DISTRICTS)
    members = [dict(
        id=first, email="member@bench", name="成员", role="member", status="active",
        segment="mobile", district="xuhui", password_hash=hashed, created_at=now - timedelta(days=800),
        session_generation=0,
    )]
    for n in range(1, _members(rows)):
        members.append(dict(
            id=first + n, email=f"member{n}@bench", name=f"成员{n}", role="member",
            status="paused" if n % 97 == 0 else "active",
            segment=_pick(rng, SEGMENT_WEIGHTS), district=rng.choice(districts),
            password_hash=hashed, created_at=now - timedelta(days=rng.randint(1, 800)),
            session_generation=0,
        ))
    _insert(s, User.__table__, members)
    return staff, [m["id"] for m in members]


def _seed_programmes(s: Session, rng: random.Random, staff: list[User], now) -> tuple[list, list]:
    """Trials, consultations (ORM: a dozen each; a trial's creator becomes its owner)."""
    today = now.date()
    product = [u for u in staff if u.role == "product"]
    trials = []
    for n, title in enumerate(TRIAL_TITLES):
        start = today - timedelta(days=30 * (TRIALS - n))
        trials.append(Trial(
            kind=list(domain.TRIAL_KINDS)[n % 4], title=title, description=f"{title}：排队体验",
            capacity=None, auto_accept=True, enrollment_opens_on=start - timedelta(days=20),
            enrollment_closes_on=start, starts_on=start, ends_on=start + timedelta(days=90),
            status=TRIAL_STATUSES[n % 3], created_by_id=product[n % len(product)].id,
            created_at=now - timedelta(days=30 * (TRIALS - n) + 25),
            segments=[TrialSegment(segment=seg) for seg in domain.SEGMENTS],
        ))
    consultations = [Consultation(
        subject=list(domain.CONSULTATION_SUBJECTS)[n % 3], title=title, body=f"{title}：征求意见",
        opens_on=today - timedelta(days=20 * (CONSULTATIONS - n)),
        closes_on=today - timedelta(days=20 * (CONSULTATIONS - n)) + timedelta(days=60),
        status="published", created_by_id=product[n % len(product)].id,
        created_at=now - timedelta(days=20 * (CONSULTATIONS - n) + 5),
    ) for n, title in enumerate(CONSULTATION_TITLES)]
    s.add_all(trials + consultations)
    s.flush()
    return [t.id for t in trials], [c.id for c in consultations]


def _seed_items(s: Session, rng: random.Random, rows: int, staff: list[User], now) -> list[int]:
    """Departments and improvement items (one per 500 rows, at least 30), some of them overdue."""
    office = [u for u in staff if u.role in ("office", "admin")]
    departments = [Department(name=name, a_contact_id=office[n % len(office)].id,
                              b_contact_id=office[(n + 1) % len(office)].id)
                   for n, name in enumerate(["网络部", "计费中心", "国际业务部", "电子渠道中心",
                                             "增值业务部", "营业厅管理部"])]
    s.add_all(departments)
    s.flush()
    items = []
    for n in range(max(30, rows // 500)):
        status = _pick(rng, ITEM_STATUS_WEIGHTS)
        created = now - timedelta(days=rng.randint(1, 400), minutes=rng.randint(0, 1439))
        closed = (min(now, created + timedelta(days=rng.randint(1, 60)))
                  if status in domain.ITEM_OUTCOME_STATUSES else None)
        commitment = rng.choice(list(domain.COMMITMENTS))
        items.append(dict(
            title=f"改进{GAP_TITLES[commitment]}的问题 {n}", description="减少排队，说明原因",
            commitment=commitment,
            department_id=None if n % 10 == 9 else departments[n % len(departments)].id,
            priority=rng.choice(list(domain.PRIORITIES)),
            due_on=now.date() + timedelta(days=rng.randint(-60, 90)), status=status,
            rejection_reason="不在范围内" if status == "rejected" else None,
            dmaic_phase=rng.choice(list(domain.DMAIC_PHASES)),
            resolution_note="已优化流程" if closed else "", created_by_id=office[0].id,
            created_at=created, updated_at=closed or created, closed_at=closed,
            overdue_notified_at=None, version=1,
        ))
    return list(s.scalars(insert(ImprovementItem).returning(ImprovementItem.id), items))


class _Rows:
    """The rows of one batch of submissions, by table, in the order they must be inserted."""

    def __init__(self):
        self.gaps, self.evaluations, self.enrollments, self.opinions = [], [], [], []
        self.submissions, self.links = [], []

    def insert(self, s: Session) -> None:
        connection = s.connection()
        for table, rows in ((ServiceGapReport.__table__, self.gaps),
                            (Enrollment.__table__, self.enrollments),
                            (Evaluation.__table__, self.evaluations),
                            (Opinion.__table__, self.opinions),
                            (Submission.__table__, self.submissions),
                            (submission_items, self.links)):
            if not rows:
                continue
            if connection.dialect.name == "postgresql":
                _copy(connection, table, rows)
            else:
                s.execute(insert(table), rows)


def _copy(connection, table, rows: list[dict]) -> None:
    """PostgreSQL's COPY, in the session's transaction: several times faster than INSERTs of
    many rows (a million submissions)."""
    columns = list(rows[0])
    cursor = connection.connection.dbapi_connection.cursor()
    with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([json.dumps(v) if isinstance(v, list) else v for v in row.values()])


class _Seeder:
    """Builds the submissions, their source rows and their links, batch by batch."""

    def __init__(self, rng, rows, now, staff, members, member_info, trials, consultations, items):
        self.rng, self.rows, self.now = rng, rows, now
        self.assignees = [u.id for u in staff]
        self.members, self.member_info = members, member_info
        self.trials, self.consultations, self.items = trials, consultations, items
        self.next_id = {"gap_report": 1, "evaluation": 1, "opinion": 1, "enrollment": 1}
        self.pairs = {"evaluation": 0, "opinion": 0}

    def _source_id(self, kind: str) -> int:
        value = self.next_id[kind]
        self.next_id[kind] += 1
        return value

    def _pair(self, kind: str, per: int) -> tuple[int, int] | None:
        """The next unused (trial or consultation, member) pair; None when all are used."""
        n = self.pairs[kind]
        if n // per >= len(self.members):
            return None
        self.pairs[kind] += 1
        return n % per, self.members[n // per]

    def _text(self) -> str:
        return f"{self.rng.choice(FRAGMENTS)}，排队等了{self.rng.randint(5, 90)}分钟。"

    def _gap(self, out: _Rows, base: dict, bench_member: int) -> dict:
        rng = self.rng
        member = bench_member if rng.random() < 0.1 else rng.choice(self.members)
        commitment = rng.choice(list(domain.COMMITMENTS))
        gap = dict(
            id=self._source_id("gap_report"), member_id=member, channel=rng.choice(list(domain.CHANNELS)),
            commitment=commitment, district=rng.choice(list(domain.DISTRICTS)),
            place="人民广场营业厅", occurred_at=base["submitted_at"] - timedelta(hours=rng.randint(1, 72)),
            severity=rng.randint(1, 4), title=f"{GAP_TITLES[commitment]} {base['id']}",
            description=self._text(), status=base["status"], created_at=base["submitted_at"],
            updated_at=base["updated_at"],
        )
        out.gaps.append(gap)
        return dict(gap_report_id=gap["id"], member_id=member, district=gap["district"],
                    channel=gap["channel"], commitment=commitment, severity=gap["severity"],
                    title=gap["title"], description=gap["description"])

    def _evaluation(self, out: _Rows, base: dict) -> dict | None:
        pair = self._pair("evaluation", len(self.trials))
        if pair is None:
            return None
        trial, member = self.trials[pair[0]], pair[1]
        out.enrollments.append(dict(
            id=self._source_id("enrollment"), trial_id=trial, member_id=member, status="accepted",
            motivation="", created_at=base["submitted_at"] - timedelta(days=10),
            decided_at=base["submitted_at"] - timedelta(days=9), decided_by_id=None,
        ))
        evaluation = dict(
            id=self._source_id("evaluation"), trial_id=trial, member_id=member, status="submitted",
            version=1, triage_status=base["status"], created_at=base["submitted_at"],
            updated_at=base["updated_at"], submitted_at=base["submitted_at"],
        )
        out.evaluations.append(evaluation)
        return dict(evaluation_id=evaluation["id"], trial_id=trial, member_id=member,
                    title=TRIAL_TITLES[pair[0]], description=self._text(),
                    low_score=self.rng.random() < 0.25, district=self.member_info[member][1])

    def _opinion(self, out: _Rows, base: dict) -> dict | None:
        pair = self._pair("opinion", len(self.consultations))
        if pair is None:
            return None
        consultation, member = self.consultations[pair[0]], pair[1]
        opinion = dict(
            id=self._source_id("opinion"), consultation_id=consultation, member_id=member,
            stance=self.rng.choice(list(domain.STANCES)), text=self._text(),
            triage_status=base["status"], created_at=base["submitted_at"], updated_at=base["updated_at"],
        )
        out.opinions.append(opinion)
        return dict(opinion_id=opinion["id"], consultation_id=consultation, member_id=member,
                    title=CONSULTATION_TITLES[pair[0]], description=opinion["text"],
                    district=self.member_info[member][1])

    def submission(self, out: _Rows, sid: int) -> None:
        rng = self.rng
        status = _pick(rng, STATUS_WEIGHTS)
        submitted = self.now - timedelta(minutes=self.rows - sid, seconds=rng.randint(0, 50))
        base = dict(id=sid, status=status, submitted_at=submitted, updated_at=submitted)
        kind = _pick(rng, KIND_WEIGHTS)
        source = None
        if kind == "evaluation":
            source = self._evaluation(out, base)
        elif kind == "opinion":
            source = self._opinion(out, base)
        if source is None:
            kind, source = "gap_report", self._gap(out, base, self.members[0])
        duplicate_of = rng.randint(max(1, sid - 50), sid - 1) if status == "duplicate" and sid > 1 else None
        row = dict(
            kind=kind, evaluation_id=None, gap_report_id=None, opinion_id=None, segment=None,
            district=None, channel=None, commitment=None, severity=None, trial_id=None,
            consultation_id=None, low_score=False,
            no_action_reason="不属于服务范围" if status == "no_action" else None,
            duplicate_of_id=duplicate_of,
            assignee_id=rng.choice(self.assignees) if rng.random() < 0.5 else None,
            tags=["回访"] if rng.random() < 0.1 else [], version=1, **base,
        )
        row.update(source)
        row["segment"] = self.member_info[row["member_id"]][0]
        out.submissions.append(row)
        if status == "linked":
            out.links.append(dict(submission_id=sid, item_id=rng.choice(self.items)))


def seed(engine, rows: int) -> None:
    """`rows` submissions and what they come from, in batches of Core inserts with explicit ids
    (the database is new)."""
    rng = random.Random(2026)
    now = utcnow()
    with Session(engine) as s:
        if engine.dialect.name == "sqlite":
            # For the seed only (this connection): a page cache the size of the indexes being
            # filled, and no fsync per batch.
            s.execute(text("PRAGMA cache_size=-524288"))
            s.execute(text("PRAGMA synchronous=OFF"))
        staff, members = _seed_people(s, rng, rows, now)
        info = {row.id: (row.segment, row.district)
                for row in s.execute(select(User.id, User.segment, User.district))}
        trials, consultations = _seed_programmes(s, rng, staff, now)
        items = _seed_items(s, rng, rows, staff, now)
        s.commit()
        seeder = _Seeder(rng, rows, now, staff, members, info, trials, consultations, items)
        for start in range(1, rows + 1, BATCH):
            out = _Rows()
            for sid in range(start, min(rows, start + BATCH - 1) + 1):
                seeder.submission(out, sid)
            out.insert(s)
            s.commit()
        if engine.dialect.name == "postgresql":
            for table in ("users", "service_gap_reports", "enrollments", "evaluations", "opinions",
                          "submissions"):
                s.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT coalesce(max(id), 1) FROM {table}))"))
            s.commit()
    # The seed's connections (their pragmas) are not the ones the pages are timed on.
    engine.dispose()
    if engine.dialect.name == "postgresql":
        # What autovacuum does to a table that has grown: statistics and the visibility map.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))


# --- The database -----------------------------------------------------------------------------


def _fresh_postgresql(url: str) -> None:
    """Creates the database when it is missing, else drops everything in its public schema."""
    engine = create_engine(url)
    try:
        with engine.connect():
            pass
    except Exception as exc:
        if "does not exist" not in str(exc):
            raise
        admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{make_url(url).database}"'))
        admin.dispose()
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    except ProgrammingError:  # not the schema's owner: the tables, then
        tables = MetaData()
        tables.reflect(engine)
        tables.drop_all(engine)
    engine.dispose()


def database_url(rows: int, folder: str, small: bool = False) -> str:
    """PORTAL_BENCH_DATABASE_URL (its sibling database `<name>_small` for the small size, which
    lives next to the large one), else a SQLite file in `folder`."""
    url = os.environ.get("PORTAL_BENCH_DATABASE_URL")
    if not url:
        return f"sqlite:///{folder}/bench-{rows}.sqlite3"
    if small:
        parsed = make_url(url)
        return parsed.set(database=f"{parsed.database}_small").render_as_string(hide_password=False)
    return url


def build(rows: int, folder: str, url: str | None = None):
    """A new database of `rows` submissions (a PostgreSQL database is emptied, or created, first)
    and the app on it."""
    url = url or database_url(rows, folder)
    kept = _kept(url, rows, folder)
    if kept is not None:
        return kept
    if url.startswith("postgresql"):
        _fresh_postgresql(url)
    else:
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(url.removeprefix("sqlite:///") + suffix):
                os.remove(url.removeprefix("sqlite:///") + suffix)
    upgrade(url)
    # The job queue and export files in the bench's folder, never the developer's instance/.
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": True,
                      "JOBS_SQLITE_PATH": f"{folder}/jobs.sqlite3", "EXPORT_DIR": folder})
    app.instance_path = folder
    seed(app.extensions["portal.engine"], rows)
    return app


def _kept(url: str, rows: int, folder: str):
    """With BENCH_DIR set (a folder kept between runs), the database of `rows` already there (a
    SQLite file in it, or the PostgreSQL database named) is migrated and reused instead of
    seeded again (a million rows take minutes to seed); None when there is none of that size."""
    path = url.removeprefix("sqlite:///")
    if not os.environ.get("BENCH_DIR"):
        return None
    if url.startswith("sqlite:///") and not os.path.exists(path):
        return None
    if url.startswith("postgresql"):
        try:
            with create_engine(url).connect() as conn:
                conn.execute(text("SELECT 1 FROM submissions LIMIT 1"))
        except Exception:  # no such database or table yet: seed it
            return None
    upgrade(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": True,
                      "JOBS_SQLITE_PATH": f"{folder}/jobs.sqlite3", "EXPORT_DIR": folder})
    app.instance_path = folder
    with app.extensions["portal.engine"].connect() as conn:
        found = conn.execute(text("SELECT count(*) FROM submissions")).scalar()
    if found != rows:
        app.extensions["portal.engine"].dispose()
        return None
    print(f"reusing {path} ({rows:,} submissions)", flush=True)
    return app


# --- Timing -----------------------------------------------------------------------------------


class Counter:
    def __init__(self, engine):
        self.n = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *args):
        self.n += 1


def signed_in(app, email):
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["lang"] = "zh_Hans"
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    r = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302, r.status_code
    return client


def _inbox(**args) -> str:
    return "/staff/inbox?" + urlencode(args)


def pages(engine) -> list[tuple[str, str]]:
    """(email, url) of every page timed: the list pages, each inbox filter alone, pairs of the
    equality filters, a few wider combinations and searches."""
    with Session(engine) as s:
        trial_id = s.scalar(select(Trial.id).where(Trial.status != "draft").order_by(Trial.id))
        assignee_id = s.scalar(select(User.id).where(User.email == "office2@bench"))
    today = domain.shanghai_today()
    equal = {"kind": "gap_report", "status": "in_review", "segment": "sme", "district": "pudong",
             "channel": "hotline", "commitment": "roaming", "trial_id": trial_id,
             "assignee_id": assignee_id, "severity": 3}
    office = "office@bench"
    out = [(office, "/staff/inbox"), (office, "/staff/reports"), (office, "/staff/improvements"),
           ("member@bench", "/"), (office, "/staff/supervision"), (office, "/staff/dashboard")]
    singles = {**equal, "date_from": (today - timedelta(days=7)).isoformat(),
               "date_to": (today - timedelta(days=2)).isoformat(), "q": "排队"}
    out += [(office, _inbox(**{name: value})) for name, value in singles.items()]
    out.append((office, _inbox(assignee_id=0)))
    names = list(equal)
    out += [(office, _inbox(**{a: equal[a], b: equal[b]}))
            for i, a in enumerate(names) for b in names[i + 1:]]
    out += [
        (office, _inbox(**equal)),
        (office, _inbox(date_from=(today - timedelta(days=14)).isoformat(),
                        date_to=(today - timedelta(days=7)).isoformat(), commitment="roaming")),
        (office, _inbox(commitment="roaming", severity=3, q="排队")),
    ]
    out += [(office, _inbox(q=q)) for q in ("卡", "漫游", "SUM", "zzzz")]
    return out


def measure(small_app, large_app) -> tuple[dict, dict]:
    """{url: (times, statements)} of every page at both sizes, each as the user it is for. The
    two sizes take turns, request by request, so that a change in the machine's load (other
    processes) weighs on both alike."""
    engines = [app.extensions["portal.engine"] for app in (small_app, large_app)]
    counters = [Counter(engine) for engine in engines]
    clients: list[dict] = [{}, {}]
    results: tuple[dict, dict] = ({}, {})
    for email, url in pages(engines[1]):
        times: list[list[float]] = [[], []]
        statements, empty = [0, 0], [False, False]
        for n, app in enumerate((small_app, large_app)):
            if email not in clients[n]:
                clients[n][email] = signed_in(app, email)
            clients[n][email].get(url)  # warm-up
        for _ in range(RUNS):
            for n in (0, 1):
                elapsed, statements[n], empty[n] = _one(clients[n][email], url, counters[n])
                times[n].append(elapsed)
        for n in (0, 1):
            results[n][url] = (times[n], statements[n], empty[n])
    return results


def _one(client, url: str, counter: Counter) -> tuple[float, int, bool]:
    """Time, SQL statements and whether the page is an inbox with no row (its total, shown
    only under rows, is missing)."""
    before = counter.n
    t0 = time.perf_counter()
    response = client.get(url)
    body = response.get_data(as_text=True)
    elapsed = time.perf_counter() - t0
    assert response.status_code == 200, (url, response.status_code)
    empty = url.startswith("/staff/inbox") and 'data-testid="inbox-total"' not in body
    return elapsed, counter.n - before, empty


def report(small: dict, large: dict, rows: int, dialect: str) -> list[str]:
    """Prints the in-process table and returns the goals missed."""
    goal = GOAL_MS.get(dialect, GOAL_MS["sqlite"])
    failures = []
    print(f"\nIn-process (test client), {dialect}: median of {RUNS} runs after a warm-up, "
          f"SQL statements per request")
    print(f"{SMALL:>9,} {rows:>11,}  growth  statements  page")
    for url, (large_times, large_n, large_empty) in large.items():
        small_times, small_n, small_empty = small[url]
        s_ms, l_ms = statistics.median(small_times) * 1000, statistics.median(large_times) * 1000
        growth = l_ms / s_ms if s_ms else float("inf")
        label = unquote(url)
        # A filter that matches nothing at one size answers without reading rows (the facets
        # say none): its statements and time say nothing of how the page grows with the data,
        # so only the time goal holds for it.
        unlike = small_empty != large_empty
        note = f"  (no rows at {SMALL if small_empty else rows:,}: not compared)" if unlike else ""
        print(f"{s_ms:6.1f} ms {l_ms:8.1f} ms  {growth:5.2f}x  {small_n:4} / {large_n:<4}  {label}{note}")
        if l_ms > goal:
            failures.append(f"{label}: median {l_ms:.1f} ms at {rows:,} rows > {goal:.0f} ms")
        if unlike:
            continue
        if small_n != large_n:
            failures.append(f"{label}: {small_n} SQL statements at {SMALL:,} rows, {large_n} at {rows:,}")
        if growth > GROWTH_LIMIT:
            failures.append(f"{label}: {growth:.2f}x slower at {rows:,} rows than at {SMALL:,} "
                            f"(> {GROWTH_LIMIT}x)")
    return failures


def main() -> int:
    serving = os.environ.get("BENCH_SERVING", "1") != "0"
    failures = []
    kept = os.environ.get("BENCH_DIR")
    if kept:
        os.makedirs(kept, exist_ok=True)
    with (contextlib.nullcontext(kept) if kept else tempfile.TemporaryDirectory()) as folder:
        apps = {}
        for rows in (SMALL, ROWS):
            t0 = time.perf_counter()
            apps[rows] = build(rows, folder, database_url(rows, folder, small=rows == SMALL))
            print(f"seeded {rows:,} submissions in {time.perf_counter() - t0:.0f} s", flush=True)
        small, large = measure(apps[SMALL], apps[ROWS])
        engine = apps[ROWS].extensions["portal.engine"]
        failures += report(small, large, ROWS, engine.dialect.name)
        for app in apps.values():
            app.extensions["portal.engine"].dispose()
        if serving:
            import bench_serving

            failures += bench_serving.run(apps[ROWS].config["DATABASE_URL"], folder, ROWS)
    for failure in failures:
        print("MISSED:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
