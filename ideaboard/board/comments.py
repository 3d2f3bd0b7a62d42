"""Comments: anyone signed in may add one; staff replies are marked official."""

from ideaboard.board import audit, webhooks
from ideaboard.board.counters import move_counters
from ideaboard.board.events import record_event
from ideaboard.board.follows import COMMENTED, follow_automatically
from ideaboard.board.listening import count_official_answer
from ideaboard.board.notifications import recount_unread
from ideaboard.db import db
from ideaboard.models import (
    EVENT_ANSWER,
    EVENT_COMMENT,
    Comment,
    Event,
    Idea,
    Notification,
    User,
    utcnow,
)

OFFICIAL_STAYS = (
    "Official answers stay on the record, like signed status notes: edit it instead, and it "
    "shows as edited."
)


# What a page needs to know of an idea to tell who may see it (board/moderation.py).
MODERATION_STATE = (Idea.hidden_at, Idea.pending_review, Idea.merged_into)


class CommentError(ValueError):
    """The comment cannot be changed as asked; the message says why, for people."""


class CommentNotAllowed(CommentError):
    """Someone else's comment: only its author edits it; its author or staff delete it."""


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
        webhooks.comment_created(comment, author)
    return comment


def comments_of(idea_id: int) -> list[Comment]:
    """The idea's comments with their authors, oldest first."""
    return list(
        Comment.select(Comment, User)
        .join(User)
        .where(Comment.idea == idea_id)
        .order_by(Comment.created_at, Comment.id)
    )


def find_comment(comment_id: int) -> Comment | None:
    """The comment with its author and its idea's id and title, or None."""
    return (
        Comment.select(Comment, User, Idea.id, Idea.title, Idea.author, *MODERATION_STATE)
        .join(User, on=(Comment.author == User.id))
        .switch(Comment)
        .join(Idea, on=(Comment.idea == Idea.id))
        .where(Comment.id == comment_id)
        .first()
    )


def can_edit_comment(comment: Comment, user: User | None) -> bool:
    """Its author, at any time (the page says when it was edited). An official answer only
    while its author is still staff: nobody else rewrites the team's word."""
    if user is None or user.id != comment.author_id:
        return False
    return user.is_staff or not comment.is_official


def can_delete_comment(comment: Comment, user: User | None) -> bool:
    """Its author or any staff member; never an official answer (OFFICIAL_STAYS)."""
    if user is None or comment.is_official:
        return False
    return user.id == comment.author_id or user.is_staff


def edit_comment(comment_id: int, user: User, body: str) -> Comment | None:
    """Change a comment's text; it is marked edited only when the text really changed.
    None: no such comment."""
    body = (body or "").strip()
    if not body:
        raise CommentError("Write something, or delete the comment instead.")
    with db.atomic():
        comment = Comment.get_or_none(Comment.id == comment_id)
        if comment is None:
            return None
        if not can_edit_comment(comment, user):
            raise CommentNotAllowed("Only its author can edit a comment.")
        if body != comment.body:
            comment.body, comment.edited_at = body, utcnow()
            Comment.update(body=body, edited_at=comment.edited_at).where(
                Comment.id == comment_id
            ).execute()
    return comment


def delete_comment(comment_id: int, user: User) -> Comment | None:
    """Delete a comment with what points at it (flags, its news in others' notifications);
    the idea's counters move if it counted. Staff deleting someone's comment is audited.
    None: no such comment (or already deleted)."""
    with db.atomic():
        comment = Comment.get_or_none(Comment.id == comment_id)
        if comment is None:
            return None
        if comment.is_official:
            raise CommentNotAllowed(OFFICIAL_STAYS)
        if not can_delete_comment(comment, user):
            raise CommentNotAllowed("Only its author or staff can delete a comment.")
        # Those with unread news of it: their counts go down with the notifications.
        readers = [
            n.user_id
            for n in Notification.select(Notification.user)
            .join(Event)
            .where((Event.comment == comment_id) & Notification.read_at.is_null())
            .distinct()
        ]
        if not Comment.delete().where(Comment.id == comment_id).execute():
            return None
        if comment.hidden_at is None:
            move_counters(comment.idea_id, comments=-1)
        recount_unread(readers)
        if user.id != comment.author_id:
            audit.record(
                user,
                "delete_comment",
                f"Deleted comment #{comment.id} on idea #{comment.idea_id}",
                idea_id=comment.idea_id,
                user_id=comment.author_id,
                comment_id=comment.id,
                hidden=comment.hidden_at is not None,
            )
    return comment
