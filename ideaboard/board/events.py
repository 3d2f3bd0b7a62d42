"""Events: what happened to an idea, written in the same transaction as the change itself.

The worker turns each into notifications for the idea's followers (board/notifications.py),
so a status change on an idea with 100,000 followers answers its author as fast as one with
none.
"""

from ideaboard.models import Event, utcnow


def record_event(kind: str, idea_id: int, actor_id: int | None, **refs: int) -> Event:
    """refs: status_change=, comment= or changelog_post= the row the event is about."""
    return Event.create(kind=kind, idea=idea_id, actor=actor_id, created_at=utcnow(), **refs)
