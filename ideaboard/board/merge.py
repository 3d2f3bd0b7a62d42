"""Merging a duplicate idea into its original, and undoing it exactly.

A merge never touches the duplicate's own rows. It copies onto the original a vote for each
of the duplicate's voters who has not voted for the original, and a follow for each active
follower who has no follow row there, each copy marked with merged_from = the duplicate.
Unmerging deletes exactly those copies that still exist and recounts both ideas, so both come
back as they were, whatever happened on the original meanwhile: votes cast there since are
the voters' own (merged_from is empty) and stay; a copy its voter withdrew is already gone; a
copied follow stays, as the person's own, where they voted or commented there since.

While merged, the duplicate takes no votes (board/votes.py), its page redirects to the
original, and it leaves listings, search and feeds (board/listing.publicly_listed).

Concurrency: on PostgreSQL both idea rows are locked FOR UPDATE, in id order, before anything
is read; a vote takes FOR KEY SHARE on its idea in the statement that writes it, so it waits
for the merge and then sees the idea as the merge left it. SQLite runs one writer at a time.
"""

from dataclasses import dataclass

from ideaboard.board import audit, webhooks
from ideaboard.board.counters import move_counters
from ideaboard.board.events import record_event
from ideaboard.board.follows import COMMENTED, VOTED
from ideaboard.db import db, is_sqlite
from ideaboard.models import EVENT_MERGED, Follow, Idea, Merge, User, hot_sql, utcnow

# Follow.reason of a follow a merge copied.
MERGED = "merged"
# Whether the follow's person voted for (or commented on) its idea themselves, and follows
# what they vote for (comment on): correlated to the follow row being updated.
OWN_VOTE = (
    'SELECT 1 FROM vote v JOIN "user" u ON u.id = v.user_id WHERE v.idea_id = follow.idea_id'
    " AND v.user_id = follow.user_id AND v.merged_from_id IS NULL AND u.follow_voted"
)
OWN_COMMENT = (
    'SELECT 1 FROM comment c JOIN "user" u ON u.id = c.author_id WHERE c.idea_id = follow.idea_id'
    " AND c.author_id = follow.user_id AND u.follow_commented"
)


class MergeError(ValueError):
    """A merge or unmerge the rules refuse; the message is shown to the user as it is."""


@dataclass(frozen=True)
class IdeaState:
    """What the rules need of an idea, read under lock inside the transaction."""

    id: int
    title: str
    merged_into_id: int | None
    hidden: bool
    pending_review: bool


def _label(idea: IdeaState | Idea) -> str:
    return f"#{idea.id} “{idea.title}”"


def _states(*idea_ids: int, lock: bool = True) -> dict[int, IdeaState]:
    """The ideas as they are now; with lock, locked against votes and merges until commit.

    Locked in id order, so two merges that share an idea never wait for each other in a circle.
    """
    ids = sorted(set(idea_ids))
    marks = ", ".join([db.param] * len(ids))
    clause = " FOR UPDATE" if lock and not is_sqlite() else ""
    rows = db.execute_sql(
        "SELECT id, title, merged_into_id, hidden_at IS NOT NULL, pending_review"
        f" FROM idea WHERE id IN ({marks}) ORDER BY id{clause}",
        ids,
    ).fetchall()
    return {row[0]: IdeaState(row[0], row[1], row[2], bool(row[3]), bool(row[4])) for row in rows}


def _merged_into(idea_id: int) -> list[int]:
    """Ideas merged into this one now (read through the partial index on merged_into_id)."""
    query = Idea.select(Idea.id).where(Idea.merged_into == idea_id).order_by(Idea.id)
    return [row[0] for row in query.limit(5).tuples()]


