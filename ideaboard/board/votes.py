"""Votes: one per person per idea, kept by the database; the counter moves with the row."""

from typing import NamedTuple

from peewee import IntegrityError

from ideaboard.board.counters import move_counters
from ideaboard.board.follows import VOTED, follow_automatically
from ideaboard.db import db
from ideaboard.models import STATUS_LABELS, User, Vote, utcnow


class VoteResult(NamedTuple):
    """The idea voted on, as far as a page needs it afterwards."""

    id: int
    title: str
    votes: int


class VotingClosed(ValueError):
    """The idea is launched or declined: its count stays as it was when it closed.

    The message is shown to the user; `result` is the idea with its (unchanged) count.
    """

    def __init__(self, result: VoteResult, status: str):
        label = STATUS_LABELS.get(status, status).lower()
        super().__init__(f"Voting is closed: this idea is {label}, so its votes stay as they are.")
        self.result = result


def set_vote(idea_id: int, user: User, wanted: bool) -> VoteResult | None:
    """Make the user's vote on the idea exist (or not); None means there is no such idea.

    The request says what it wants rather than "toggle", so a double click or a retried
    request cannot flip the vote back. The counter moves only when a row really changed, and
    a new vote follows the idea (unless the voter turned that off). A closed idea (launched
    or declined) neither takes nor gives back a vote: VotingClosed.
    """
    p, user_id = db.param, user.id
    try:
        with db.atomic():
            # The idea's openness is checked inside the statement that writes the vote, so a
            # vote still costs three statements: this one, the counter and the follow.
            if wanted:
                changed = db.execute_sql(
                    "INSERT INTO vote (idea_id, user_id, created_at)"
                    f" SELECT id, {p}, {p} FROM idea WHERE id = {p} AND is_open"
                    " ON CONFLICT DO NOTHING",
                    [user_id, Vote.created_at.db_value(utcnow()), idea_id],
                ).rowcount
            else:
                changed = -db.execute_sql(
                    f"DELETE FROM vote WHERE idea_id = {p} AND user_id = {p}"
                    f" AND EXISTS (SELECT 1 FROM idea WHERE id = {p} AND is_open)",
                    [idea_id, user_id, idea_id],
                ).rowcount
            if changed:
                row = move_counters(idea_id, votes=changed)
                if changed > 0:
                    follow_automatically(user, idea_id, VOTED)
                closed_as = None
            else:
                # Nothing changed: already so, no such idea, or a closed one (which says why).
                found = db.execute_sql(
                    f"SELECT vote_count, title, is_open, status FROM idea WHERE id = {p}",
                    [idea_id],
                ).fetchone()
                row = found[:2] if found else None
                closed_as = found[3] if found and not found[2] else None
    except IntegrityError:  # the voter's row went away meanwhile (rolled back)
        return None
    if row is None:
        return None
    votes, title = row
    result = VoteResult(idea_id, title, votes)
    if closed_as is not None:
        raise VotingClosed(result, closed_as)
    return result


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
