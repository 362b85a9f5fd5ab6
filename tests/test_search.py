"""Search over titles and descriptions (portal/search.py) on the three staff lists.

Every query is a literal substring, any case (1, 2 and 3+ characters, Chinese and Latin, LIKE
wildcards, quotes and FTS5 syntax included), read through the real pages. Each is checked on
every way `matches` answers (a few candidates from the index, many, all, a dense word: the
thresholds are lowered, so small test data reaches them all). The index follows inserts (ORM
and Core bulk), edits, deletes and ON DELETE CASCADE deletes; on SQLite its FTS5 tables are also
checked directly.
"""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from sqlalchemy import delete, func, insert, select, text, update

from portal import search
from portal.gaps.models import ServiceGapReport
from portal.improvements.models import ImprovementItem
from portal.triage.models import Submission
from tests.conftest import _empty_all_tables
from tests.factories import (
    SUBMISSION_BASE_TIME,
    make_gap_report,
    make_gap_submission,
    make_item,
    make_submission,
)

LISTS = {
    # model: (page, pattern of a row's id in the page)
    Submission: ("/staff/inbox", re.compile(r'data-submission="(\d+)"')),
    ServiceGapReport: ("/staff/reports", re.compile(r'href="/staff/reports/(\d+)"')),
    ImprovementItem: ("/staff/improvements", re.compile(r'href="/staff/improvements/(\d+)"')),
}

# name: (title, description)
ROWS = {
    "A": ("国际漫游资费 Alpha", "SIM卡无法使用"),
    "B": ("排队时间过长 Beta", "=SUM(A1) 表格 100% 不对"),
    "C": ("Roaming BILL shock", 'He said "quote" and a_b * AND NEAR - done'),
    "D": ("网上营业厅 Delta", ""),
    "E": ("卡", "x"),
}

QUERIES = [
    # Chinese: 1, 2, 3+ characters
    ("卡", "AE"), ("漫游", "A"), ("国际漫游", "A"), ("排队时间过长", "B"), ("营业", "D"),
    ("时间过长 Beta", "B"),
    # Latin, any case: 1, 2, 3+ characters
    ("a", "ABCD"), ("su", "B"), ("SUM", "B"), ("sum(a1)", "B"), ("roaming", "C"),
    ("ROAMING bill", "C"), ("Bill", "C"),
    # wildcards, quotes and FTS5 syntax are plain characters
    ("%", "B"), ("100%", "B"), ("_", "C"), ("a_b", "C"), ('"', "C"), ('"quote"', "C"),
    ("*", "C"), ("* AND", "C"), ("AND", "C"), ("NEAR", "C"), ("-", "C"), ("- done", "C"),
    ("(A1)", "B"), ("'", ""), ("%%", ""), ("a%b", ""), ("NEAR(", ""), ("OR", ""),
    # nothing
    ("zz", ""), ("不存在的", ""), ("x", "E"), ("xy", ""),
]


@pytest.fixture(params=["few", "many", "all", "dense"])
def way(request, monkeypatch):
    """Which way `matches` takes. "few": the index's candidates as a list of ids. "many": on
    SQLite the newest candidates (here 2) from the index and older rows by the exact test, on
    PostgreSQL the index as a subquery or the planner's choice. "all": on SQLite every candidate
    from the index (fewer than NEWEST). "dense": the exact test alone."""
    if request.param in ("many", "all"):
        monkeypatch.setattr(search, "CANDIDATES_MAX", 0)
        monkeypatch.setattr(search, "NEWEST", 2 if request.param == "many" else 10**6)
    elif request.param == "dense":
        monkeypatch.setitem(search.DENSE_HITS, "sqlite", 0)
        monkeypatch.setitem(search.DENSE_HITS, "postgresql", 0)
    return request.param


def _make(dbs, model, member, title: str, description: str):
    if model is Submission:
        return make_submission(dbs, member, title=title, description=description)
    if model is ServiceGapReport:
        return make_gap_report(dbs, member, title=title, description=description)
    return make_item(dbs, title=title, description=description)


def _found(client, model, q: str, **filters) -> set[int]:
    page, row = LISTS[model]
    args = "".join(f"&{k}={quote(str(v))}" for k, v in filters.items())
    response = client.get(f"{page}?q={quote(q)}{args}")
    assert response.status_code == 200, (q, response.status_code)
    return {int(i) for i in row.findall(response.get_data(as_text=True))}