def _check(states: dict[int, IdeaState], duplicate_id: int, original_id: int) -> None:
    """Refuse what would lose votes, hide them, or make a chain of merges."""
    if duplicate_id == original_id:
        raise MergeError("An idea cannot be merged into itself: give the number of another idea.")
    for idea_id in (duplicate_id, original_id):
        if idea_id not in states:
            raise MergeError(f"There is no idea #{idea_id}. Check the number.")
    duplicate, original = states[duplicate_id], states[original_id]
    if duplicate.merged_into_id is not None:
        raise MergeError(
            f"{_label(duplicate)} is already merged into #{duplicate.merged_into_id}. "
            "Unmerge it first if it belongs somewhere else."
        )
    if original.merged_into_id is not None:
        raise MergeError(
            f"{_label(original)} is itself merged into #{original.merged_into_id}: "
            f"merge into #{original.merged_into_id} instead. Merges do not chain."
        )
    if duplicate.hidden:
        raise MergeError(f"{_label(duplicate)} is hidden: restore it before merging it.")
    if original.hidden:
        raise MergeError(f"{_label(original)} is hidden: restore it, or merge into another idea.")
    if original.pending_review:
        raise MergeError(
            f"{_label(original)} is waiting for review: approve it before merging into it."
        )
    merged_here = _merged_into(duplicate_id)
    if merged_here:
        numbers = ", ".join(f"#{i}" for i in merged_here)
        raise MergeError(
            f"Other ideas are merged into {_label(duplicate)} ({numbers}). Merges do not "
            f"chain: unmerge those first, then merge each into #{original_id} directly."
        )


def check_merge(duplicate_id: int, original_id: int) -> None:
    """MergeError if merging these two would be refused now (for the confirmation page)."""
    _check(_states(duplicate_id, original_id, lock=False), duplicate_id, original_id)


def _require_staff(actor: User) -> None:
    if actor is None or not actor.is_staff:
        raise MergeError("Only staff can merge and unmerge ideas.")


def count(sql: str, params: list) -> int:
    """The single number a COUNT(*) statement returns."""
    return db.execute_sql(sql, params).fetchone()[0]


def merge_ideas(duplicate_id: int, original_id: int, actor: User) -> Merge:
    """Fold the duplicate into the original, in one transaction; MergeError if not allowed."""
    _require_staff(actor)
    p, now = db.param, utcnow()
    with db.atomic():
        states = _states(duplicate_id, original_id)
        _check(states, duplicate_id, original_id)
        duplicate, original = states[duplicate_id], states[original_id]
        # Set-based copies. NOT EXISTS leaves out those already there: someone who voted for
        # both keeps the one vote, and someone who unfollowed the original stays unfollowed.
        votes_moved = db.execute_sql(
            "INSERT INTO vote (idea_id, user_id, created_at, recorded_by_id, merged_from_id)"
            f" SELECT {p}, d.user_id, d.created_at, d.recorded_by_id, {p} FROM vote d"
            f" WHERE d.idea_id = {p} AND NOT EXISTS"
            f" (SELECT 1 FROM vote o WHERE o.idea_id = {p} AND o.user_id = d.user_id)"
            " ON CONFLICT DO NOTHING",
            [original_id, duplicate_id, duplicate_id, original_id],
        ).rowcount
        followers_moved = db.execute_sql(
            "INSERT INTO follow (user_id, idea_id, active, reason, created_at, merged_from_id)"
            f" SELECT d.user_id, {p}, {p}, {p}, {p}, {p} FROM follow d"
            f" WHERE d.idea_id = {p} AND d.active = {p} AND NOT EXISTS"
            f" (SELECT 1 FROM follow o WHERE o.idea_id = {p} AND o.user_id = d.user_id)"
            " ON CONFLICT DO NOTHING",
            [
                original_id,
                True,
                MERGED,
                Follow.created_at.db_value(now),
                duplicate_id,
                duplicate_id,
                True,
                original_id,
            ],
        ).rowcount
        if votes_moved:
            move_counters(original_id, votes=votes_moved)
        Idea.update(merged_into=original_id).where(Idea.id == duplicate_id).execute()
        merge = Merge.create(
            duplicate=duplicate_id,
            original=original_id,
            actor=actor.id,
            created_at=now,
            votes_moved=votes_moved,
            followers_moved=followers_moved,
        )
        record_event(EVENT_MERGED, duplicate_id, actor.id, merge=merge.id)
        webhooks.idea_merged(duplicate_id, original_id, actor)
        audit.record(
            actor,
            "merge",
            f"Merged {_label(duplicate)} into {_label(original)}: "
            f"{_plural(votes_moved, 'vote')} and {_plural(followers_moved, 'follower')} moved.",
            idea_id=duplicate_id,
            merge_id=merge.id,
            duplicate_id=duplicate_id,
            original_id=original_id,
            votes_moved=votes_moved,
            followers_moved=followers_moved,
        )
    return merge


