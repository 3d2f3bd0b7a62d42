"""Moderation: members flag ideas and comments, staff hide, restore or dismiss, and a new
account's first post may wait for approval.

Hidden and waiting ideas stay in the table and keep their votes and comments; listings, search
and feeds skip them (listing.publicly_listed), their pages show a placeholder to everyone but
the author and staff. A hidden comment stays for its author and staff and no longer counts in
its idea's comment count and hot score. Every staff decision is written to the audit log in
its own transaction; the reason for hiding is kept there, and shown to the author from there.
"""

import json

from ideaboard.board import audit, webhooks
from ideaboard.board.counters import move_counters
from ideaboard.db import db, is_sqlite
from ideaboard.models import (
    FLAG_DISMISSED,
    FLAG_HIDDEN,
    AuditEntry,
    Comment,
    Flag,
    Idea,
    User,
    utcnow,
)

# Why someone flags: the stored code, and how pages say it.
REASONS = {
    "spam": "Spam or advertising",
    "offensive": "Rude, abusive or offensive",
    "off_topic": "Not about this board",
    "duplicate": "Duplicate of another idea",
    "other": "Something else",
}
DETAILS_MAX = 500
HIDE_REASON_MAX = 300
# A flag's reason column holds "code" or "code: what the reporter added".
DETAILS_SEPARATOR = ": "


class ModerationError(ValueError):
    """The action cannot be done as asked; the message says why, for people."""


class NotAllowed(ModerationError):
    """Only staff may do this."""


def _require_staff(actor: User) -> None:
    if actor is None or not actor.is_staff:
        raise NotAllowed("Only staff can moderate.")


def is_public(idea: Idea) -> bool:
    """Whether everyone may see the idea (hidden and waiting ones are not)."""
    return idea.hidden_at is None and not idea.pending_review


def can_see_idea(idea: Idea, user: User | None) -> bool:
    """A hidden or waiting idea stays visible to its author and to staff."""
    if is_public(idea):
        return True
    return user is not None and (user.is_staff or user.id == idea.author_id)


def can_see_comment(comment: Comment, user: User | None) -> bool:
    """A hidden comment stays visible to its author and to staff; others see a placeholder."""
    if comment.hidden_at is None:
        return True
    return user is not None and (user.is_staff or user.id == comment.author_id)


def needs_review(author: User) -> bool:
    """With pre-moderation on: whether this author's next idea waits for approval. Staff never
    wait; members wait until one of their ideas has been public (approved, or posted before)."""
    if author.is_staff:
        return False
    published = Idea.select(Idea.id).where(
        (Idea.author == author.id) & Idea.hidden_at.is_null() & ~Idea.pending_review
    )
    return not published.limit(1).exists()


def split_reason(stored: str) -> tuple[str, str]:
    """A flag's stored reason as (code, the reporter's own words)."""
    code, _, details = stored.partition(DETAILS_SEPARATOR)
    if code not in REASONS:
        return "other", stored
    return code, details


def reason_label(code: str) -> str:
    return REASONS.get(code, REASONS["other"])


def _lock_person(user_id: int) -> None:
    """Make one person's flags take turns (PostgreSQL; SQLite's IMMEDIATE writes already do),
    so a double click cannot leave two open flags on one item."""
    if not is_sqlite():
        User.select(User.id).where(User.id == user_id).for_update().first()


def flag_refusal(reporter: User, target: Idea | Comment) -> str | None:
    """Why this person cannot flag this idea or comment now; None when they can.

    Nobody flags their own words (they can edit them), nothing already hidden, and one open
    flag per person per item.
    """
    is_comment = isinstance(target, Comment)
    what = "comment" if is_comment else "idea"
    if target.author_id == reporter.id:
        return f"This is your own {what}: edit it instead of flagging it."
    if target.hidden_at is not None:
        return f"The moderators have already hidden this {what}."
    idea_id, comment_id = (target.idea_id, target.id) if is_comment else (target.id, None)
    if _open_flags(idea_id, comment_id).where(Flag.reporter == reporter.id).exists():
        return f"You have already flagged this {what}. The moderators will look at it soon."
    return None


