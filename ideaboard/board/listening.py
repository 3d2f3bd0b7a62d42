"""How we listen, in public: how soon the team answers ideas, and what it says yes to.

The /listening page reads a few small tables of counts (models.ResponseTime, PostingDay,
QuarterCount, StaffAnswers, ListeningState), never the ideas. Each staff answer moves them in
the transaction that records it: pipeline.change_status calls count_status_change, and
comments.add_comment calls count_official_answer. Both run after the write updated the idea's
row, which locks it until commit, so two answers to one idea take turns; each counter moves
in one upsert (INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n), exact however many
answers commit at once. listening_rebuild.rebuild() computes it all again from the rows.

What counts:
- an idea's first response is its earliest signed status change or official answer
  (Idea.first_response_at). Both are staff acts: only staff reach the pipeline, and a reply
  is official when its author was staff at the time;
- response times go into buckets (BUCKETS); the page says "within 3 days" for the bucket where
  the median falls, an upper bound at the bucket's resolution;
- the shares answered within 7 and 30 days are of the ideas posted on days at least
  SETTLED_DAYS old, whose outcome can no longer change. Each staff answer counts the ideas of
  the days that got that old since the one before (ListeningState), so the page names the
  date it counts up to; an idea posted with a date in the past (an import) counts with the
  next answer;
- an idea counts as accepted in a quarter when it entered the accepted-or-later part of the
  pipeline then, and as launched when it moved to launched: once per quarter however often it
  went back and forth, in the category it had at the time;
- every status change and official answer counts for its author.
"""

from bisect import bisect_left
from datetime import datetime, timedelta

from peewee import EXCLUDED, fn

from ideaboard.db import db, is_sqlite
from ideaboard.models import (
    ACCEPTED_OR_LATER,
    LAUNCHED,
    Comment,
    Idea,
    ListeningState,
    PostingDay,
    QuarterCount,
    ResponseTime,
    StaffAnswers,
    StatusChange,
)

EPOCH = datetime(1970, 1, 1)
HOUR, DAY = 3600, 86400
WEEK, MONTH = 7 * DAY, 30 * DAY
# Upper bounds of the response-time buckets in seconds, and how the page says them; the
# bucket after the last holds everything slower.
BUCKETS = (
    (HOUR, "an hour"),
    (2 * HOUR, "2 hours"),
    (4 * HOUR, "4 hours"),
    (8 * HOUR, "8 hours"),
    (12 * HOUR, "12 hours"),
    (DAY, "a day"),
    (2 * DAY, "2 days"),
    (3 * DAY, "3 days"),
    (4 * DAY, "4 days"),
    (5 * DAY, "5 days"),
    (WEEK, "a week"),
    (10 * DAY, "10 days"),
    (14 * DAY, "2 weeks"),
    (21 * DAY, "3 weeks"),
    (MONTH, "30 days"),
    (45 * DAY, "45 days"),
    (60 * DAY, "2 months"),
    (91 * DAY, "3 months"),
    (182 * DAY, "6 months"),
    (365 * DAY, "a year"),
    (730 * DAY, "2 years"),
)
BOUNDS = [bound for bound, _ in BUCKETS]
# Only ideas posted at least this many days ago count in the "answered within" shares.
SETTLED_DAYS = 30
# Entering the accepted-or-later part of the pipeline, and launching.
ENTERED = StatusChange.to_status.in_(ACCEPTED_OR_LATER) & StatusChange.from_status.not_in(
    ACCEPTED_OR_LATER
)
LAUNCHING = StatusChange.to_status == LAUNCHED


def seconds(moment: datetime) -> int:
    """Whole seconds since 1970 of a naive UTC time, as seconds_sql computes them."""
    return (moment - EPOCH) // timedelta(seconds=1)


def seconds_sql(column: str) -> str:
    """seconds() of a timestamp column, in SQL (both truncate to the second)."""
    if is_sqlite():
        return f"CAST(strftime('%s', {column}) AS INTEGER)"
    return f"CAST(EXTRACT(EPOCH FROM date_trunc('second', {column})) AS BIGINT)"


def day_number(moment: datetime) -> int:
    return seconds(moment) // DAY


def quarter_of(moment: datetime) -> int:
    """20263 for any time from July to September 2026."""
    return moment.year * 10 + (moment.month + 2) // 3


def bucket_of(waited: int) -> int:
    """The response-time bucket of a wait in seconds: the first bound it does not pass."""
    return bisect_left(BOUNDS, waited)


def bucket_phrase(bucket: int) -> str:
    """How the page's sentences say a bucket: "within 3 days"."""
    if bucket < len(BUCKETS):
        return f"within {BUCKETS[bucket][1]}"
    return f"after more than {BUCKETS[-1][1]}"


# The moves: one call from each write that records a staff answer.


def count_status_change(change: StatusChange) -> None:
    """Count a signed status change: an answer, and perhaps an acceptance or a launch.

    Call inside change_status's transaction, after it updated the idea (which locks the row).
    """
    idea = _answered(change.idea_id, change.author_id, change.created_at)
    entered = change.to_status in ACCEPTED_OR_LATER and change.from_status not in ACCEPTED_OR_LATER
    launched = change.to_status == LAUNCHED
    if idea is None or not (entered or launched):
        return
    accepted = entered and _first_in_quarter(change, ENTERED)
    launched = launched and _first_in_quarter(change, LAUNCHING)
    if accepted or launched:
        key = {"quarter": quarter_of(change.created_at), "category_id": idea.category_id or 0}
        _add(QuarterCount, key, accepted=int(accepted), launched=int(launched))


