"""Votes: one per person per idea, kept by the database; the counter moves with the row."""

from typing import NamedTuple

from peewee import IntegrityError

from ideaboard.board.counters import move_counters
from ideaboard.db import db
from ideaboard.models import Vote, utcnow


class VoteResult(NamedTuple):
    """The idea voted on, as far as a page needs it afterwards."""

    id: int
    title: str
    votes: int


def set_vote(idea_id: int, user_id: int, wanted: bool) -> VoteResult | None:
    """Make the user's vote on the idea exist (or not); None means there is no such idea.

    The request says what it wants rather than "toggle", so a double click or a retried
    request cannot flip the vote back. The counter moves only when a row really changed.
    """
    p = db.param
    try:
        with db.atomic():
            if wanted:
                changed = db.execute_sql(
                    f"INSERT INTO vote (idea_id, user_id, created_at) VALUES ({p}, {p}, {p})"
                    " ON CONFLICT DO NOTHING",
                    [idea_id, user_id, Vote.created_at.db_value(utcnow())],
                ).rowcount
            else:
                changed = -db.execute_sql(
                    f"DELETE FROM vote WHERE idea_id = {p} AND user_id = {p}", [idea_id, user_id]
                ).rowcount
            if changed:
                row = move_counters(idea_id, votes=changed)
            else:
                row = db.execute_sql(
                    f"SELECT vote_count, title FROM idea WHERE id = {p}", [idea_id]
                ).fetchone()
    except IntegrityError:  # the vote's foreign key: no such idea (rolled back)
        return None
    if row is None:
        return None
    votes, title = row
    return VoteResult(idea_id, title, votes)


def voted_ids(user_id: int, idea_ids: list[int]) -> set[int]:
    """Which of these ideas the user voted for, in one statement."""
    if not idea_ids:
        return set()
    marks = ", ".join([db.param] * len(idea_ids))
    # Plain SQL: building this query through the ORM costs more than running it.
    cursor = db.execute_sql(
        f"SELECT idea_id FROM vote WHERE user_id = {db.param} AND idea_id IN ({marks})",
        [user_id, *idea_ids],
    )
    return {row[0] for row in cursor}