def _recount(idea_ids: list[int]) -> None:
    """Set each idea's vote count and hot score from its rows (inside the caller's lock)."""
    p = db.param
    for idea_id in idea_ids:
        votes = count(f"SELECT COUNT(*) FROM vote WHERE idea_id = {p}", [idea_id])
        db.execute_sql(
            f"UPDATE idea SET vote_count = {p}, hot = {hot_sql(p, 'comment_count', 'created_at')}"
            f" WHERE id = {p}",
            [votes, votes, idea_id],
        )


def unmerge(merge_id: int, actor: User) -> Merge:
    """Undo a merge: take back exactly the copies still on the original, recount both ideas."""
    _require_staff(actor)
    p, now = db.param, utcnow()
    with db.atomic():
        found = Merge.get_or_none(Merge.id == merge_id)
        if found is None:
            raise MergeError("There is no such merge.")
        duplicate_id, original_id = found.duplicate_id, found.original_id
        states = _states(duplicate_id, original_id)
        # Read again under the lock: another staff member may have undone it meanwhile.
        merge = Merge.get_or_none(Merge.id == merge_id)
        if merge is None or len(states) < 2:
            raise MergeError("There is no such merge: one of its ideas was deleted.")
        duplicate, original = states[duplicate_id], states[original_id]
        if merge.undone_at is not None or duplicate.merged_into_id != original_id:
            raise MergeError(f"This merge of {_label(duplicate)} is already undone.")
        # Read through the (idea, user) unique index: the original's rows, then the marker.
        votes_removed = db.execute_sql(
            f"DELETE FROM vote WHERE idea_id = {p} AND merged_from_id = {p}",
            [original_id, duplicate_id],
        ).rowcount
        # A copied follow that the person has since earned on the original themselves (they
        # voted or commented there, and follow what they vote for or comment on) is theirs now:
        # it would have been made then, had the copy not been there already.
        db.execute_sql(
            f"UPDATE follow SET merged_from_id = NULL, reason = CASE WHEN EXISTS ({OWN_VOTE})"
            f" THEN {p} ELSE {p} END WHERE idea_id = {p} AND merged_from_id = {p}"
            f" AND (EXISTS ({OWN_VOTE}) OR EXISTS ({OWN_COMMENT}))",
            [VOTED, COMMENTED, original_id, duplicate_id],
        )
        followers_removed = db.execute_sql(
            f"DELETE FROM follow WHERE idea_id = {p} AND merged_from_id = {p}",
            [original_id, duplicate_id],
        ).rowcount
        Idea.update(merged_into=None).where(Idea.id == duplicate_id).execute()
        _recount([original_id, duplicate_id])
        Merge.update(undone_at=now, undone_by=actor.id).where(Merge.id == merge_id).execute()
        audit.record(
            actor,
            "unmerge",
            f"Unmerged {_label(duplicate)} from {_label(original)}: "
            f"{_plural(votes_removed, 'vote')} and {_plural(followers_removed, 'follower')} "
            "taken back.",
            idea_id=duplicate_id,
            merge_id=merge_id,
            duplicate_id=duplicate_id,
            original_id=original_id,
            votes_removed=votes_removed,
            followers_removed=followers_removed,
        )
    merge.undone_at, merge.undone_by_id = now, actor.id
    return merge


def _plural(number: int, word: str) -> str:
    return f"{number} {word}{'' if number == 1 else 's'}"
