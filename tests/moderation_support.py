"""Shared by the moderation tests: a board with flaggable things, clients per role, readers."""

import json

from ideaboard.board.comments import add_comment
from ideaboard.db import db
from ideaboard.models import AuditEntry, Comment, Flag, Idea


def logged_in(app, email: str | None):
    client = app.test_client()
    if email:
        assert client.login(email).status_code == 302
    return client


def a_comment(idea_id: int, author, body: str = "A comment.") -> Comment:
    with db.connection_context():
        return add_comment(idea_id, author, body)


def fresh(model, row_id: int):
    with db.connection_context():
        return model.get_by_id(row_id)


def idea_counts(idea_id: int) -> tuple[int, float]:
    idea = fresh(Idea, idea_id)
    return idea.comment_count, idea.hot


def audit_rows(action: str | None = None) -> list[tuple[str, int | None, int | None, dict]]:
    """(action, idea id, user id, detail) of every audit entry, oldest first."""
    with db.connection_context():
        query = AuditEntry.select().order_by(AuditEntry.id)
        if action:
            query = query.where(AuditEntry.action == action)
        return [(e.action, e.idea_id, e.user_id, json.loads(e.detail)) for e in query]


def open_flags() -> list[tuple[int, int | None, str]]:
    """(idea id, comment id, reason) of every open flag, oldest first."""
    with db.connection_context():
        query = Flag.select().where(Flag.resolved_at.is_null()).order_by(Flag.id)
        return [(f.idea_id, f.comment_id, f.reason) for f in query]