def flag_content(
    reporter: User, idea_id: int, reason: str, comment_id: int | None = None, details: str = ""
) -> Flag | None:
    """Ask staff to look at an idea (or one of its comments), for one of REASONS with the
    reporter's own words if any. None: no such item (or not one this person can see)."""
    if reporter is None:
        raise ModerationError("Log in to flag.")
    if reason not in REASONS:
        raise ModerationError("Choose why the moderators should look at this.")
    details = " ".join((details or "").split())[:DETAILS_MAX]
    stored = f"{reason}{DETAILS_SEPARATOR}{details}" if details else reason
    with db.atomic():
        idea = Idea.get_or_none(Idea.id == idea_id)
        if idea is None or not can_see_idea(idea, reporter):
            return None
        target = idea
        if comment_id is not None:
            target = Comment.get_or_none((Comment.id == comment_id) & (Comment.idea == idea_id))
            if target is None:
                return None
        _lock_person(reporter.id)
        refusal = flag_refusal(reporter, target)
        if refusal:
            raise ModerationError(refusal)
        return Flag.create(reporter=reporter.id, idea=idea_id, comment=comment_id, reason=stored)


def _open_flags(idea_id: int, comment_id: int | None):
    item = Flag.comment.is_null() if comment_id is None else Flag.comment == comment_id
    return Flag.select().where((Flag.idea == idea_id) & item & Flag.resolved_at.is_null())


def _resolve(idea_id: int, comment_id: int | None, resolution: str, actor: User) -> int:
    """Close the item's open flags with this decision; how many were open."""
    item = Flag.comment.is_null() if comment_id is None else Flag.comment == comment_id
    return (
        Flag.update(resolved_at=utcnow(), resolved_by=actor.id, resolution=resolution)
        .where((Flag.idea == idea_id) & item & Flag.resolved_at.is_null())
        .execute()
    )


def _title(idea: Idea) -> str:
    return f"#{idea.id} “{idea.title}”"


def hide_idea(idea_id: int, actor: User, reason: str = "") -> Idea | None:
    """Take an idea off the board (a waiting first post: reject it). None: no such idea."""
    _require_staff(actor)
    reason = " ".join((reason or "").split())[:HIDE_REASON_MAX]
    with db.atomic():
        idea = Idea.get_or_none(Idea.id == idea_id)
        if idea is None:
            return None
        # Only the request that really hides it goes on (two staff may click at once).
        changed = (
            Idea.update(hidden_at=utcnow(), pending_review=False)
            .where((Idea.id == idea_id) & Idea.hidden_at.is_null())
            .execute()
        )
        if not changed:
            raise ModerationError("This idea is already hidden.")
        flags = _resolve(idea_id, None, FLAG_HIDDEN, actor)
        what = "Rejected the first post" if idea.pending_review else "Hid idea"
        audit.record(
            actor,
            "hide",
            f"{what} {_title(idea)}" + (f": {reason}" if reason else ""),
            idea_id=idea_id,
            user_id=idea.author_id,
            reason=reason,
            flags_resolved=flags,
            was_pending=idea.pending_review,
        )
    return idea


def restore_idea(idea_id: int, actor: User) -> Idea | None:
    """Put a hidden idea back on the board. None: no such idea."""
    _require_staff(actor)
    with db.atomic():
        idea = Idea.get_or_none(Idea.id == idea_id)
        if idea is None:
            return None
        changed = (
            Idea.update(hidden_at=None)
            .where((Idea.id == idea_id) & Idea.hidden_at.is_null(False))
            .execute()
        )
        if not changed:
            raise ModerationError("This idea is not hidden.")
        audit.record(
            actor,
            "restore",
            f"Restored idea {_title(idea)}",
            idea_id=idea_id,
            user_id=idea.author_id,
        )
    return idea


