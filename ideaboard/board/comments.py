"""Comments: anyone signed in may add one; staff replies are marked official."""

from ideaboard.board.counters import move_counters
from ideaboard.db import db
from ideaboard.models import Comment, User


def add_comment(idea_id: int, author: User, body: str) -> Comment:
    with db.atomic():
        comment = Comment.create(
            idea=idea_id, author=author.id, body=body.strip(), is_official=author.is_staff
        )
        move_counters(idea_id, comments=1)
    return comment


def comments_of(idea_id: int) -> list[Comment]:
    """The idea's comments with their authors, oldest first."""
    return list(
        Comment.select(Comment, User)
        .join(User)
        .where(Comment.idea == idea_id)
        .order_by(Comment.created_at, Comment.id)
    )
