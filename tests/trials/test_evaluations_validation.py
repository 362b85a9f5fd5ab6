"""validate_answers: every answer checked by type and range, on the server."""
from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from portal.trials.evaluation_services import TEXT_MAX_LENGTH, is_low_score, snapshot, validate_answers
from portal.trials.models import Question

QUESTIONS = [
    Question(id=1, position=0, kind="rating", prompt="Rating", required=True, options=[]),
    Question(id=2, position=1, kind="nps", prompt="NPS", required=True, options=[]),
    Question(id=3, position=2, kind="single", prompt="Single", required=True, options=["A", "B"]),
    Question(id=4, position=3, kind="multiple", prompt="Multiple", required=False,
             options=["X", "Y", "Z"]),
    Question(id=5, position=4, kind="yesno", prompt="Yes/no", required=True, options=[]),
    Question(id=6, position=5, kind="text", prompt="Text", required=False, options=[]),
]
VALID = [("q-1", "5"), ("q-2", "0"), ("q-3", "B"), ("q-4", "Z"), ("q-4", "X"), ("q-5", "no"),
         ("q-6", "  Hello\r\nworld  ")]


@pytest.fixture(autouse=True)
def _request(app):
    with app.test_request_context():
        yield


def check(pairs, submitting=True):
    return validate_answers(QUESTIONS, MultiDict(pairs), submitting=submitting)


def test_valid_answers_are_cleaned():
    clean, errors = check(VALID)
    assert errors == {}
    assert clean == {1: 5, 2: 0, 3: "B", 4: ["X", "Z"], 5: "no", 6: "Hello\nworld"}


@pytest.mark.parametrize("qid,value", [
    (1, "6"), (1, "0"), (1, "-3"), (1, "abc"), (1, "3.5"), (1, "４"), (1, " "),
    (2, "11"), (2, "-1"), (2, "10.0"), (2, "0x5"),
    (3, "C"), (3, "a"),
    (5, "true"), (5, "YES"),
])
def test_wrong_values_give_an_error_for_their_question_only(qid, value):
    pairs = [(k, v) for k, v in VALID if k != f"q-{qid}"] + [(f"q-{qid}", value)]
    clean, errors = check(pairs, submitting=False)
    if value.strip() == "":
        assert errors == {} and clean[qid] is None  # blank is "not answered", fine in a draft
    else:
        assert list(errors) == [qid]
        assert clean[qid] is None


def test_bounds_are_inclusive():
    clean, errors = check([("q-1", "1"), ("q-2", "10"), ("q-6", "x" * TEXT_MAX_LENGTH)], submitting=False)
    assert errors == {} and clean[1] == 1 and clean[2] == 10


def test_text_over_the_limit_is_refused():
    _clean, errors = check([("q-6", "x" * (TEXT_MAX_LENGTH + 1))], submitting=False)
    assert list(errors) == [6]


def test_multiple_choice_must_be_a_subset_without_duplicates():
    assert list(check([("q-4", "X"), ("q-4", "X")], submitting=False)[1]) == [4]
    assert list(check([("q-4", "X"), ("q-4", "W")], submitting=False)[1]) == [4]
    assert check([("q-4", "Y")], submitting=False) == ({1: None, 2: None, 3: None, 4: ["Y"],
                                                        5: None, 6: None}, {})


def test_two_values_for_a_one_answer_question_are_refused():
    assert list(check([("q-3", "A"), ("q-3", "B")], submitting=False)[1]) == [3]


def test_required_only_when_submitting():
    _clean, errors = check([], submitting=True)
    assert sorted(errors) == [1, 2, 3, 5]
    assert check([], submitting=False)[1] == {}


def test_inputs_for_other_questions_are_ignored():
    clean, errors = check(VALID + [("q-99", "7"), ("q-", "x"), ("other", "y")])
    assert errors == {} and set(clean) == {1, 2, 3, 4, 5, 6}


def test_nul_characters_are_dropped_from_text():
    clean, _errors = check([("q-6", "a\x00b")], submitting=False)
    assert clean[6] == "ab"


@pytest.mark.parametrize("rating,nps,low", [(3, 7, False), (2, 9, True), (5, 6, True), (1, 0, True)])
def test_low_score_flag(rating, nps, low):
    assert is_low_score(snapshot(QUESTIONS, {1: rating, 2: nps})) is low
