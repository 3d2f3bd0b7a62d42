"""What staff have to look at: flagged ideas and comments, first posts awaiting review, and
what they hid (to restore it). Each list reads a small index and pages by keyset."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from peewee import Tuple, fn

from ideaboard.board.listing import Page, decode_cursor, encode_cursor, idea_query, keyset_page
from ideaboard.board.moderation import reason_label, split_reason
from ideaboard.db import db
from ideaboard.models import Comment, Flag, Idea, User

# Reporters' own words shown per item at most (the count says how many flagged it).
NOTES_SHOWN = 10


@dataclass
class FlaggedItem:
    """One idea or comment with open flags: how many, why, since when, and the reporters'
    own words."""

    idea: Idea
    comment: Comment | None
    cursor: int
    count: int = 0
    first_flagged_at: datetime | None = None
    reasons: list[tuple[str, int]] = field(default_factory=list)
    notes: list[tuple[User, str]] = field(default_factory=list)

    @property
    def author(self) -> User:
        return self.comment.author if self.comment else self.idea.author

    @property
    def hidden(self) -> bool:
        return (self.comment or self.idea).hidden_at is not None

    @property
    def suggested_reason(self) -> str:
        """The most given reason, as a starting point for what the author will read."""
        return self.reasons[0][0] if self.reasons else ""


def _open_groups(per_page: int, after: int | None) -> list[tuple[int, int | None, int]]:
    """(idea id, comment id or None, first open flag id) of the items with open flags, the
    longest waiting first, read from the (resolved_at, id) index."""
    first = fn.MIN(Flag.id)
    query = (
        Flag.select(Flag.idea, Flag.comment, first)
        .where(Flag.resolved_at.is_null())
        .group_by(Flag.idea, Flag.comment)
        .order_by(first)
        .limit(per_page + 1)
    )
    if after:
        query = query.having(first > after)
    return list(query.tuples())


def flagged_page(per_page: int, after: int | None = None) -> Page:
    """Items with open flags, grouped, oldest flag first; `after` is the last item's cursor."""
    groups = _open_groups(per_page, after)
    more = len(groups) > per_page
    groups = groups[:per_page]
    idea_ids = {idea_id for idea_id, _, _ in groups}
    comment_ids = {comment_id for _, comment_id, _ in groups if comment_id}
    ideas = {i.id: i for i in idea_query().where(Idea.id.in_(idea_ids))} if idea_ids else {}
    comments = {}
    if comment_ids:
        comments = {
            c.id: c
            for c in Comment.select(Comment, User).join(User).where(Comment.id.in_(comment_ids))
        }
    # An item deleted meanwhile took its flags along: leave it out.
    items = {
        (idea_id, comment_id): FlaggedItem(ideas[idea_id], comments.get(comment_id), cursor)
        for idea_id, comment_id, cursor in groups
        if idea_id in ideas and (comment_id is None or comment_id in comments)
    }
    reasons: dict[tuple, Counter] = {key: Counter() for key in items}
    if items:
        flags = (
            Flag.select(Flag, User)
            .join(User, on=(Flag.reporter == User.id))
            .where(Flag.resolved_at.is_null() & Flag.idea.in_(idea_ids))
            .order_by(Flag.id)
        )
        for flag in flags:
            item = items.get((flag.idea_id, flag.comment_id))
            if item is None:  # another item of the same idea, on another page
                continue
            code, details = split_reason(flag.reason)
            reasons[(flag.idea_id, flag.comment_id)][reason_label(code)] += 1
            item.count += 1
            item.first_flagged_at = item.first_flagged_at or flag.created_at
            if details and len(item.notes) < NOTES_SHOWN:
                item.notes.append((flag.reporter, details))
    for key, item in items.items():
        item.reasons = reasons[key].most_common()
    listed = list(items.values())
    return Page(
        items=listed,
        next_cursor=str(groups[-1][2]) if more else None,
        is_first=not after,
    )


def pending_page(per_page: int, after: str | None = None, before: str | None = None) -> Page:
    """First posts awaiting review, oldest first (the idea_pending_review index)."""
    query = idea_query().where(Idea.pending_review & Idea.hidden_at.is_null())
    return keyset_page(
        query, Idea.created_at, per_page, descending=False, after=after, before=before
    )


def hidden_ideas_page(per_page: int, after: str | None = None, before: str | None = None) -> Page:
    """Hidden ideas, the most recently hidden first (the idea_hidden_at index)."""
    query = idea_query().where(Idea.hidden_at.is_null(False))
    return keyset_page(query, Idea.hidden_at, per_page, after=after, before=before)


def hidden_comments_page(per_page: int, after: str | None = None) -> Page:
    """Hidden comments with their authors and ideas, the most recently hidden first."""
    query = (
        Comment.select(Comment, User, Idea.id, Idea.title)
        .join(User, on=(Comment.author == User.id))
        .switch(Comment)
        .join(Idea, on=(Comment.idea == Idea.id))
        .where(Comment.hidden_at.is_null(False))
    )
    key = decode_cursor(after, Comment.hidden_at)
    if key:
        query = query.where(Tuple(Comment.hidden_at, Comment.id) < Tuple(*key))
    rows = list(query.order_by(Comment.hidden_at.desc(), Comment.id.desc()).limit(per_page + 1))
    items = rows[:per_page]
    return Page(
        items=items,
        next_cursor=encode_cursor(items[-1], Comment.hidden_at) if len(rows) > per_page else None,
        is_first=key is None,
    )


def open_counts() -> tuple[int, int]:
    """(items with open flags, first posts awaiting review), in one statement: both read
    small indexes, so the header can show them on every staff page."""
    row = db.execute_sql(
        "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM flag WHERE resolved_at IS NULL"
        " GROUP BY idea_id, comment_id) AS open_items),"
        " (SELECT COUNT(*) FROM idea WHERE pending_review AND hidden_at IS NULL)"
    ).fetchone()
    return int(row[0]), int(row[1])
