"""Comments: anyone signed in may add one; staff replies are marked official."""

from ideaboard.board.counters import move_counters
from ideaboard.board.events import record_event
from ideaboard.board.follows import COMMENTED, follow_automatically
from ideaboard.board.listening import count_official_answer
from ideaboard.db import db
from ideaboard.models import EVENT_ANSWER, EVENT_COMMENT, Comment, User


def add_comment(idea_id: int, author: User, body: str) -> Comment:
    """A comment; from staff it is an official answer. Followers hear of it from the worker."""
    with db.atomic():
        comment = Comment.create(
            idea=idea_id, author=author.id, body=body.strip(), is_official=author.is_staff
        )
        move_counters(idea_id, comments=1)
        count_official_answer(comment)
        follow_automatically(author, idea_id, COMMENTED)
        kind = EVENT_ANSWER if comment.is_official else EVENT_COMMENT
        record_event(kind, idea_id, author.id, comment=comment.id)
    return comment


def comments_of(idea_id: int) -> list[Comment]:
    """The idea's comments with their authors, oldest first."""
    return list(
        Comment.select(Comment, User)
        .join(User)
        .where(Comment.idea == idea_id)
        .order_by(Comment.created_at, Comment.id)
    )
