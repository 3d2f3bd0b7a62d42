"""Votes: one per person per idea, kept by the database; the counter moves with the row.

Staff may record a vote for a customer (recorded_by); with a vote budget on, a person has
that many votes on open ideas at a time (counted from the rows, never stored).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from peewee import IntegrityError, fn

from ideaboard.board.counters import move_counters
from ideaboard.board.follows import VOTED, follow_automatically
from ideaboard.board.listing import publicly_listed
from ideaboard.db import db, is_sqlite
from ideaboard.models import STATUS_LABELS, Idea, User, Vote, utcnow


class VoteResult(NamedTuple):
    """The idea voted on, as far as a page needs it afterwards."""

    id: int
    title: str
    votes: int
    # False when the vote already was as asked (nothing was written).
    changed: bool = True


class VotingClosed(ValueError):
    """The idea is launched or declined: its count stays as it was when it closed.

    The message is shown to the user; `result` is the idea with its (unchanged) count.
    """

    def __init__(self, result: VoteResult, status: str):
        label = STATUS_LABELS.get(status, status).lower()
        super().__init__(f"Voting is closed: this idea is {label}, so its votes stay as they are.")
        self.result = result


class VotingMerged(VotingClosed):
    """The idea was merged into another (board/merge.py): votes go to the original.

    A VotingClosed, so pages that handle closed ideas handle this too; the message names
    the original.
    """

    def __init__(self, result: VoteResult, original_id: int, original_title: str):
        ValueError.__init__(
            self, f"This idea was merged into #{original_id} “{original_title}”: vote there."
        )
        self.result = result
        self.original_id = original_id


class VoteBudgetSpent(ValueError):
    """The person already has `budget` votes on open ideas: one must come back first.

    The message is shown to the voter; `result` is the idea with its (unchanged) count.
    """

    def __init__(self, result: VoteResult, budget: int):
        super().__init__(
            f"You have used all {budget} of your votes. Take one back from an open idea to vote"
            " for this one; a vote also comes back when its idea is launched, declined or merged."
        )
        self.result = result
        self.budget = budget


def open_votes(user_id: int) -> int:
    """The person's votes on open ideas the board shows: what a vote budget counts.

    Read through the vote table's user index and each idea's key, so it costs one index
    entry per vote the person has; a vote comes back by itself when its idea closes, is
    merged away or hidden, with nothing stored that could drift.
    """
    return (
        Vote.select(fn.COUNT(Vote.id))
        .join(Idea, on=(Vote.idea == Idea.id))
        .where((Vote.user == user_id) & Idea.is_open & publicly_listed())
        .scalar()
    )


def _check_budget(idea_id: int, user_id: int, budget: int) -> None:
    """Inside the vote's transaction: refuse a new vote beyond the budget (VoteBudgetSpent)."""
    p = db.param
    if not is_sqlite():
        # One person's votes one at a time, or two at once could both take the last one.
        # (SQLite's IMMEDIATE transactions already run one writer at a time.)
        db.execute_sql(f'SELECT id FROM "user" WHERE id = {p} FOR UPDATE', [user_id])
    idea = db.execute_sql(
        "SELECT vote_count, title, is_open AND merged_into_id IS NULL,"
        f" EXISTS (SELECT 1 FROM vote WHERE idea_id = {p} AND user_id = {p})"
        f" FROM idea WHERE id = {p}",
        [idea_id, user_id, idea_id],
    ).fetchone()
    # No such idea, a closed one or a vote already cast: set_vote says so as usual.
    if idea is None or not idea[2] or idea[3]:
        return
    if open_votes(user_id) >= budget:
        raise VoteBudgetSpent(VoteResult(idea_id, idea[1], idea[0], changed=False), budget)


# Hidden ideas and first posts awaiting review are not there for voters: as if missing.
VOTABLE = "hidden_at IS NULL AND NOT pending_review"


