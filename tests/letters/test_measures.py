"""The measures: each figure counted from the portal's own records, per month and summed up to
quarters and the year; periods and red/amber/green read as the office says them."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from portal.letters import domain
from portal.letters.domain import Period
from portal.letters.measures import MEASURES
from portal.trials.models import Answer, Evaluation
from tests import factories

YEAR = 2025
TODAY = date(2025, 12, 31)


def _moment(day: date, hour: int = 4) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def test_periods_parse_and_cover_their_months():
    assert Period.parse("2026").months == tuple(range(1, 13))
    assert Period.parse("2026-Q2").months == (4, 5, 6)
    assert Period.parse("2026-03").code == "2026-03"
    assert Period.parse("2026-03").end == date(2026, 4, 1)
    assert Period.parse("2026-Q4").end == date(2027, 1, 1)
    for bad in ("2026-13", "2026-Q5", "abc", "", None, "1900"):
        assert Period.parse(bad) is None
    assert Period(2026, quarter=1).holds(Period(2026, month=2))
    assert not Period(2026, month=2).holds(Period(2026, quarter=1))


@pytest.mark.parametrize("value,target,higher,state", [
    (95, 90, True, "green"), (88, 90, True, "amber"), (80, 90, True, "red"),
    (None, 90, True, "none"), (1.0, 1.5, False, "green"), (1.8, 1.5, False, "amber"),
    (3.0, 1.5, False, "red"), (95, None, True, None),
])
def test_red_amber_green(value, target, higher, state):
    assert domain.rag(value, target, higher, 5.0 if higher else 0.5) == state


def test_gap_reports_resolved_in_time_for_a_department_and_a_district(app, dbs, member):
    dep = factories.make_unit(dbs)
    branch = factories.make_unit(dbs, kind="district_branch", district="xuhui")
    other_branch = factories.make_unit(dbs, kind="district_branch", district="pudong")
    report = factories.make_gap_submission(dbs, member, district="xuhui")
    # In time, late, open past its due date; one still open but not yet due; one rejected.
    factories.make_item(dbs, [report], department_id=dep.id, status="done", due_on=date(2025, 3, 10),
                        closed_at=_moment(date(2025, 3, 9)))
    factories.make_item(dbs, [report], department_id=dep.id, status="verified", due_on=date(2025, 3, 20),
                        closed_at=_moment(date(2025, 3, 25)))
    factories.make_item(dbs, [report], department_id=dep.id, status="in_progress", due_on=date(2025, 5, 1))
    factories.make_item(dbs, department_id=dep.id, status="in_progress", due_on=date(2026, 1, 5))
    factories.make_item(dbs, department_id=dep.id, status="rejected", due_on=date(2025, 3, 1))
    measure = MEASURES["gaps_in_time"]
    with app.test_request_context():
        assert measure.value(dep, Period(YEAR), TODAY) == pytest.approx(33.3)
        assert measure.value(dep, Period(YEAR, quarter=1), TODAY) == 50.0
        assert measure.value(dep, Period(YEAR, month=3), TODAY) == 50.0
        assert measure.value(dep, Period(YEAR, month=4), TODAY) is None
        # The branch of the reports' district counts the items answering them; another none.
        assert measure.value(branch, Period(YEAR), TODAY) == pytest.approx(33.3)
        assert measure.value(other_branch, Period(YEAR), TODAY) is None
        rows = list(factories_rows(measure, dep, Period(YEAR)))
    assert [bool(ok) for _, ok in rows] == [False, False, True]


def factories_rows(measure, unit, period):
    from portal.db import db

    return db.execute(measure.records(unit, period, TODAY)).all()


def test_fix_confirmation_rate(app, dbs, member):
    dep = factories.make_unit(dbs)
    branch = factories.make_unit(dbs, kind="district_branch", district="xuhui")
    subs = [factories.make_gap_submission(dbs, member, district="xuhui") for _ in range(3)]
    item = factories.make_item(dbs, subs, department_id=dep.id, status="done",
                               closed_at=_moment(date(2025, 2, 1)))
    for sub, fixed in zip(subs, (True, True, False), strict=True):
        factories.make_fix_confirmation(dbs, item, sub, fixed=fixed, answered_at=_moment(date(2025, 2, 3)))
    measure = MEASURES["fix_confirmed"]
    with app.test_request_context():
        assert measure.value(dep, Period(YEAR), TODAY) == pytest.approx(66.7)
        assert measure.value(branch, Period(YEAR, quarter=1), TODAY) == pytest.approx(66.7)
        assert measure.value(dep, Period(YEAR, quarter=2), TODAY) is None


def _evaluation(dbs, trial, member, rating: int, nps: int, when: datetime):
    evaluation = Evaluation(trial_id=trial.id, member_id=member.id, status="submitted", version=1,
                            submitted_at=when)
    evaluation.answers = [Answer(question_id=trial.questions[0].id, number=rating),
                          Answer(question_id=trial.questions[1].id, number=nps)]
    dbs.add(evaluation)
    dbs.commit()


def test_members_satisfaction_in_the_district(app, dbs):
    branch = factories.make_unit(dbs, kind="district_branch", district="xuhui")
    dep = factories.make_unit(dbs)
    trial = factories.make_trial(dbs)
    people = [factories.make_user(dbs, district="xuhui") for _ in range(3)]
    elsewhere = factories.make_user(dbs, district="pudong")
    for person, rating, nps in zip(people, (5, 4, 2), (10, 9, 3), strict=True):
        _evaluation(dbs, trial, person, rating, nps, _moment(date(2025, 6, 2)))
    _evaluation(dbs, trial, elsewhere, 1, 0, _moment(date(2025, 6, 2)))
    with app.test_request_context():
        assert MEASURES["member_rating"].value(branch, Period(YEAR), TODAY) == pytest.approx(3.67)
        # Two promoters, one detractor of three: +33.3.
        assert MEASURES["member_nps"].value(branch, Period(YEAR, month=6), TODAY) == pytest.approx(33.3)
        assert not MEASURES["member_rating"].applies_to(dep)
        assert MEASURES["member_rating"].value(dep, Period(YEAR), TODAY) is None


def test_typed_in_figures_count_in_their_month_quarter_and_year(app, dbs):
    from portal.letters import services

    office = factories.make_user(dbs, role="office")
    unit = factories.make_unit(dbs)
    with app.test_request_context():
        actor = services.db.get(type(office), office.id)
        services.set_entry(actor, unit.id, "survey_satisfaction", "2025-01", 80)
        services.set_entry(actor, unit.id, "survey_satisfaction", "2025-02", 90)
        services.set_entry(actor, unit.id, "survey_satisfaction", "2025-Q2", 70)
        services.set_entry(actor, unit.id, "survey_satisfaction", "2025-02", 88)  # a correction
        measure = MEASURES["survey_satisfaction"]
        assert measure.value(unit, Period(YEAR, month=2), TODAY) == 88
        assert measure.value(unit, Period(YEAR, quarter=1), TODAY) == 84
        assert measure.value(unit, Period(YEAR, quarter=2), TODAY) == 70
        assert measure.value(unit, Period(YEAR, month=4), TODAY) is None
        assert measure.value(unit, Period(YEAR), TODAY) == pytest.approx(79.33, abs=0.1)


def test_support_requests_answered_in_time(app, dbs):
    from portal.letters.measures import _support_model

    model = _support_model()
    if model is None:
        pytest.skip("portal.supervision has no SupportRequest model yet")
    dep = factories.make_unit(dbs)
    branch = factories.make_unit(dbs, kind="district_branch", district="xuhui")
    for in_time in (True, True, False, None):
        dbs.add(model(title="Need a SIM swap", category="other", branch_id=branch.id,
                      department_id=dep.id, filed_at=_moment(date(2025, 4, 2)),
                      responded_in_time=in_time))
    dbs.commit()
    measure = MEASURES["support_in_time"]
    with app.test_request_context():
        assert measure.value(dep, Period(YEAR), TODAY) == pytest.approx(66.7)
        assert measure.value(branch, Period(YEAR, quarter=2), TODAY) == pytest.approx(66.7)
        assert measure.value(branch, Period(YEAR, quarter=1), TODAY) is None


def test_every_measure_has_a_label_and_help(app):
    with app.test_request_context():
        for measure in MEASURES.values():
            assert str(measure.label) and str(measure.help)
            assert measure.kinds