def _total(client, q: str) -> int:
    """The inbox's count of a search (SQLite counts it in the index, where that is exact)."""
    html = client.get(f"/staff/inbox?q={quote(q)}").get_data(as_text=True)
    found = re.search(r'data-testid="inbox-total">([\d,]+) in all<', html)
    return int(found.group(1).replace(",", "")) if found else 0


def _in_step(dbs, model) -> None:
    """SQLite: the FTS5 tables hold exactly the table's rows, and the trigram index agrees with
    the text (FTS5's integrity check reads the external content)."""
    if dbs.get_bind().dialect.name != "sqlite":
        return
    name = model.__tablename__
    rows = dbs.scalar(select(func.count()).select_from(model))
    for fts in (search.trigram_table(name), search.pairs_table(name)):
        assert dbs.scalar(text(f"SELECT count(*) FROM {fts}_docsize")) == rows, fts
    dbs.execute(text(f"INSERT INTO {search.trigram_table(name)}({search.trigram_table(name)})"
                     " VALUES ('integrity-check')"))
    dbs.commit()


def _index_ids(dbs, model, q: str) -> set[int]:
    """The ids the index names for `q`, before the exact test (SQLite: its FTS5 tables)."""
    if dbs.get_bind().dialect.name == "sqlite":
        return set(dbs.scalars(search._fts_ids(model.__tablename__, q)))
    return set(dbs.scalars(select(model.id).where(search._indexed(model, q))))


@pytest.mark.parametrize("model", list(LISTS), ids=lambda m: m.__tablename__)
def test_any_substring_is_found_literally_in_any_case(office_client, dbs, member, model, way):
    made = {name: _make(dbs, model, member, *text_).id for name, text_ in ROWS.items()}
    for q, names in QUERIES:
        assert _found(office_client, model, q) == {made[n] for n in names}, (q, way)
        if model is Submission:
            assert _total(office_client, q) == len(names), (q, way)
    _in_step(dbs, model)


def test_the_count_of_a_search_is_the_exact_tests_in_every_case(office_client, dbs, member):
    # The index counts what the exact test finds: ASCII case folded alike, a word past the
    # paired part of a long text, and (counted by the exact test) a non-ASCII letter with a
    # case, which the trigram tokenizer would fold and the exact test does not.
    rows = [("École Alpha", "x"), ("ÉCOLE", "y"), ("ALPHA", "y" * search.PAIRED_MAX + "漫游 z"),
            ("alpha 漫游", "卡"), ("漫", ""), ("tilde ~", "")]
    for title, description in rows:
        make_submission(dbs, member, title=title, description=description)
    # "~" would also match the long texts' own marker in the index.
    for q, n in (("alpha", 3), ("ALP", 3), ("漫游", 2), ("漫", 3), ("卡", 1), ("z", 1),
                 ("cole", 2), ("~", 1), ("~l", 0), ("~long~", 0)):
        assert _total(office_client, q) == n == len(_found(office_client, Submission, q)), q
    # Non-ASCII case: SQLite folds ASCII only, PostgreSQL's lower() every letter; either way
    # the count is what the list finds.
    for q in ("éco", "ÉCOLE", "École", "é", "É"):
        assert _total(office_client, q) == len(_found(office_client, Submission, q)), q


def test_search_combines_with_the_other_filters(office_client, dbs, member, way):
    a = make_submission(dbs, member, title="漫游 one", commitment="roaming", severity=3)
    make_submission(dbs, member, title="漫游 two", commitment="roaming", severity=2)
    make_submission(dbs, member, title="排队 three", commitment="roaming", severity=3)
    assert _found(office_client, Submission, "漫游", commitment="roaming", severity=3) == {a.id}
    assert _found(office_client, Submission, "漫", commitment="roaming", severity=3) == {a.id}


@pytest.mark.parametrize("model", list(LISTS), ids=lambda m: m.__tablename__)
def test_an_edit_moves_the_row_in_the_index(office_client, dbs, member, model, way):
    row = _make(dbs, model, member, "旧标题 Oldtitle", "旧的描述 old body")
    other = _make(dbs, model, member, "别的 other", "无关 unrelated")
    row.title, row.description = "新标题 Newtitle", "新的描述 new body"
    dbs.commit()
    for q in ("旧", "旧标", "旧标题", "Oldtitle", "old body", "的描述 old"):
        assert _found(office_client, model, q) == set(), q
        assert row.id not in _index_ids(dbs, model, q), q
    for q in ("新", "新标", "新标题", "newTITLE", "new body", "的描述 new"):
        assert _found(office_client, model, q) == {row.id}, q
    # Only the title, through a Core UPDATE: the description stays found.
    dbs.execute(update(model).where(model.id == row.id).values(title="第三 Third"))
    dbs.commit()
    assert _found(office_client, model, "新标题") == set()
    assert _found(office_client, model, "第三") == {row.id}
    assert _found(office_client, model, "new body") == {row.id}
    assert _found(office_client, model, "无关") == {other.id}
    _in_step(dbs, model)


