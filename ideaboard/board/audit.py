"""The audit log: every staff and admin action, written in the action's own transaction.

Rows are never changed or removed (the database refuses it), and carry names and ids rather
than references, so they outlive the people, ideas and categories they mention.
"""

import json

from ideaboard.models import AuditEntry, User

# Every action the log records, with the label the audit page filters by.
ACTIONS = {
    "status": "Status change",
    "merge": "Merge",
    "unmerge": "Unmerge",
    "hide": "Hide",
    "restore": "Restore",
    "dismiss_flag": "Flag dismissed",
    "approve": "First post approved",
    "delete_comment": "Comment deleted",
    "suspend": "Suspension",
    "unsuspend": "Suspension lifted",
    "role": "Role change",
    "category": "Category change",
    "vote_on_behalf": "Vote recorded on behalf",
    "staff_note": "Internal note",
    "webhook": "Webhook change",
}


def record(
    actor: User | None,
    action: str,
    summary: str,
    *,
    idea_id: int | None = None,
    user_id: int | None = None,
    category_id: int | None = None,
    **detail,
) -> AuditEntry:
    """Append one entry. Call it inside the transaction of the action it records, so that
    the action and its record land (or roll back) together. actor None: the system itself
    (a command run by an operator)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    return AuditEntry.create(
        actor_id=actor.id if actor else None,
        actor_name=actor.name if actor else "System",
        action=action,
        idea_id=idea_id,
        user_id=user_id,
        category_id=category_id,
        summary=summary,
        detail=json.dumps(detail, default=str, sort_keys=True),
    )
