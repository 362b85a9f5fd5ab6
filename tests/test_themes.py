"""What members are saying: segmentation and stop words, the maintained counts on a known data set
(arrival, edit, re-submission, rebuild), the office dashboard's box (periods, commitment filter,
links to the submissions, a fixed number of statements) and the trial results page's box."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from portal import domain
from portal.gaps.models import ServiceGapReport
from portal.opinions.models import Opinion
from portal.themes import services, text
from portal.themes.models import ThemeDay, ThemeDocument
from portal.trials.models import Answer, Evaluation
from tests import factories
from tests.queries import count_queries

TODAY = date(2026, 3, 15)  # a Shanghai date
DASHBOARD = "/staff/dashboard"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def fixed_today(monkeypatch):
    monkeypatch.setattr(domain, "shanghai_today", lambda: TODAY)
    return TODAY


# --- segmentation -----------------------------------------------------------------------------


@pytest.mark.parametrize("sentence, expected", [
    ("地铁里５Ｇ信号很差，经常掉线。", ["地铁", "5g", "信号", "很差", "掉线"]),
    ("营业厅排队时间太长，客服热线也打不通。", ["营业厅", "排队", "时间", "客服热线", "不通"]),
    ("携号转网太麻烦，营业厅不给办。", ["携号转网", "麻烦", "营业厅"]),
    ("装维师傅上门很及时，宽带2次断网。", ["装维", "师傅", "上门", "及时", "宽带", "断网"]),
    ("国际漫游话费太贵", ["国际漫游", "话费", "太贵"]),
    ("The 5G signal drops in the METRO, and the hotline is slow!!! 2024 10086 a I",
     ["5g", "signal", "drops", "metro", "hotline", "slow", "10086"]),
])
def test_known_sentences_are_cut_into_their_themes(sentence, expected):
    assert text.terms(sentence) == expected


def test_telecom_words_stay_whole():
    for word in ("客服热线", "携号转网", "装维", "营业厅", "流量", "套餐", "漫游", "话费", "宽带", "信号"):
        assert text.terms(f"我觉得{word}需要改进") == [word, "改进"], word


def test_variants_of_case_and_width_are_one_theme_shown_in_the_dictionary_form():
    assert text.terms("5G ５Ｇ 5g ５ｇ") == ["5g"]
    assert text.display("5g") == "5G"
    assert text.terms("SIGNAL Signal ｓｉｇｎａｌ") == ["signal"]
    assert text.display("signal") == "signal"


def test_stop_words_numbers_punctuation_and_single_characters_are_dropped():
    assert text.terms("的 了 很 希望 觉得 非常 the and is very please") == []
    assert text.terms("2024年3月15日 12.5 100% ！？。，…… ——") == []
    assert text.terms("") == [] and text.terms(None) == []
    # ... but not the operator's number, which the user dictionary names.
    assert text.terms("打10086") == ["10086"]


def test_the_dictionary_is_loaded_once_per_process():
    assert text.tokenizer() is text.tokenizer()


# --- the known data set -----------------------------------------------------------------------
#
# 30 days back from TODAY start on 2026-02-14; 90 days on 2025-12-16.
#   gap A  network_quality  2026-03-10  地铁 5g 信号 很差 掉线
#   gap B  counter_service  2026-03-12  营业厅 排队 时间 客服热线 不通
#   opinion C               2026-03-14  5g 套餐 便宜 流量 不够
#   opinion D               2026-01-20  携号转网 麻烦 营业厅         (in 90 days, not in 30)
#   evaluation E            2026-03-13  5g 信号 地铁 网速
#   opinion F               2025-06-01  5g 套餐                      (in none of the periods)


@pytest.fixture
def known(app, dbs, member, fixed_today):
    a = factories.make_gap_report(dbs, member, commitment="network_quality", title="地铁5G信号差",
                                  description="地铁里５Ｇ信号很差，经常掉线。",
                                  created_at=utc(2026, 3, 10, 2))
    b = factories.make_gap_report(dbs, member, commitment="counter_service", title="营业厅排队",
                                  description="营业厅排队时间太长，客服热线也打不通。",
                                  created_at=utc(2026, 3, 12, 2))
    consultation = factories.make_consultation(dbs)
    c = factories.make_opinion(dbs, member, consultation, text="希望5G套餐便宜一点，流量不够用。",
                               created_at=utc(2026, 3, 14, 2))
    d = factories.make_opinion(dbs, factories.make_user(dbs), consultation,
                               text="携号转网太麻烦，营业厅不给办。", created_at=utc(2026, 1, 20, 2))
    f = factories.make_opinion(dbs, factories.make_user(dbs), consultation,
                               text="5G套餐", created_at=utc(2025, 6, 1, 2))
    for model, row in ((ServiceGapReport, a), (ServiceGapReport, b), (Opinion, c), (Opinion, d),
                       (Opinion, f)):
        factories.send_received(app, model, row.id)
    trial = factories.make_trial(dbs, status="running", title="地铁 5G 体验")
    factories.make_enrollment(dbs, trial, member)
    e = _submitted_evaluation(dbs, trial, member, "5G信号在地铁里很好，网速快。", utc(2026, 3, 13, 2))
    factories.send_received(app, Evaluation, e.id, answers=_frozen(trial, "5G信号在地铁里很好，网速快。"))
    return dict(a=a, b=b, c=c, d=d, e=e, f=f, trial=trial)


def _frozen(trial, answer: str) -> dict:
    q = next(q for q in trial.questions if q.kind == "text")
    return {str(q.id): {"position": q.position, "prompt": q.prompt, "kind": "text", "text": answer}}


def _submitted_evaluation(dbs, trial, member, answer: str, at: datetime) -> Evaluation:
    q = next(q for q in trial.questions if q.kind == "text")
    ev = Evaluation(trial_id=trial.id, member_id=member.id, status="submitted", version=1,
                    submitted_at=at)
    ev.answers = [Answer(question_id=q.id, text=answer)]
    dbs.add(ev)
    dbs.commit()
    return ev


def _counts(app, days, commitment=None) -> dict[str, int]:
    with app.test_request_context():
        return {t.word: t.count for t in services.top_themes(days, commitment, limit=100)}


def _maintained(dbs) -> dict[tuple, int]:
    dbs.expire_all()
    return {(str(r.day), r.kind, r.commitment, r.term): r.n for r in dbs.scalars(select(ThemeDay))}


def test_counts_per_period_and_commitment_on_the_known_data_set(app, known):
    last_30 = _counts(app, 30)
    assert last_30["5G"] == 3  # A, C and E; F is older than every period
    assert last_30["信号"] == 2 and last_30["地铁"] == 2
    assert last_30["营业厅"] == 1 and "携号转网" not in last_30
    assert "很" not in last_30 and "的" not in last_30
    last_90 = _counts(app, 90)
    assert last_90["营业厅"] == 2 and last_90["携号转网"] == 1 and last_90["5G"] == 3
    assert _counts(app, 365)["5G"] == 4
    assert _counts(app, 90, "network_quality") == {"5G": 1, "信号": 1, "地铁": 1, "很差": 1, "掉线": 1}
    assert _counts(app, 90, "roaming") == {}


def test_an_edit_moves_the_counts_and_a_rebuild_finds_nothing_to_change(app, dbs, known):
    opinion = dbs.get(Opinion, known["c"].id)
    opinion.text = "漫游话费太贵"
    dbs.commit()
    factories.send_received(app, Opinion, opinion.id)
    last_30 = _counts(app, 30)
    assert last_30["5G"] == 2 and "套餐" not in last_30 and last_30["话费"] == 1
    # Re-sent unchanged (a second signal): nothing counts twice.
    factories.send_received(app, Opinion, opinion.id)
    assert _counts(app, 30) == last_30
    before = _maintained(dbs)
    assert all(n > 0 for n in before.values())
    with app.test_request_context():
        assert services.rebuild(batch=2) == 6
    assert _maintained(dbs) == before


def test_a_resubmitted_evaluation_leaves_its_old_day_and_words(app, dbs, known):
    trial, e = known["trial"], known["e"]
    ev = dbs.get(Evaluation, e.id)
    ev.submitted_at, ev.version = utc(2026, 3, 14, 3), 2
    dbs.commit()
    factories.send_received(app, Evaluation, ev.id, answers=_frozen(trial, "营业厅的宽带套餐不错"))
    last_30 = _counts(app, 30)
    assert last_30["5G"] == 2 and last_30["信号"] == 1 and last_30["宽带"] == 1
    assert last_30["营业厅"] == 2
    assert not [k for k in _maintained(dbs) if k[0] == "2026-03-13"]
    document = dbs.scalar(select(ThemeDocument).where(ThemeDocument.source_id == ev.id,
                                                      ThemeDocument.kind == "evaluation"))
    assert document.day == date(2026, 3, 14)


# --- the office dashboard ---------------------------------------------------------------------


def _theme_rows(html: str) -> dict[str, tuple[int, str | None]]:
    """The themes box: {word: (count, link)}."""
    box = html.split('data-testid="dash-themes"', 1)[1].split("</section>", 1)[0]
    rows = {}
    for row in re.findall(r'<tr data-theme="[^"]*">(.*?)</tr>', box, re.S):
        link = re.search(r'<a href="([^"]+)">([^<]+)</a>', row)
        word = link.group(2) if link else re.search(r"<span[^>]*>([^<]+)</span>", row).group(1)
        count = int(re.search(r'class="theme-count">([\d,]+)<', row).group(1).replace(",", ""))
        rows[unescape(word)] = (count, unescape(link.group(1)) if link else None)
    return rows


def test_the_dashboard_shows_the_top_themes_with_counts_in_text(office_client, known):
    html = office_client.get(DASHBOARD).get_data(as_text=True)
    assert "What members are saying" in html
    rows = _theme_rows(html)
    assert list(rows)[0] == "5G" and rows["5G"][0] == 3  # the biggest first
    assert rows["营业厅"][0] == 2  # 90 days unless chosen
    assert len(rows) == 10  # of 17 themes: the top ten, ties in the words' order
    assert list(rows)[:4] == ["5G", "信号", "地铁", "营业厅"]
    assert 'aria-hidden="true"' in html.split('data-testid="dash-themes"', 1)[1]


def test_the_dashboard_period_and_commitment_filters(office_client, known):
    rows = _theme_rows(office_client.get(DASHBOARD + "?themes_period=30").get_data(as_text=True))
    # 营业厅 has one mention in 30 days (two in 90): no longer among the twice mentioned.
    assert [w for w, (n, _link) in rows.items() if n >= 2] == ["5G", "信号", "地铁"]
    html = office_client.get(DASHBOARD + "?themes_period=30&themes_commitment=counter_service&window=30"
                             ).get_data(as_text=True)
    assert set(_theme_rows(html)) == {"营业厅", "排队", "时间", "客服热线", "不通"}
    assert "Only service-gap reports have a service commitment" in html
    assert 'name="window" value="30"' in html  # the gap table's window is kept
    html = office_client.get(DASHBOARD + "?themes_commitment=roaming").get_data(as_text=True)
    assert "No data yet: no texts in this period." in html
    # Unknown values fall back to the defaults.
    assert _theme_rows(office_client.get(DASHBOARD + "?themes_period=7&themes_commitment=x")
                       .get_data(as_text=True))["营业厅"][0] == 2


def test_a_theme_links_to_the_submissions_behind_it(office_client, known):
    rows = _theme_rows(office_client.get(DASHBOARD + "?themes_period=30").get_data(as_text=True))
    count, link = rows["信号"]
    args = parse_qs(urlsplit(link).query)
    assert urlsplit(link).path == "/staff/inbox"
    assert args == {"q": ["信号"], "date_from": ["2026-02-14"]}
    inbox = office_client.get(link).get_data(as_text=True)
    listed = set(re.findall(r'href="/staff/inbox/(\d+)"', inbox))
    assert len(listed) == count == 2
    count, link = _theme_rows(office_client.get(
        DASHBOARD + "?themes_commitment=counter_service").get_data(as_text=True))["客服热线"]
    assert parse_qs(urlsplit(link).query)["commitment"] == ["counter_service"]
    inbox = office_client.get(link).get_data(as_text=True)
    assert len(set(re.findall(r'href="/staff/inbox/(\d+)"', inbox))) == 1


def test_the_dashboard_box_in_chinese(office_client, known):
    office_client.language("zh_Hans")
    html = office_client.get(DASHBOARD).get_data(as_text=True)
    box = html.split('data-testid="dash-themes"', 1)[1].split("</section>", 1)[0]
    assert "最近 90 天" in box and _theme_rows(html)["5G"][0] == 3


def test_the_dashboard_statement_count_does_not_grow_with_themes(app, dbs, office_client,
                                                                 fixed_today):
    consultation = factories.make_consultation(dbs)

    def arrange(n, start):
        for i in range(start, start + n):
            o = factories.make_opinion(dbs, factories.make_user(dbs), consultation,
                                       text=f"话题{i}很重要，宽带第{i}号问题",
                                       created_at=utc(2026, 3, 1 + i % 14, 2))
            factories.send_received(app, Opinion, o.id)

    arrange(2, 0)
    few, _ = count_queries(app, office_client, DASHBOARD)
    arrange(20, 2)
    many, statements = count_queries(app, office_client, DASHBOARD + "?themes_period=365")
    assert few == many, statements


def test_staff_without_the_dashboard_do_not_see_it(product_client):
    assert product_client.get(DASHBOARD).status_code == 403


# --- the trial results page -------------------------------------------------------------------


def test_the_results_page_shows_the_trials_themes_linked_to_its_answers(app, dbs, product_user, client,
                                                                          member):
    trial = factories.make_trial(dbs, status="running", created_by_id=product_user.id)
    answers = ["宽带经常断网，客服热线打不通", "宽带很快", "客服热线态度好", None]
    for i, answer in enumerate(answers):
        m = factories.make_user(dbs)
        factories.make_enrollment(dbs, trial, m)
        ev = Evaluation(trial_id=trial.id, member_id=m.id, status="submitted", version=1,
                        submitted_at=utc(2026, 3, 1, i))
        ev.answers = [Answer(question_id=trial.questions[0].id, number=4)]
        if answer:
            ev.answers.append(Answer(question_id=trial.questions[2].id, text=answer))
        dbs.add(ev)
        dbs.commit()
        if i == 0:  # one arrived through the signal (a document), the others are older data
            factories.send_received(app, Evaluation, ev.id, answers=_frozen(trial, answer))
    from tests.conftest import login

    login(client, product_user)
    url = f"/staff/trials/{trial.id}/results"
    html = client.get(url).get_data(as_text=True)
    box = html.split('data-testid="trial-themes"', 1)[1].split("</section>", 1)[0]
    found = {unescape(w): (int(n), unescape(h)) for h, w, n in re.findall(
        r'<a href="([^"]+)">([^<]+)</a></span></th>\s*<td class="num"><span class="theme-count">(\d+)<',
        box)}
    assert found["宽带"][0] == 2 and found["客服热线"][0] == 2 and found["断网"][0] == 1
    link = found["客服热线"][1]
    assert link.startswith(url) and link.endswith("#free-text")
    listed = client.get(link.split("#")[0]).get_data(as_text=True).split('id="free-text"', 1)[1]
    assert "宽带经常断网，客服热线打不通" in listed and "客服热线态度好" in listed
    assert "宽带很快" not in listed


def test_a_results_page_without_text_answers_says_so(dbs, product_user, client):
    trial = factories.make_trial(dbs, status="running", created_by_id=product_user.id)
    from tests.conftest import login

    login(client, product_user)
    html = client.get(f"/staff/trials/{trial.id}/results").get_data(as_text=True)
    assert 'data-testid="trial-themes"' in html and "No free-text answers yet." in html


def test_a_full_width_search_on_the_results_page_finds_half_width_answers(dbs, product_user, client):
    trial = factories.make_trial(dbs, status="running", created_by_id=product_user.id)
    m = factories.make_user(dbs)
    factories.make_enrollment(dbs, trial, m)
    ev = Evaluation(trial_id=trial.id, member_id=m.id, status="submitted", version=1,
                    submitted_at=utc(2026, 3, 1) + timedelta(hours=1))
    ev.answers = [Answer(question_id=trial.questions[2].id, text="５Ｇ很快")]
    dbs.add(ev)
    dbs.commit()
    from tests.conftest import login

    login(client, product_user)
    html = client.get(f"/staff/trials/{trial.id}/results?q=5g").get_data(as_text=True)
    assert "５Ｇ很快" in html.split('id="free-text"', 1)[1]