def set_vote(
    idea_id: int,
    user: User,
    wanted: bool,
    *,
    recorded_by: User | None = None,
    budget: int = 0,
) -> VoteResult | None:
    """Make the user's vote on the idea exist (or not); None means there is no such idea.

    The request says what it wants rather than "toggle", so a double click or a retried
    request cannot flip the vote back. The counter moves only when a row really changed, and
    a new vote follows the idea (unless the voter turned that off). A closed idea (launched
    or declined) neither takes nor gives back a vote: VotingClosed. recorded_by: the staff
    member casting it for the user (board/vote_on_behalf.py). budget: votes a person may
    have on open ideas (0: no limit); one more is refused with VoteBudgetSpent.
    """
    p, user_id = db.param, user.id
    # A merge locks the idea FOR UPDATE: a vote waits for it, then sees the idea as the merge
    # left it, so no vote lands on a duplicate just merged away (board/merge.py).
    lock = "" if is_sqlite() else " FOR KEY SHARE"
    try:
        with db.atomic():
            if wanted and budget > 0:
                _check_budget(idea_id, user_id, budget)
            # The idea's openness is checked inside the statement that writes the vote, so a
            # vote still costs three statements: this one, the counter and the follow.
            if wanted:
                changed = db.execute_sql(
                    "INSERT INTO vote (idea_id, user_id, created_at, recorded_by_id)"
                    f" SELECT id, {p}, {p}, {p} FROM idea WHERE id = {p} AND is_open"
                    f" AND merged_into_id IS NULL AND {VOTABLE}{lock} ON CONFLICT DO NOTHING",
                    [
                        user_id,
                        Vote.created_at.db_value(utcnow()),
                        recorded_by.id if recorded_by else None,
                        idea_id,
                    ],
                ).rowcount
            else:
                changed = -db.execute_sql(
                    f"DELETE FROM vote WHERE idea_id = {p} AND user_id = {p}"
                    f" AND EXISTS (SELECT 1 FROM idea WHERE id = {p} AND is_open"
                    f" AND merged_into_id IS NULL AND {VOTABLE}{lock})",
                    [idea_id, user_id, idea_id],
                ).rowcount
            if changed:
                row = move_counters(idea_id, votes=changed)
                if changed > 0:
                    follow_automatically(user, idea_id, VOTED)
                closed_as = merged_into = None
            else:
                # Nothing changed: already so, no such idea, or a closed or merged one (which
                # says why).
                found = db.execute_sql(
                    "SELECT i.vote_count, i.title, i.is_open, i.status, o.id, o.title"
                    f" FROM idea i LEFT JOIN idea o ON o.id = i.merged_into_id WHERE i.id = {p}"
                    " AND i.hidden_at IS NULL AND NOT i.pending_review",
                    [idea_id],
                ).fetchone()
                row = found[:2] if found else None
                closed_as = found[3] if found and not found[2] else None
                merged_into = found[4:] if found and found[4] is not None else None
    except IntegrityError:  # the voter's row went away meanwhile (rolled back)
        return None
    if row is None:
        return None
    votes, title = row
    result = VoteResult(idea_id, title, votes, changed=bool(changed))
    if merged_into is not None:
        raise VotingMerged(result, *merged_into)
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


@dataclass
class VoteSummary:
    """What an idea's page says about votes, for one viewer (or a visitor)."""

    # Votes on the idea that staff recorded for customers (shown to everyone).
    recorded: int
    voted: bool = False
    # Who recorded the viewer's own vote for them, and when; None: they cast it themselves.
    recorded_by: str | None = None
    recorded_at: datetime | None = None


def vote_summary(idea_id: int, user_id: int | None) -> VoteSummary:
    """The idea's votes recorded by staff, and the viewer's own vote, in one statement."""
    p = db.param
    # The count reads the small partial index of recorded votes (models.Vote).
    row = db.execute_sql(
        f"SELECT (SELECT COUNT(*) FROM vote WHERE idea_id = {p} AND recorded_by_id IS NOT NULL),"
        " v.id, r.name, v.created_at"
        " FROM (SELECT 1 AS one) AS here"
        f" LEFT JOIN vote v ON v.idea_id = {p} AND v.user_id = {p}"
        ' LEFT JOIN "user" r ON r.id = v.recorded_by_id',
        [idea_id, idea_id, user_id],
    ).fetchone()
    recorded, vote_id, recorder, created_at = row
    return VoteSummary(
        recorded=recorded,
        voted=vote_id is not None,
        recorded_by=recorder,
        recorded_at=Vote.created_at.python_value(created_at) if recorder else None,
    )
