"""Each idea's stored vote and comment counts and hot score: moved by writes, rebuilt on demand.

They are stored so that listings sort on an index instead of counting rows; every write that
adds or removes a vote or a comment moves them in its own transaction (move_counters), and
rebuild_counters checks them against the rows for operators.
"""

import math
from dataclasses import dataclass, field

from ideaboard.db import db, is_sqlite
from ideaboard.models import hot_sql

# Stored scores are rounded to 6 decimals, in Python or in SQL: they may differ in the last one.
HOT_TOLERANCE = 1e-5
# The chosen ideas with their true counts and hot score. The counts are correlated subqueries
# that read the (idea, ...) indexes of vote and comment, one idea at a time. A comment hidden
# by staff does not count (board/moderation.py).
ACTUAL_SQL = """
SELECT id, votes, comments, {hot} AS hot
FROM (SELECT src.id, src.created_at,
             (SELECT COUNT(*) FROM vote v WHERE v.idea_id = src.id) AS votes,
             (SELECT COUNT(*) FROM comment c
              WHERE c.idea_id = src.id AND c.hidden_at IS NULL) AS comments
      FROM idea src WHERE {which}) AS counted
"""
WRONG = (
    "(i.vote_count <> a.votes OR i.comment_count <> a.comments"
    f" OR ABS(i.hot - a.hot) > {HOT_TOLERANCE})"
)
DRIFT_SQL = f"""
SELECT i.id, i.vote_count - a.votes, i.comment_count - a.comments,
       CASE WHEN ABS(i.hot - a.hot) > {HOT_TOLERANCE} THEN 1 ELSE 0 END
FROM idea i JOIN ({{actual}}) AS a ON a.id = i.id
WHERE {WRONG} ORDER BY i.id
"""
FIX_SQL = f"""
UPDATE idea AS i SET vote_count = a.votes, comment_count = a.comments, hot = a.hot
FROM ({{actual}}) AS a
WHERE i.id = a.id AND {WRONG}
"""
# Ids per UPDATE ... IN (...): well under every engine's limit on bound parameters.
ID_BATCH = 500
# Ids of wrong ideas shown in the report, so someone can look at a few.
SHOW_IDS = 10


def _counters_sql(which: str) -> str:
    """Add two parameters to the vote and comment counts of `which` ideas, and rescore them."""
    p = db.param
    hot = hot_sql(f"(vote_count + {p})", f"(comment_count + {p})", "created_at")
    return (
        f"UPDATE idea SET vote_count = vote_count + {p}, comment_count = comment_count + {p},"
        f" hot = {hot} WHERE {which}"
    )


def move_counters(idea_id: int, votes: int = 0, comments: int = 0) -> tuple[int, str] | None:
    """Add to an idea's counters and rescore it, in one statement inside the write's transaction.

    Returns the new vote count and the title, or None when there is no such idea.
    """
    # Plain SQL: on the hottest write path, building the query costs more than running it.
    return db.execute_sql(
        _counters_sql(f"id = {db.param}") + " RETURNING vote_count, title",
        [votes, comments, votes, comments, idea_id],
    ).fetchone()


def move_many_counters(idea_ids: list[int], votes: int = 0, comments: int = 0) -> None:
    """move_counters() for many ideas at once, a batch of ids per statement."""
    for start in range(0, len(idea_ids), ID_BATCH):
        batch = idea_ids[start : start + ID_BATCH]
        marks = ", ".join([db.param] * len(batch))
        db.execute_sql(
            _counters_sql(f"id IN ({marks})"), [votes, comments, votes, comments, *batch]
        )


@dataclass
class Drift:
    """What rebuild-counters found: ideas checked, and how the wrong ones were wrong."""

    checked: int = 0
    wrong_ids: list[int] = field(default_factory=list)
    votes_off: int = 0
    comments_off: int = 0
    stale_hot: int = 0
    fixed: int = 0

    def summary(self) -> str:
        if not self.wrong_ids:
            return f"Checked {self.checked:,} ideas: every counter matches the rows."
        shown = ", ".join(str(i) for i in self.wrong_ids[:SHOW_IDS])
        more = ", …" if len(self.wrong_ids) > SHOW_IDS else ""
        return (
            f"Checked {self.checked:,} ideas: {len(self.wrong_ids):,} were wrong "
            f"(ideas {shown}{more}): vote counts off by {self.votes_off:,} in total, "
            f"comment counts off by {self.comments_off:,}, hot score stale on {self.stale_hot:,}."
        )


def _actual_sql(which: str) -> str:
    return ACTUAL_SQL.format(hot=hot_sql("votes", "comments", "created_at"), which=which)


def _fix(ids: list[int]) -> int:
    """Store the true counts and hot score of these ideas where still wrong; return how many."""
    marks = ", ".join([db.param] * len(ids))
    with db.atomic():
        if not is_sqlite():
            # Lock them first: a vote committing meanwhile then waits, and adds its +1 to the
            # true count. SQLite's IMMEDIATE transaction already keeps every writer out.
            db.execute_sql(f"SELECT id FROM idea WHERE id IN ({marks}) FOR UPDATE", ids)
        fix_sql = FIX_SQL.format(actual=_actual_sql(f"src.id IN ({marks})"))
        return db.execute_sql(fix_sql, ids).rowcount


def rebuild_counters(fix: bool, batch_size: int = 5000) -> Drift:
    """Compare every idea's counters and hot score with its rows; fix the wrong ones if asked.

    Works through id ranges; only ideas found wrong are locked and written, so a live site
    hardly notices.
    """
    if is_sqlite():
        # SQLite has LOG10 only when built with its math functions; Python's copy may lack them.
        db.obj.register_function(math.log10, "log10", 1)
    drift_sql = DRIFT_SQL.format(actual=_actual_sql(f"src.id BETWEEN {db.param} AND {db.param}"))
    drift = Drift()
    low, high, drift.checked = db.execute_sql(
        "SELECT MIN(id), MAX(id), COUNT(*) FROM idea"
    ).fetchone()
    for start in range(low or 0, (high or -1) + 1, batch_size):
        # One statement: a consistent view of the batch without holding any lock.
        wrong = db.execute_sql(drift_sql, (start, start + batch_size - 1)).fetchall()
        for idea_id, votes_off, comments_off, stale in wrong:
            drift.wrong_ids.append(idea_id)
            drift.votes_off += abs(votes_off)
            drift.comments_off += abs(comments_off)
            drift.stale_hot += stale
        if fix and wrong:
            drift.fixed += _fix([row[0] for row in wrong])
    return drift
