"""Ideas: post one, edit one, find one, and who may edit it."""

from datetime import datetime

from ideaboard.board import webhooks
from ideaboard.board.follows import OWN, follow_automatically
from ideaboard.board.listing import idea_query
from ideaboard.db import db
from ideaboard.models import UNDER_REVIEW, Idea, StatusChange, User, hot_score, utcnow


def find_idea(idea_id: int) -> Idea | None:
    """The idea with its author and category, or None."""
    return idea_query().where(Idea.id == idea_id).first()


def create_idea(
    author: User,
    title: str,
    body: str = "",
    category_id: int | None = None,
    created_at: datetime | None = None,
    pending_review: bool = False,
) -> Idea:
    """Post a new idea; it starts under review with a hot score from its creation time.
    pending_review: a new account's first post, shown to nobody else until staff approve it
    (board/moderation.py)."""
    now = created_at or utcnow()
    with db.atomic():
        idea = Idea.create(
            title=title.strip(),
            body=body or "",
            category=category_id or None,
            author=author.id,
            created_at=now,
            updated_at=now,
            hot=hot_score(0, 0, now),
            pending_review=pending_review,
        )
        follow_automatically(author, idea.id, OWN)
        # A first post awaiting review is announced when staff approve it (board/moderation.py).
        if not pending_review:
            webhooks.idea_created(idea.id)
    return idea


def edit_idea(idea_id: int, title: str, body: str, category_id: int | None) -> None:
    with db.atomic():
        Idea.update(
            title=title.strip(),
            body=body or "",
            category=category_id or None,
            updated_at=utcnow(),
        ).where(Idea.id == idea_id).execute()
        # The history moves with the idea, so the category's feed shows it where it now is.
        StatusChange.update(category=category_id or None).where(
            StatusChange.idea == idea_id
        ).execute()


def can_edit(idea: Idea, user: User | None) -> bool:
    """Authors may edit while the idea is under review; staff may always (moderation)."""
    if user is None:
        return False
    if user.is_staff:
        return True
    return idea.author_id == user.id and idea.status == UNDER_REVIEW