@pytest.mark.parametrize("model", list(LISTS), ids=lambda m: m.__tablename__)
def test_a_deleted_row_leaves_the_index(office_client, dbs, member, model, way):
    gone = _make(dbs, model, member, "删掉的 Gone", "再见 bye")
    kept = _make(dbs, model, member, "留下的 Kept", "你好 hello")
    gone_id = gone.id
    dbs.execute(delete(model).where(model.id == gone_id))
    dbs.commit()
    for q in ("删", "删掉", "删掉的", "Gone", "bye"):
        assert _found(office_client, model, q) == set(), q
        assert gone_id not in _index_ids(dbs, model, q), q
    assert _found(office_client, model, "留下") == {kept.id}
    _in_step(dbs, model)


def test_a_cascade_delete_leaves_the_index(office_client, dbs, member, way):
    submission = make_gap_submission(dbs, member, title="级联 Cascade", description="随报告删除")
    kept = make_gap_submission(dbs, member, title="保留 Kept", description="还在")
    submission_id = submission.id
    # The database deletes the inbox row with its report (ON DELETE CASCADE), not the ORM.
    dbs.execute(delete(ServiceGapReport).where(ServiceGapReport.id == submission.gap_report_id))
    dbs.commit()
    assert dbs.get(Submission, submission_id, populate_existing=True) is None
    for q in ("级", "级联", "Cascade", "随报告删除"):
        assert _found(office_client, Submission, q) == set(), q
        assert _found(office_client, ServiceGapReport, q) == set(), q
        assert submission_id not in _index_ids(dbs, Submission, q), q
    assert _found(office_client, Submission, "保留") == {kept.id}
    _in_step(dbs, Submission)
    _in_step(dbs, ServiceGapReport)


def test_core_bulk_inserts_are_indexed(office_client, dbs, member, way):
    rows = [dict(kind="opinion", member_id=member.id, title=f"批量 Bulk {n}", description="核心插入",
                 status="new", tags=[], low_score=False, version=1,
                 submitted_at=SUBMISSION_BASE_TIME, updated_at=SUBMISSION_BASE_TIME) for n in range(3)]
    dbs.execute(insert(Submission), rows)
    dbs.commit()
    ids = set(dbs.scalars(select(Submission.id)))
    assert len(ids) == 3
    for q in ("批", "批量", "bulk", "Bulk 1", "核心插入"):
        expected = {i for i, r in zip(sorted(ids), rows, strict=True) if q.lower() in
                    (r["title"] + r["description"]).lower()}
        assert _found(office_client, Submission, q) == expected, q
    _in_step(dbs, Submission)


def test_emptying_the_tables_empties_the_index(app, dbs, member):
    make_submission(dbs, member, title="清空 Empty")
    make_gap_report(dbs, member, title="清空 Empty")
    make_item(dbs, title="清空 Empty")
    dbs.close()
    _empty_all_tables(app)  # what tests/conftest.py does after every test
    for model in LISTS:
        assert _index_ids(dbs, model, "清") == set()
        assert _index_ids(dbs, model, "清空 Empty") == set()
        _in_step(dbs, model)


def test_the_triggers_are_there_at_the_head(dbs):
    """A later migration that rebuilds one of these tables on SQLite must create them again."""
    if dbs.get_bind().dialect.name != "sqlite":
        pytest.skip("PostgreSQL searches through plain indexes")
    names = set(dbs.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
    for table in search.SEARCHED_TABLES:
        assert {f"search_{table}_{event}" for event in ("insert", "update", "delete")} <= names


def test_a_long_text_is_found_by_a_short_query_past_its_paired_part(office_client, dbs, member,
                                                                      way):
    # SQLite pairs the first PAIRED_MAX characters; past them the exact test finds the word
    # (the index names every longer text as a candidate of a short query).
    row = make_submission(dbs, member, title="Long", description="x" * search.PAIRED_MAX + "漫游")
    make_submission(dbs, member, title="Short", description="x")
    assert _found(office_client, Submission, "漫游") == {row.id}
    assert _found(office_client, Submission, "漫") == {row.id}
    assert _found(office_client, Submission, "x漫游") == {row.id}
    _in_step(dbs, Submission)
