"""What the feeds list: signed status changes and official answers, newest first.

One item per status change, so that accepted -> in progress -> launched reach a feed reader
as three news items. Each query reads an index and stops after the page; the docstrings say
which.

The private feed of the ideas a person follows is reached through a random secret in its
address (User.feed_token): feed readers cannot log in.
"""

import re
import secrets

from peewee import JOIN

from ideaboard.board.listing import publicly_listed
from ideaboard.models import Category, Comment, Follow, Idea, Merge, StatusChange, User

# secrets.token_urlsafe(32): 43 characters of the URL-safe base64 alphabet.
TOKEN_BYTES = 32
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")

FeedItem = StatusChange | Comment | Merge


def _changes():
    """Status changes with their idea, the idea's category and the staff member who signed."""
    return (
        StatusChange.select(StatusChange, Idea, Category, User)
        .join(Idea, on=(StatusChange.idea == Idea.id))
        .join(Category, JOIN.LEFT_OUTER, on=(Idea.category == Category.id))
        .switch(StatusChange)
        .join(User, on=(StatusChange.author == User.id))
    )


def _answers():
    """Official answers with their idea, the idea's category and the staff member."""
    return (
        Comment.select(Comment, Idea, Category, User)
        .join(Idea, on=(Comment.idea == Idea.id))
        .join(Category, JOIN.LEFT_OUTER, on=(Idea.category == Category.id))
        .switch(Comment)
        .join(User, on=(Comment.author == User.id))
        .where(Comment.is_official & Comment.hidden_at.is_null())
    )


def _newest_first(items: list[FeedItem], limit: int) -> list[FeedItem]:
    # Status changes before answers of the same instant; ids break the remaining ties.
    items.sort(key=lambda i: (i.created_at, isinstance(i, StatusChange), i.id), reverse=True)
    return items[:limit]


def status_feed(status: str, limit: int) -> list[StatusChange]:
    """Every move into one status (declined included), newest first, read in order from the
    (to_status, created_at, id) index."""
    return list(
        _changes()
        .where((StatusChange.to_status == status) & publicly_listed())
        .order_by(StatusChange.created_at.desc(), StatusChange.id.desc())
        .limit(limit)
    )


def category_feed(category_id: int, limit: int) -> list[StatusChange]:
    """The status changes of one category's ideas, newest first, read in order from the
    (category, created_at, id) index (the category is copied onto each change)."""
    return list(
        _changes()
        .where((StatusChange.category == category_id) & publicly_listed())
        .order_by(StatusChange.created_at.desc(), StatusChange.id.desc())
        .limit(limit)
    )


def idea_feed(idea_id: int, limit: int, merged: bool = False) -> list[FeedItem]:
    """One idea's status changes and official answers, newest first.

    Two reads of the (idea, created_at) indexes of statuschange and comment, backwards; and
    for a merged idea (merged=True), the item that says where it went (the merge table's
    duplicate index).
    """
    # created_at alone: PostgreSQL's (idea, created_at) index ends there, and one idea's
    # changes (or answers) never share a microsecond.
    changes = (
        _changes()
        .where(StatusChange.idea == idea_id)
        .order_by(StatusChange.created_at.desc())
        .limit(limit)
    )
    answers = _answers().where(Comment.idea == idea_id).order_by(Comment.created_at.desc())
    merges = _merge_of(idea_id) if merged else []
    return _newest_first([*changes, *answers.limit(limit), *merges], limit)


def _merge_of(idea_id: int) -> list[Merge]:
    """The merge that folded this idea into another, if it still holds: its feed says where
    it went. With the duplicate (and its category), the original and who merged it."""
    original = Idea.alias()
    return list(
        Merge.select(Merge, Idea, Category, original, User)
        .join(Idea, on=(Merge.duplicate == Idea.id), attr="duplicate")
        .join(Category, JOIN.LEFT_OUTER, on=(Idea.category == Category.id))
        .switch(Merge)
        .join(original, on=(Merge.original == original.id), attr="original")
        .switch(Merge)
        .join(User, JOIN.LEFT_OUTER, on=(Merge.actor == User.id), attr="actor")
        # At most one merge of an idea holds at a time (board/merge.py refuses a second).
        .where((Merge.duplicate == idea_id) & Merge.undone_at.is_null())
    )


def followed_feed(user_id: int, limit: int) -> list[FeedItem]:
    """Status changes and official answers of the ideas a person follows, newest first.

    Reads the person's follows through the (user, created_at) index, then each followed
    idea's rows through the (idea, created_at) indexes: the cost grows with how many ideas
    this person follows, never with the size of the board.
    """
    followed = (Follow.user == user_id) & Follow.active & publicly_listed()
    changes = (
        _changes()
        .join(Follow, on=(Follow.idea == StatusChange.idea))
        .where(followed)
        .order_by(StatusChange.created_at.desc(), StatusChange.id.desc())
        .limit(limit)
    )
    answers = (
        _answers()
        .join(Follow, on=(Follow.idea == Comment.idea))
        .where(followed)
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .limit(limit)
    )
    return _newest_first([*changes, *answers], limit)


def feed_owner(token: str) -> User | None:
    """The person whose private feed this secret opens; None if unknown, revoked or gone."""
    if not TOKEN_SHAPE.fullmatch(token or ""):
        return None
    return User.get_or_none((User.feed_token == token) & User.deleted_at.is_null())


def replace_feed_token(user_id: int) -> str:
    """A new secret for the person's private feed; the old address stops working at once."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    User.update(feed_token=token).where(User.id == user_id).execute()
    return token


def revoke_feed_token(user_id: int) -> None:
    """Turn the private feed off: its address answers 404 from now on."""
    User.update(feed_token=None).where(User.id == user_id).execute()
