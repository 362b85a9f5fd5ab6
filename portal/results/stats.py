"""Statistics of evaluation answers as plain functions (no Flask, no database).

Every function is safe on empty input: it returns None (shown as "no data yet") instead of
dividing by zero.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

RATING_SCALE = tuple(range(1, 6))
NPS_SCALE = tuple(range(0, 11))
PROMOTER_MIN = 9
PASSIVE_MIN = 7


def _numbers(values: Iterable[float | int | None]) -> list[float | int]:
    return [v for v in values if v is not None]


def mean(values: Iterable[float | int | None]) -> float | None:
    """The arithmetic mean of the values that are not None; None when there are none."""
    numbers = _numbers(values)
    if not numbers:
        return None
    return sum(numbers) / len(numbers)


def median(values: Iterable[float | int | None]) -> float | None:
    """The median (mean of the two middle values for an even count); None when empty."""
    numbers = sorted(_numbers(values))
    n = len(numbers)
    if n == 0:
        return None
    middle = n // 2
    if n % 2:
        return float(numbers[middle])
    return (numbers[middle - 1] + numbers[middle]) / 2


def distribution(values: Iterable[int | None], scale: Sequence[int]) -> dict[int, int]:
    """How many times each value of `scale` occurs, zeros included, in the scale's order.
    Values outside the scale are ignored."""
    counts = Counter(v for v in values if v is not None)
    return {point: counts.get(point, 0) for point in scale}


def share(part: int, whole: int) -> float | None:
    """`part` as a percentage of `whole`; None when `whole` is 0."""
    if not whole:
        return None
    return 100.0 * part / whole


@dataclass(frozen=True)
class NpsResult:
    """Net Promoter Score of n answers on 0-10: promoters 9-10, passives 7-8, detractors 0-6;
    score = % promoters - % detractors (-100..100). Shares are percentages of n."""

    promoters: int
    passives: int
    detractors: int
    n: int

    @property
    def score(self) -> float:
        return 100.0 * (self.promoters - self.detractors) / self.n

    @property
    def promoter_share(self) -> float:
        return 100.0 * self.promoters / self.n

    @property
    def passive_share(self) -> float:
        return 100.0 * self.passives / self.n

    @property
    def detractor_share(self) -> float:
        return 100.0 * self.detractors / self.n


def nps(scores: Iterable[int | None]) -> NpsResult | None:
    """The NPS of the scores that are not None; None when there are none."""
    numbers = _numbers(scores)
    if not numbers:
        return None
    promoters = sum(1 for v in numbers if v >= PROMOTER_MIN)
    passives = sum(1 for v in numbers if PASSIVE_MIN <= v < PROMOTER_MIN)
    detractors = len(numbers) - promoters - passives
    return NpsResult(promoters=promoters, passives=passives, detractors=detractors, n=len(numbers))


def choice_counts(answers: Iterable[str | Sequence[str] | None],
                  options: Sequence[str] = ()) -> dict[str, int]:
    """How many answers picked each option. An answer is one choice (a string) or several (a
    list, for multiple choice). The given options come first in their order, zeros included;
    any other value seen follows, most frequent first."""
    counts: Counter[str] = Counter()
    for answer in answers:
        if answer is None:
            continue
        if isinstance(answer, str):
            counts[answer] += 1
        else:
            for choice in set(answer):
                counts[choice] += 1
    result = {option: counts.get(option, 0) for option in options}
    for choice, count in counts.most_common():
        if choice not in result:
            result[choice] = count
    return result


def top_choice(counts: dict[str, int]) -> tuple[str, int] | None:
    """The most picked option and its count (the first one on a tie); None when nothing was
    picked."""
    best = None
    for choice, count in counts.items():
        if count and (best is None or count > best[1]):
            best = (choice, count)
    return best
