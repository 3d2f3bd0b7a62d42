"""The listening counts computed again from the rows: `flask rebuild-listening`, the upgrade to
schema version 9 and the bench boards use it, and it tells what differed (drift).

Each statement here is the SQL twin of a move in board/listening.py: the same buckets, days
and quarters, from the same whole seconds (seconds_sql and seconds agree to the second).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import chunked

from ideaboard.board.listening import (
    BOUNDS,
    DAY,
    MONTH,
    SETTLED_DAYS,
    WEEK,
    day_number,
    seconds_sql,
)
from ideaboard.db import db, is_sqlite
from ideaboard.models import (
    ACCEPTED_OR_LATER,
    LAUNCHED,
    ListeningState,
    PostingDay,
    QuarterCount,
    ResponseTime,
    StaffAnswers,
    utcnow,
)

# The tables rebuilt (the last is bookkeeping, not counts), and how many key columns come before
# each one's counts.
TABLES = (ResponseTime, PostingDay, QuarterCount, StaffAnswers, ListeningState)
KEY_COLUMNS = {QuarterCount: 2}


def _quarter_sql(column: str) -> str:
    if is_sqlite():
        year, month = (f"CAST(strftime('{part}', {column}) AS INTEGER)" for part in ("%Y", "%m"))
    else:
        year, month = (
            f"CAST(EXTRACT({part} FROM {column}) AS INTEGER)" for part in ("YEAR", "MONTH")
        )
    return f"({year} * 10 + ({month} + 2) / 3)"


def _bucket_sql(waited: str) -> str:
    whens = " ".join(f"WHEN {waited} <= {bound} THEN {i}" for i, bound in enumerate(BOUNDS))
    return f"CASE {whens} ELSE {len(BOUNDS)} END"


def _answers_sql() -> str:
    """Every staff answer: (idea_id, author_id, created_at); one parameter, True."""
    return (
        "SELECT idea_id, author_id, created_at FROM statuschange UNION ALL"
        f" SELECT idea_id, author_id, created_at FROM comment WHERE is_official = {db.param}"
    )


def _expected(stored: tuple[int, int], fresh: tuple[int, int]) -> tuple[dict, dict]:
    """Every count table's rows as the ideas, status changes and comments say: as they should
    be for the stored state (closed_before, last_idea_id), and for a fresh one."""
    p, statuses = db.param, list(ACCEPTED_OR_LATER)
    marks = ", ".join([p] * len(statuses))
    created, first = seconds_sql("created_at"), seconds_sql("first_response_at")
    waited = f"({first} - {created})"
    posted = "CASE WHEN {created} < {closed} AND id <= {seen} THEN 1 ELSE 0 END"
    stored_posted, fresh_posted = (
        posted.format(created=created, closed=closed * DAY, seen=seen)
        for closed, seen in (stored, fresh)
    )
    histogram = (
        f"SELECT {_bucket_sql(waited)}, COUNT(*) FROM idea"
        " WHERE first_response_at IS NOT NULL GROUP BY 1"
    )
    days = f"""
        SELECT day, SUM(stored), SUM(fresh), SUM(answered), SUM(week), SUM(month) FROM (
          SELECT {created} / {DAY} AS day, {stored_posted} AS stored, {fresh_posted} AS fresh,
                 CASE WHEN first_response_at IS NULL THEN 0 ELSE 1 END AS answered,
                 CASE WHEN {waited} <= {WEEK} THEN 1 ELSE 0 END AS week,
                 CASE WHEN {waited} <= {MONTH} THEN 1 ELSE 0 END AS month
          FROM idea) AS ideas
        GROUP BY day"""
    quarters = f"""
        SELECT quarter, category_id, SUM(accepted), SUM(launched) FROM (
          SELECT {_quarter_sql("s.created_at")} AS quarter,
                 COALESCE(i.category_id, 0) AS category_id,
                 MAX(CASE WHEN s.to_status IN ({marks}) AND s.from_status NOT IN ({marks})
                     THEN 1 ELSE 0 END) AS accepted,
                 MAX(CASE WHEN s.to_status = {p} THEN 1 ELSE 0 END) AS launched
          FROM statuschange s JOIN idea i ON i.id = s.idea_id
          WHERE s.to_status IN ({marks})
          GROUP BY 1, 2, s.idea_id) AS per_idea
        GROUP BY quarter, category_id"""
    staff = f"SELECT author_id, COUNT(*) FROM ({_answers_sql()}) AS a GROUP BY author_id"
    run = db.execute_sql
    per_day = run(days).fetchall()
    common = {
        ResponseTime: set(run(histogram).fetchall()),
        # Without the quarters where the category's ideas only moved on (to in progress).
        QuarterCount: {
            row
            for row in run(quarters, [*statuses, *statuses, LAUNCHED, *statuses]).fetchall()
            if any(row[2:])
        },
        StaffAnswers: set(run(staff, [True]).fetchall()),
    }
    as_stored, rebuilt = dict(common), dict(common)
    # (day, posted, answered, within 7 days, within 30 days), without the all-zero days.
    as_stored[PostingDay] = {(d, n, *rest) for d, n, _, *rest in per_day if n or rest[0]}
    rebuilt[PostingDay] = {(d, n, *rest) for d, _, n, *rest in per_day if n or rest[0]}
    rebuilt[ListeningState] = {(1, *fresh)}
    return as_stored, rebuilt


def _stored(model) -> set[tuple]:
    # A row whose counts all went back to zero says nothing; the rows from SQL leave it out.
    keys = KEY_COLUMNS.get(model, 1)
    return {row for row in model.select().tuples() if any(row[keys:])}


@dataclass
class Rebuild:
    """What rebuild() found: ideas whose first response was wrong, and tables that differed."""

    wrong_ideas: int
    wrong_tables: list[str]
    fixed: bool

    @property
    def drifted(self) -> bool:
        return bool(self.wrong_ideas or self.wrong_tables)

    def summary(self) -> str:
        if not self.drifted:
            return "The listening figures match the rows."
        tables = ", ".join(self.wrong_tables) or "none"
        ideas = f"{self.wrong_ideas:,} idea{'' if self.wrong_ideas == 1 else 's'}"
        return (
            f"{'Fixed' if self.fixed else 'Found'} {ideas} with a wrong first response;"
            f" tables that differed from the rows: {tables}."
        )


def rebuild(fix: bool = True, now: datetime | None = None) -> Rebuild:
    """Compute every listening count (and each idea's first response) again from the rows,
    and say what differed; if fix, store them, with the ideas posted up to now counted.

    At a million ideas this reads every idea and official answer once (seconds). On
    PostgreSQL the count tables are locked meanwhile: staff answers wait, then add to the
    rebuilt counts; SQLite's write transaction keeps every writer out anyway.
    """
    now = now or utcnow()
    # A check only reads, from one snapshot: on SQLite without taking the write lock.
    with db.atomic("DEFERRED") if is_sqlite() and not fix else db.atomic():
        if not fix and not is_sqlite():
            db.execute_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        wrong_ideas = _first_responses(fix)
        if fix and not is_sqlite():
            names = ", ".join(model._meta.table_name for model in TABLES)
            db.execute_sql(f"LOCK TABLE {names} IN EXCLUSIVE MODE")
        state = ListeningState.select(ListeningState.closed_before, ListeningState.last_idea_id)
        stored = state.where(ListeningState.id == 1).tuples().first() or (0, 0)
        cutoff = day_number(now - timedelta(days=SETTLED_DAYS))
        newest = db.execute_sql("SELECT MAX(id) FROM idea").fetchone()[0] or 0
        fresh = (max(stored[0], cutoff), max(stored[1], newest))
        expected, rebuilt = _expected(stored, fresh)
        wrong_tables = [m._meta.table_name for m, rows in expected.items() if _stored(m) != rows]
        if fix:
            for model in TABLES:
                model.delete().execute()
                for batch in chunked(sorted(rebuilt[model]), 1000):
                    model.insert_many(batch, fields=model._meta.sorted_fields).execute()
    return Rebuild(wrong_ideas, wrong_tables, fix)


def _first_responses(fix: bool) -> int:
    """Ideas whose first_response_at is not their earliest answer; set right if fix."""
    p = db.param
    differs = "IS NOT" if is_sqlite() else "IS DISTINCT FROM"
    first = (
        f"SELECT idea_id, MIN(created_at) AS first FROM ({_answers_sql()}) AS a GROUP BY idea_id"
    )
    if not fix:
        sql = (
            f"SELECT COUNT(*) FROM idea i LEFT JOIN ({first}) AS f ON f.idea_id = i.id"
            f" WHERE i.first_response_at {differs} f.first"
        )
        return db.execute_sql(sql, [True]).fetchone()[0]
    moved = db.execute_sql(
        f"UPDATE idea SET first_response_at = f.first FROM ({first}) AS f"
        f" WHERE idea.id = f.idea_id AND idea.first_response_at {differs} f.first",
        [True],
    ).rowcount
    cleared = db.execute_sql(
        "UPDATE idea SET first_response_at = NULL WHERE first_response_at IS NOT NULL"
        " AND NOT EXISTS (SELECT 1 FROM statuschange s WHERE s.idea_id = idea.id)"
        " AND NOT EXISTS (SELECT 1 FROM comment c WHERE c.idea_id = idea.id"
        f" AND c.is_official = {p})",
        [True],
    ).rowcount
    return moved + cleared
