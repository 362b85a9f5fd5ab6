"""The index formula and the panel's own figures against hand-computed values."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from portal.index import services
from portal.index.models import IndexFigure
from portal.trials.models import Answer, Evaluation
from tests.factories import make_gap_report, make_trial, make_user
from tests.index.helpers import FIXED, make_period


def fig(component, commitment, own, competitor=None):
    return IndexFigure(component=component, commitment=commitment, own_value=own,
                       competitor_value=competitor)


def test_components_and_index_by_hand():
    scores = services.component_scores([fig(*f) for f in FIXED])
    # S = (80 + 70 + 90) / 3; B = 50 + 2.5 x (84 - 80); W = 50 + (30 - 10) / 2
    assert scores == {"satisfaction": 80, "satisfaction_benchmark": 60, "word_of_mouth": 60}
    value, used = services.combine(scores, {"satisfaction": 40, "satisfaction_benchmark": 30,
                                            "word_of_mouth": 30})
    assert value == pytest.approx(0.4 * 80 + 0.3 * 60 + 0.3 * 60) == pytest.approx(68)
    assert used == pytest.approx({"satisfaction": .4, "satisfaction_benchmark": .3,
                                  "word_of_mouth": .3})


def test_benchmark_without_overall_uses_the_areas_mean():
    scores = services.component_scores([
        fig("satisfaction_benchmark", "e_channels", 80, 70),
        fig("satisfaction_benchmark", "roaming", 76, 78),
    ])
    # own mean 78, competitor mean 74: 50 + 2.5 x 4
    assert scores["satisfaction_benchmark"] == pytest.approx(60)
    assert scores["satisfaction"] is None and scores["word_of_mouth"] is None


def test_scores_are_clamped_to_0_100():
    scores = services.component_scores([
        fig("satisfaction_benchmark", "", 100, 50), fig("word_of_mouth", "", -100, 100),
    ])
    assert scores["satisfaction_benchmark"] == 100
    assert scores["word_of_mouth"] == 0


def test_weights_are_renormalized_over_the_components_with_data():
    scores = {"satisfaction": 80.0, "satisfaction_benchmark": None, "word_of_mouth": 60.0}
    value, used = services.combine(scores, {"satisfaction": 40, "satisfaction_benchmark": 30,
                                            "word_of_mouth": 30})
    assert value == pytest.approx((40 * 80 + 30 * 60) / 70)
    assert used == pytest.approx({"satisfaction": 4 / 7, "word_of_mouth": 3 / 7})
    # Weights need not sum to 100.
    value, _ = services.combine(scores, {"satisfaction": 1, "satisfaction_benchmark": 1,
                                         "word_of_mouth": 1})
    assert value == pytest.approx(70)


def test_no_data_gives_no_index_and_no_division_by_zero():
    scores = services.component_scores([])
    assert scores == {"satisfaction": None, "satisfaction_benchmark": None, "word_of_mouth": None}
    assert services.combine(scores, {"satisfaction": 40}) == (None, {})
    # Only a component whose weight is zero: no index either.
    only = {"satisfaction": 80.0, "satisfaction_benchmark": None, "word_of_mouth": None}
    assert services.combine(only, {"satisfaction": 0, "satisfaction_benchmark": 50,
                                   "word_of_mouth": 50}) == (None, {})


def test_series_and_latest_index(app, dbs):
    with app.app_context():
        assert services.index_series() == []
        assert services.latest_index() is None
    make_period(dbs, "2026-09", date(2026, 9, 1), date(2026, 9, 30), figures=FIXED)
    make_period(dbs, "2026-10", date(2026, 10, 1), date(2026, 10, 31))  # empty: no data yet
    with app.app_context():
        series = services.index_series()
        assert [r.label for r in series] == ["2026-09", "2026-10"]
        assert series[0].value == pytest.approx(68)
        assert series[1].value is None
        latest = services.latest_index()
        assert latest.label == "2026-09" and latest.value == pytest.approx(68)


def _evaluation(dbs, trial, submitted_at, rating, nps, status="submitted"):
    member = make_user(dbs)
    rating_q, nps_q = trial.questions[0], trial.questions[1]
    evaluation = Evaluation(trial_id=trial.id, member_id=member.id, status=status, version=1,
                            submitted_at=submitted_at)
    evaluation.answers = [Answer(question_id=rating_q.id, number=rating),
                          Answer(question_id=nps_q.id, number=nps)]
    dbs.add(evaluation)
    dbs.commit()


def test_panel_figures_by_hand(app, dbs):
    period = make_period(dbs)
    trial = make_trial(dbs)
    utc = UTC
    # 2026-09-30 16:30 UTC is 1 October 00:30 in Shanghai: inside the period.
    _evaluation(dbs, trial, datetime(2026, 9, 30, 16, 30, tzinfo=utc), rating=5, nps=10)
    _evaluation(dbs, trial, datetime(2026, 10, 15, 8, tzinfo=utc), rating=3, nps=9)
    _evaluation(dbs, trial, datetime(2026, 10, 20, 8, tzinfo=utc), rating=None, nps=7)
    _evaluation(dbs, trial, datetime(2026, 10, 31, 15, tzinfo=utc), rating=4, nps=3)
    # Outside: 1 November 00:30 in Shanghai, and a draft.
    _evaluation(dbs, trial, datetime(2026, 10, 31, 16, 30, tzinfo=utc), rating=1, nps=0)
    _evaluation(dbs, trial, datetime(2026, 10, 10, tzinfo=utc), rating=1, nps=0, status="draft")
    reporter = make_user(dbs)
    make_gap_report(dbs, reporter, commitment="counter_service", severity=2,
                    occurred_at=datetime(2026, 10, 3, tzinfo=utc))
    make_gap_report(dbs, reporter, commitment="counter_service", severity=4,
                    occurred_at=datetime(2026, 10, 4, tzinfo=utc))
    make_gap_report(dbs, reporter, commitment="roaming", severity=1,
                    occurred_at=datetime(2026, 10, 5, tzinfo=utc))
    make_gap_report(dbs, reporter, commitment="roaming", severity=4,
                    occurred_at=datetime(2026, 11, 5, tzinfo=utc))  # outside
    with app.app_context():
        panel = services.panel_figures(period)
    assert panel.evaluations == 4
    # ratings 5, 3, 4: mean 4 -> (4 - 1) / 4 x 100
    assert panel.ratings == 3 and panel.rating_mean == pytest.approx(75)
    # 10, 9 promoters; 7 passive; 3 detractor: (2 - 1) / 4 x 100
    assert panel.nps_answers == 4 and panel.nps == pytest.approx(25)
    assert panel.gaps["counter_service"] == {"count": 2, "mean_severity": pytest.approx(3)}
    assert panel.gaps["roaming"] == {"count": 1, "mean_severity": pytest.approx(1)}
    assert panel.gaps["network_quality"] == {"count": 0, "mean_severity": None}
    assert panel.gap_total == 3


def test_panel_figures_of_an_empty_period(app, dbs):
    period = make_period(dbs)
    with app.app_context():
        panel = services.panel_figures(period)
    assert panel.evaluations == 0 and panel.rating_mean is None and panel.nps is None
    assert panel.gap_total == 0
