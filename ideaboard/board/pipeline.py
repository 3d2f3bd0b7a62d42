"""The status pipeline: the one function that moves an idea and signs the move, and the notes."""

from ideaboard.board import audit, webhooks
from ideaboard.board.events import record_event
from ideaboard.board.listening import count_status_change
from ideaboard.db import db
from ideaboard.models import (
    ACCEPTED_OR_LATER,
    EVENT_STATUS,
    STATUS_LABELS,
    Idea,
    StatusChange,
    User,
    utcnow,
)


class StatusError(ValueError):
    """A status change the pipeline does not allow; the message is shown to the user."""


def change_status(
    idea: Idea, to_status: str, author: User, note: str, announce: bool = True
) -> StatusChange:
    """Move the idea to a new status and record who did it, when and why, in one transaction.

    announce=False: the caller tells the followers itself (a release note that ships the idea),
    so they hear of it once.
    """
    if to_status not in STATUS_LABELS:
        raise StatusError("Choose one of the listed statuses.")
    if not note or not note.strip():
        raise StatusError("Every status change needs a public note.")
    with db.atomic():
        # Re-read inside the transaction: another staff member may have moved it meanwhile.
        current, category_id = (
            Idea.select(Idea.status, Idea.category).where(Idea.id == idea.id).tuples().get()
        )
        if current == to_status:
            raise StatusError(f"This idea is already “{STATUS_LABELS[to_status]}”.")
        now = utcnow()
        # is_open moves with the status in the same UPDATE: launched and declined ideas close.
        changes = {
            Idea.status: to_status,
            Idea.updated_at: now,
            Idea.is_open: to_status not in Idea.CLOSED_STATUSES,
        }
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
            category=category_id,
        )
        count_status_change(record)
        audit.record(
            author,
            "status",
            f"#{idea.id}: {STATUS_LABELS.get(current, current)} → {STATUS_LABELS[to_status]}",
            idea_id=idea.id,
            from_status=current,
            to_status=to_status,
            status_change_id=record.id,
        )
        if announce:
            record_event(EVENT_STATUS, idea.id, author.id, status_change=record.id)
        idea.status = to_status
        webhooks.status_changed(idea.id, current, record.note, author)
    return record


def history_of(idea_id: int) -> list[StatusChange]:
    """The idea's signed status changes with their authors, oldest first."""
    return list(
        StatusChange.select(StatusChange, User)
        .join(User)
        .where(StatusChange.idea == idea_id)
        .order_by(StatusChange.created_at, StatusChange.id)
    )


def latest_notes(idea_ids: list[int]) -> dict[int, StatusChange]:
    """The newest signed status note of each idea, in one query."""
    if not idea_ids:
        return {}
    changes = (
        StatusChange.select(StatusChange, User)
        .join(User)
        .where(StatusChange.idea.in_(idea_ids))
        .order_by(StatusChange.created_at.desc(), StatusChange.id.desc())
    )
    notes: dict[int, StatusChange] = {}
    for change in changes:
        notes.setdefault(change.idea_id, change)
    return notes
