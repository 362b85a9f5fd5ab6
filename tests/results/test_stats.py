"""Statistics against hand-computed values, and empty input (never a division by zero)."""
import pytest

from portal.results import stats


def test_mean_and_median():
    assert stats.mean([5, 4, 2, 3]) == 3.5
    assert stats.median([5, 4, 2, 3]) == 3.5
    assert stats.median([5, 1, 3]) == 3
    assert stats.mean([1, None, 2]) == 1.5
    assert stats.median([10]) == 10


def test_empty_input_is_none():
    assert stats.mean([]) is None
    assert stats.median([None]) is None
    assert stats.nps([]) is None
    assert stats.share(3, 0) is None
    assert stats.top_choice({"a": 0}) is None
    assert stats.distribution([], stats.RATING_SCALE) == {1: 0, 2: 0, 3: 0, 4: 0, 5: 0}
    assert stats.choice_counts([], ["a", "b"]) == {"a": 0, "b": 0}


def test_distribution_covers_the_full_scale():
    assert stats.distribution([5, 4, 4, None, 2, 9], stats.RATING_SCALE) == {1: 0, 2: 1, 3: 0, 4: 2, 5: 1}
    d = stats.distribution([0, 10, 10], stats.NPS_SCALE)
    assert list(d) == list(range(11)) and d[0] == 1 and d[10] == 2 and sum(d.values()) == 3


def test_nps_hand_computed():
    # promoters 10, 9; passive 8, 7; detractors 6, 0 -> 2/6 - 2/6 = 0
    r = stats.nps([10, 9, 8, 7, 6, 0])
    assert (r.promoters, r.passives, r.detractors, r.n) == (2, 2, 2, 6)
    assert r.score == 0
    # 10, 9, 8, 6 -> 50% - 25% = 25
    r = stats.nps([10, 9, 8, 6])
    assert r.score == 25
    assert (r.promoter_share, r.passive_share, r.detractor_share) == (50, 25, 25)
    assert stats.nps([0, 3]).score == -100
    assert stats.nps([9]).score == 100
    assert stats.nps([7, None]).score == 0


def test_choice_counts_and_top_choice():
    counts = stats.choice_counts(["A", "B", "A", None], ["A", "B", "C"])
    assert counts == {"A": 2, "B": 1, "C": 0}
    assert stats.top_choice(counts) == ("A", 2)
    multi = stats.choice_counts([["X", "Y"], ["X"], ["Z"], ["X", "Z"]], ["X", "Y", "Z"])
    assert multi == {"X": 3, "Y": 1, "Z": 2}
    # an option no longer offered is still counted, after the offered ones
    assert stats.choice_counts(["old", "A"], ["A"]) == {"A": 1, "old": 1}
    assert stats.share(1, 4) == pytest.approx(25.0)