def approve_idea(idea_id: int, actor: User) -> Idea | None:
    """Publish a first post that waited for review. None: no such idea."""
    _require_staff(actor)
    with db.atomic():
        idea = Idea.get_or_none(Idea.id == idea_id)
        if idea is None:
            return None
        changed = (
            Idea.update(pending_review=False)
            .where((Idea.id == idea_id) & Idea.pending_review & Idea.hidden_at.is_null())
            .execute()
        )
        if not changed:
            raise ModerationError("This idea is not awaiting review.")
        # Its creation reaches the webhooks now that others can see it.
        webhooks.idea_created(idea_id)
        audit.record(
            actor,
            "approve",
            f"Approved the first post {_title(idea)}",
            idea_id=idea_id,
            user_id=idea.author_id,
        )
    return idea


def _comment_summary(comment: Comment) -> str:
    return f"comment #{comment.id} on idea #{comment.idea_id}"


def hide_comment(comment_id: int, actor: User, reason: str = "") -> Comment | None:
    """Hide a comment; it stops counting in its idea's counters. None: no such comment."""
    _require_staff(actor)
    reason = " ".join((reason or "").split())[:HIDE_REASON_MAX]
    with db.atomic():
        comment = Comment.get_or_none(Comment.id == comment_id)
        if comment is None:
            return None
        changed = (
            Comment.update(hidden_at=utcnow())
            .where((Comment.id == comment_id) & Comment.hidden_at.is_null())
            .execute()
        )
        if not changed:
            raise ModerationError("This comment is already hidden.")
        move_counters(comment.idea_id, comments=-1)
        flags = _resolve(comment.idea_id, comment_id, FLAG_HIDDEN, actor)
        audit.record(
            actor,
            "hide",
            f"Hid {_comment_summary(comment)}" + (f": {reason}" if reason else ""),
            idea_id=comment.idea_id,
            user_id=comment.author_id,
            comment_id=comment_id,
            reason=reason,
            flags_resolved=flags,
        )
    return comment


def restore_comment(comment_id: int, actor: User) -> Comment | None:
    """Show a hidden comment again; it counts again. None: no such comment."""
    _require_staff(actor)
    with db.atomic():
        comment = Comment.get_or_none(Comment.id == comment_id)
        if comment is None:
            return None
        changed = (
            Comment.update(hidden_at=None)
            .where((Comment.id == comment_id) & Comment.hidden_at.is_null(False))
            .execute()
        )
        if not changed:
            raise ModerationError("This comment is not hidden.")
        move_counters(comment.idea_id, comments=1)
        audit.record(
            actor,
            "restore",
            f"Restored {_comment_summary(comment)}",
            idea_id=comment.idea_id,
            user_id=comment.author_id,
            comment_id=comment_id,
        )
    return comment


def dismiss_flags(idea_id: int, actor: User, comment_id: int | None = None) -> int:
    """Close an item's open flags without acting on it; how many there were."""
    _require_staff(actor)
    with db.atomic():
        dismissed = _resolve(idea_id, comment_id, FLAG_DISMISSED, actor)
        if not dismissed:
            raise ModerationError("There are no open flags on this: someone has dealt with them.")
        item = f"comment #{comment_id} on idea #{idea_id}" if comment_id else f"idea #{idea_id}"
        audit.record(
            actor,
            "dismiss_flag",
            f"Dismissed {dismissed} flag{'' if dismissed == 1 else 's'} on {item}",
            idea_id=idea_id,
            comment_id=comment_id,
            flags=dismissed,
        )
    return dismissed


def hide_reason(idea_id: int, comment_id: int | None = None) -> str:
    """What staff wrote when they last hid the idea (or the comment); "" if nothing."""
    entries = (
        AuditEntry.select(AuditEntry.detail)
        .where((AuditEntry.idea_id == idea_id) & (AuditEntry.action == "hide"))
        .order_by(AuditEntry.id.desc())
        .limit(50)
    )
    for entry in entries:
        detail = json.loads(entry.detail or "{}")
        if detail.get("comment_id") == comment_id:
            return detail.get("reason", "")
    return ""