def count_official_answer(comment: Comment) -> None:
    """Count a comment if it is an official answer; other comments count for nothing here.

    Call inside add_comment's transaction, after the idea's counters moved (locking its row).
    """
    if comment.is_official:
        _answered(comment.idea_id, comment.author_id, comment.created_at)


def _answered(idea_id: int, author_id: int, at: datetime) -> Idea | None:
    """Count an answer for its author, and as the idea's first response if it is the first."""
    _count_posted(at)
    _add(StaffAnswers, {"user": author_id}, answers=1)
    idea = (
        Idea.select(Idea.created_at, Idea.first_response_at, Idea.category)
        .where(Idea.id == idea_id)
        .first()
    )
    if idea is None:
        return None
    earlier = idea.first_response_at
    if earlier is not None and earlier <= at:
        return idea
    Idea.update(first_response_at=at).where(Idea.id == idea_id).execute()
    if earlier is not None:
        # An answer stamped earlier than the one counted, committed after it: the idea's first
        # response moves back in time, and its counts with it.
        _count_first_response(idea.created_at, earlier, -1)
    _count_first_response(idea.created_at, at, 1)
    return idea


def _count_first_response(created: datetime, first: datetime, step: int) -> None:
    waited = seconds(first) - seconds(created)
    _add(ResponseTime, {"bucket": bucket_of(waited)}, ideas=step)
    _add(
        PostingDay,
        {"day": day_number(created)},
        answered=step,
        within_7_days=step if waited <= WEEK else 0,
        within_30_days=step if waited <= MONTH else 0,
    )


def _first_in_quarter(change: StatusChange, kind) -> bool:
    """No other change of this kind moved the idea in the quarter of this one."""
    quarter = quarter_of(change.created_at)
    year, number = divmod(quarter, 10)
    start = datetime(year, 3 * number - 2, 1)
    end = datetime(year + 1, 1, 1) if number == 4 else datetime(year, 3 * number + 1, 1)
    others = StatusChange.select().where(
        (StatusChange.idea == change.idea_id)
        & (StatusChange.id != change.id)
        & (StatusChange.created_at >= start)
        & (StatusChange.created_at < end)
        & kind
    )
    return not others.exists()


def _count_posted(now: datetime) -> None:
    """Bring PostingDay.posted up to date: the ideas of the days that have become SETTLED_DAYS
    old since the last answer, and any posted since with a date on a day counted before (an
    import). Counting stops at the newest idea seen, so each idea counts once."""
    cutoff = day_number(now - timedelta(days=SETTLED_DAYS))
    state = (
        ListeningState.select(ListeningState.closed_before, ListeningState.last_idea_id)
        .where(ListeningState.id == 1)
        .tuples()
        .first()
    )
    closed, seen = state or (0, 0)
    closing, newest = max(closed, cutoff), Idea.select(fn.MAX(Idea.id)).scalar() or 0
    if closing == closed and newest <= seen:
        return
    # Compare and set: of two answers counting at once, one counts and the other leaves it.
    if state is None:
        row = {"id": 1, "closed_before": closing, "last_idea_id": newest}
        claimed = ListeningState.insert(**row).on_conflict_ignore().as_rowcount().execute()
    else:
        claimed = (
            ListeningState.update(closed_before=closing, last_idea_id=newest)
            .where(
                (ListeningState.id == 1)
                & (ListeningState.closed_before == closed)
                & (ListeningState.last_idea_id == seen)
            )
            .execute()
        )
    if claimed:
        # Day by day in order, so that no two transactions take these row locks crosswise.
        for day, posted in sorted(_posted_per_day(closed, closing, seen, newest)):
            _add(PostingDay, {"day": day}, posted=posted)


def _posted_per_day(closed: int, closing: int, seen: int, newest: int) -> list[tuple]:
    """Ideas up to `newest` per day: on the days from `closed` to `closing`, and those after
    `seen` on the days before `closed`."""
    p, day = db.param, f"{seconds_sql('created_at')} / {DAY}"
    sql = f"""
        SELECT day, COUNT(*) FROM (
          SELECT {day} AS day FROM idea WHERE created_at >= {p} AND created_at < {p} AND id <= {p}
          UNION ALL
          SELECT {day} FROM idea WHERE id > {p} AND id <= {p} AND created_at < {p}
        ) AS ideas GROUP BY day"""
    start, end = (EPOCH + timedelta(days=n) for n in (closed, closing))
    return db.execute_sql(sql, [start, end, newest, seen, newest, start]).fetchall()


def _add(model, key: dict, **counts: int) -> None:
    """Add to one row of counts, made at zero when missing: one statement, exact however many
    transactions add at once (PostgreSQL's upsert waits for a concurrent insert of the row)."""
    fields = model._meta.fields
    model.insert(**key, **counts).on_conflict(
        conflict_target=[fields[name] for name in key],
        update={fields[name]: fields[name] + getattr(EXCLUDED, name) for name in counts},
    ).execute()
