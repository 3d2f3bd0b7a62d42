"""The status pipeline: the one function that moves an idea and signs the move."""

from ideaboard.db import db
from ideaboard.models import ACCEPTED_OR_LATER, STATUS_LABELS, Idea, StatusChange, User, utcnow


class StatusError(ValueError):
    """A status change the pipeline does not allow; the message is shown to the user."""


def change_status(idea: Idea, to_status: str, author: User, note: str) -> StatusChange:
    """Move the idea to a new status and record who did it, when and why, in one transaction."""
    if to_status not in STATUS_LABELS:
        raise StatusError("Choose one of the listed statuses.")
    if not note or not note.strip():
        raise StatusError("Every status change needs a public note.")
    with db.atomic():
        # Re-read inside the transaction: another staff member may have moved it meanwhile.
        current = Idea.select(Idea.status).where(Idea.id == idea.id).scalar()
        if current == to_status:
            raise StatusError(f"This idea is already “{STATUS_LABELS[to_status]}”.")
        now = utcnow()
        changes = {Idea.status: to_status, Idea.updated_at: now}
        if to_status in ACCEPTED_OR_LATER and current not in ACCEPTED_OR_LATER:
            changes[Idea.accepted_at] = now
        Idea.update(changes).where(Idea.id == idea.id).execute()
        record = StatusChange.create(
            idea=idea.id,
            from_status=current,
            to_status=to_status,
            author=author.id,
            note=note.strip(),
            created_at=now,
        )
    idea.status = to_status
    return record
