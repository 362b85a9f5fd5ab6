"""What members are saying: the most frequent themes of their texts.

Rules:
- A text's themes are `text.terms` of it: an evaluation's free-text answers (its latest
  submitted version), a gap report's title and description, an opinion's text. A theme counts
  once per text however often the text repeats it, so its count is how many submissions mention
  it, and the inbox filtered by the word lists them.
- The dashboard reads the maintained day counts (models.py says why) through `top_themes`: one
  statement, whatever the number of texts. `record` keeps them in step when a submission
  arrives, is re-submitted or edited (receivers.py, in the sender's unit of work); `rebuild`
  recounts everything from the inbox's rows (after a restore, or to bring older data in).
- The trial results page reads the documents of the trial's evaluations (`trial_themes`, one
  statement) and segments only the answers that have none (older data): bounded by the trial.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from portal import domain
from portal.db import db, unit_of_work, utcnow
from portal.themes import text as theme_text
from portal.themes.models import ThemeDay, ThemeDocument

TOP = 10
PERIODS = (30, 90, 365)
DEFAULT_PERIOD = 90


@dataclass
class Theme:
    key: str
    count: int

    @property
    def word(self) -> str:
        """The word as shown and searched for."""
        return theme_text.display(self.key)


def shanghai_day(moment: datetime | None) -> date:
    return (moment or utcnow()).astimezone(domain.SHANGHAI).date()


# --- keeping the counts ------------------------------------------------------------------------


def _upsert(rows: list[dict]):
    """INSERT the day rows, adding to the count of those that exist (both databases speak
    ON CONFLICT), so two submissions arriving at once both count."""
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(ThemeDay).values(rows)
    return stmt.on_conflict_do_update(
        index_elements=["day", "kind", "commitment", "term"],
        set_={"n": ThemeDay.n + stmt.excluded.n},
    )


def _add(day: date, kind: str, commitment: str, terms: Iterable[str]) -> None:
    rows = [dict(day=day, kind=kind, commitment=commitment, term=t, n=1) for t in terms]
    if rows:
        db.execute(_upsert(rows))


def _take(day: date, kind: str, commitment: str, terms: Iterable[str]) -> None:
    terms = list(terms)
    if not terms:
        return
    where = (ThemeDay.day == day, ThemeDay.kind == kind, ThemeDay.commitment == commitment,
             ThemeDay.term.in_(terms))
    db.execute(update(ThemeDay).where(*where).values(n=ThemeDay.n - 1)
               .execution_options(synchronize_session=False))
    db.execute(delete(ThemeDay).where(*where, ThemeDay.n <= 0)
               .execution_options(synchronize_session=False))


def record(kind: str, source_id: int, moment: datetime | None, commitment: str | None,
           content: str) -> list[str]:
    """Count the themes of a source's text (new, re-submitted or edited): its old themes leave
    the counts, its new ones join them. In the caller's unit of work. Returns the theme keys."""
    day, commitment = shanghai_day(moment), commitment or ""
    keys = theme_text.terms(content)
    document = db.get(ThemeDocument, (kind, source_id))
    if document is None:
        db.add(ThemeDocument(kind=kind, source_id=source_id, day=day, commitment=commitment,
                             terms=keys))
        _add(day, kind, commitment, keys)
        return keys
    if (document.day, document.commitment) == (day, commitment):
        old = set(document.terms or [])
        _take(day, kind, commitment, [t for t in old if t not in keys])
        _add(day, kind, commitment, [t for t in keys if t not in old])
    else:  # moved to another day (a re-submission) or commitment: out of the old, into the new
        _take(document.day, kind, document.commitment, document.terms or [])
        _add(day, kind, commitment, keys)
    document.day, document.commitment, document.terms = day, commitment, keys
    return keys


