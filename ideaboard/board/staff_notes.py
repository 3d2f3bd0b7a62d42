"""Internal notes on an idea: written and read by staff only.

Nothing else reads this table: no feed, search, export, notification or mail. The answer a
customer sees is a comment or a status note; a note is what the team tells itself.
"""

from peewee import JOIN

from ideaboard.board import audit
from ideaboard.db import db
from ideaboard.models import Idea, StaffNote, User

# The newest notes shown on an idea's page (an idea rarely has more).
NOTES_SHOWN = 50


class NotStaff(PermissionError):
    """Only staff write or read internal notes."""


def add_note(idea_id: int, author: User, body: str) -> StaffNote | None:
    """Add a note to the idea; None when there is no such idea."""
    if not author.is_staff:
        raise NotStaff("Only staff write internal notes.")
    body = body.strip()
    with db.atomic():
        if not Idea.select().where(Idea.id == idea_id).exists():
            return None
        note = StaffNote.create(idea=idea_id, author=author.id, body=body)
        # The log says that a note was written, never what it says.
        audit.record(
            author, "staff_note", f"Internal note on #{idea_id}", idea_id=idea_id, note_id=note.id
        )
    return note


def notes_of(idea_id: int, viewer: User, limit: int = NOTES_SHOWN) -> list[StaffNote]:
    """The idea's notes, newest first, with their authors (None once an author is deleted)."""
    if not viewer.is_staff:
        raise NotStaff("Only staff read internal notes.")
    return list(
        StaffNote.select(StaffNote, User)
        .join(User, JOIN.LEFT_OUTER, on=(StaffNote.author == User.id))
        .where(StaffNote.idea == idea_id)
        .order_by(StaffNote.created_at.desc(), StaffNote.id.desc())
        .limit(limit)
    )
