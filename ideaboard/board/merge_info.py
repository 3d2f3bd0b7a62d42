"""What pages show about merges: what a merge would move, where an idea went, the history.

The rules themselves (merging, unmerging, what is refused) are in board/merge.py.
"""

from dataclasses import dataclass

from peewee import JOIN

from ideaboard.board.merge import check_merge, count
from ideaboard.db import db
from ideaboard.models import Idea, Merge, User

# How many merged ideas an original's page lists by name.
MERGED_SHOWN = 50
HISTORY_PER_PAGE = 30


@dataclass(frozen=True)
class MergePreview:
    """What a merge would move: shown on the confirmation page before staff commit to it."""

    duplicate: Idea
    original: Idea
    voters: int  # everyone who voted for the duplicate
    overlap: int  # of them, those who voted for the original too (they count once)
    followers: int  # active followers of the duplicate
    followers_to_move: int  # of them, those with no follow row on the original

    @property
    def votes_to_move(self) -> int:
        return self.voters - self.overlap


def preview_merge(duplicate_id: int, original_id: int) -> MergePreview:
    """What merging would move, or MergeError saying why it cannot be done."""
    check_merge(duplicate_id, original_id)
    p = db.param
    ideas = {i.id: i for i in Idea.select().where(Idea.id.in_([duplicate_id, original_id]))}
    return MergePreview(
        duplicate=ideas[duplicate_id],
        original=ideas[original_id],
        voters=count(f"SELECT COUNT(*) FROM vote WHERE idea_id = {p}", [duplicate_id]),
        overlap=count(
            f"SELECT COUNT(*) FROM vote d WHERE d.idea_id = {p} AND EXISTS"
            f" (SELECT 1 FROM vote o WHERE o.idea_id = {p} AND o.user_id = d.user_id)",
            [duplicate_id, original_id],
        ),
        followers=count(
            f"SELECT COUNT(*) FROM follow WHERE idea_id = {p} AND active = {p}",
            [duplicate_id, True],
        ),
        followers_to_move=count(
            f"SELECT COUNT(*) FROM follow d WHERE d.idea_id = {p} AND d.active = {p} AND NOT"
            f" EXISTS (SELECT 1 FROM follow o WHERE o.idea_id = {p} AND o.user_id = d.user_id)",
            [duplicate_id, True, original_id],
        ),
    )


def active_merge(duplicate_id: int) -> Merge | None:
    """The merge that holds this idea now, with the original loaded; None if not merged."""
    return (
        Merge.select(Merge, Idea)
        .join(Idea, on=(Merge.original == Idea.id))
        # At most one merge of an idea holds at a time (board/merge.py refuses a second).
        .where((Merge.duplicate == duplicate_id) & Merge.undone_at.is_null())
        .first()
    )


@dataclass(frozen=True)
class UnmergePreview:
    """What an unmerge would take back from the original (copies withdrawn since are gone)."""

    merge: Merge
    votes_to_remove: int
    followers_to_remove: int


def preview_unmerge(duplicate_id: int) -> UnmergePreview | None:
    """What unmerging this idea would take back from its original; None if it is not merged."""
    merge = active_merge(duplicate_id)
    if merge is None:
        return None
    p = db.param
    params = [merge.original_id, duplicate_id]
    return UnmergePreview(
        merge=merge,
        votes_to_remove=count(
            f"SELECT COUNT(*) FROM vote WHERE idea_id = {p} AND merged_from_id = {p}", params
        ),
        followers_to_remove=count(
            f"SELECT COUNT(*) FROM follow WHERE idea_id = {p} AND merged_from_id = {p}", params
        ),
    )


@dataclass(frozen=True)
class MergeLinks:
    """What an idea's page says about merges: where it went, or what was merged into it."""

    original: Idea | None
    merged_here: list[Idea]
    more_merged_here: bool


def merge_links(idea: Idea) -> MergeLinks:
    """One query (the partial index on merged_into_id) for an idea that is not merged; one
    more for one that is."""
    original = None
    if idea.merged_into_id is not None:
        original = original_of(idea)
    rows = list(
        Idea.select(Idea.id, Idea.title, Idea.vote_count, Idea.comment_count)
        # A duplicate hidden since by staff is not named to everyone (/staff/merges lists it).
        .where((Idea.merged_into == idea.id) & Idea.hidden_at.is_null())
        .order_by(Idea.id)
        .limit(MERGED_SHOWN + 1)
    )
    return MergeLinks(original, rows[:MERGED_SHOWN], len(rows) > MERGED_SHOWN)


def original_of(idea: Idea) -> Idea | None:
    """The idea this one is merged into (its id and title), or None."""
    if idea.merged_into_id is None:
        return None
    return Idea.select(Idea.id, Idea.title).where(Idea.id == idea.merged_into_id).first()


@dataclass
class HistoryPage:
    items: list[Merge]
    older: int | None  # the cursor of the next page, if any
    is_first: bool


def merge_history(before: int | None = None, per_page: int = HISTORY_PER_PAGE) -> HistoryPage:
    """Every merge, newest first, a page at a time (keyset on the id)."""
    duplicate, original = Idea.alias(), Idea.alias()
    actor, undone_by = User.alias(), User.alias()
    query = (
        Merge.select(Merge, duplicate, original, actor, undone_by)
        .join(duplicate, on=(Merge.duplicate == duplicate.id), attr="duplicate")
        .switch(Merge)
        .join(original, on=(Merge.original == original.id), attr="original")
        .switch(Merge)
        .join(actor, JOIN.LEFT_OUTER, on=(Merge.actor == actor.id), attr="actor")
        .switch(Merge)
        .join(undone_by, JOIN.LEFT_OUTER, on=(Merge.undone_by == undone_by.id), attr="undone_by")
        .order_by(Merge.id.desc())
    )
    if before:
        query = query.where(Merge.id < before)
    rows = list(query.limit(per_page + 1))
    items = rows[:per_page]
    older = items[-1].id if len(rows) > per_page else None
    return HistoryPage(items, older, before is None)