def rebuild(batch: int = 1000) -> int:
    """Recount every theme from the inbox's rows (their text is the sources'), in one unit of
    work; answers how many texts were read. Slow (it segments every text): a repair."""
    from portal.triage.models import Submission

    source = {"evaluation": Submission.evaluation_id, "gap_report": Submission.gap_report_id,
              "opinion": Submission.opinion_id}
    counts: Counter = Counter()
    documents = 0
    with unit_of_work():
        db.execute(delete(ThemeDay))
        db.execute(delete(ThemeDocument))
        rows = db.execute(
            select(Submission.kind, Submission.evaluation_id, Submission.gap_report_id,
                   Submission.opinion_id, Submission.commitment, Submission.submitted_at,
                   Submission.title, Submission.description)
            .execution_options(yield_per=batch)
        )
        pending = []
        for row in rows:
            source_id = getattr(row, source[row.kind].key) if row.kind in source else None
            if source_id is None:
                continue
            day, commitment = shanghai_day(row.submitted_at), row.commitment or ""
            keys = theme_text.terms(source_text(row.kind, row.title, row.description))
            pending.append(dict(kind=row.kind, source_id=source_id, day=day,
                                commitment=commitment, terms=keys))
            counts.update((day, row.kind, commitment, k) for k in keys)
            documents += 1
            if len(pending) >= batch:
                db.execute(ThemeDocument.__table__.insert(), pending)
                pending = []
        if pending:
            db.execute(ThemeDocument.__table__.insert(), pending)
        day_rows = [dict(day=d, kind=k, commitment=c, term=t, n=n) for (d, k, c, t), n in counts.items()]
        for start in range(0, len(day_rows), batch):
            db.execute(ThemeDay.__table__.insert(), day_rows[start:start + batch])
    return documents


def source_text(kind: str, title: str | None, description: str | None) -> str:
    """The member's own text of a submission: a gap report's title is theirs too; an
    evaluation's or opinion's title is the trial's or consultation's."""
    if kind == "gap_report":
        return f"{title or ''}\n{description or ''}"
    return description or ""


# --- reading them ------------------------------------------------------------------------------


def period_days(raw: str | None) -> int:
    """The chosen period in days; anything unknown falls back to the default."""
    return int(raw) if raw and raw.isdigit() and int(raw) in PERIODS else DEFAULT_PERIOD


def period_start(days: int, today: date | None = None) -> date:
    """The first Shanghai day of a period of `days` days ending today."""
    return (today or domain.shanghai_today()) - timedelta(days=days - 1)


def top_themes(days: int, commitment: str | None = None, today: date | None = None,
               limit: int = TOP) -> list[Theme]:
    """The most mentioned themes of the last `days` Shanghai days (all kinds), of one commitment
    when given (only gap reports have one): one statement over the day counts."""
    today = today or domain.shanghai_today()
    total = func.sum(ThemeDay.n)
    stmt = (select(ThemeDay.term, total)
            .where(ThemeDay.day.between(period_start(days, today), today))
            .group_by(ThemeDay.term).order_by(total.desc(), ThemeDay.term).limit(limit))
    if commitment:
        stmt = stmt.where(ThemeDay.commitment == commitment)
    return [Theme(term, int(n)) for term, n in db.execute(stmt)]


def trial_themes(trial_id: int, evaluation_texts: Mapping[int, Iterable[Any]],
                 limit: int = TOP) -> list[Theme]:
    """The most mentioned themes of a trial's submitted evaluations ({evaluation id: its text
    answers}): their documents in one statement; the evaluations without one (older data) are
    segmented here."""
    from portal.trials.models import Evaluation

    counts: Counter = Counter()
    found: set[int] = set()
    if evaluation_texts:
        for source_id, keys in db.execute(
            select(ThemeDocument.source_id, ThemeDocument.terms)
            .join(Evaluation, Evaluation.id == ThemeDocument.source_id)
            .where(ThemeDocument.kind == "evaluation", Evaluation.trial_id == trial_id)
        ):
            if source_id in evaluation_texts:
                found.add(source_id)
                counts.update(keys or [])
    for evaluation_id, texts in evaluation_texts.items():
        if evaluation_id not in found:
            counts.update(theme_text.terms("\n\n".join(str(t) for t in texts if t)))
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return [Theme(key, n) for key, n in ranked]
