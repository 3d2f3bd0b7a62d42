"""Deleting an account: the person's choice of keeping their words (anonymised) or taking them
along, with every vote withdrawn and every counter kept right, in one transaction."""

from collections import Counter, defaultdict

from ideaboard.board.counters import move_many_counters
from ideaboard.board.notifications import recount_unread, unread_about
from ideaboard.board.people import DELETED_NAME
from ideaboard.db import db, is_sqlite
from ideaboard.models import (
    NEVER,
    Follow,
    Idea,
    Notification,
    OutgoingMail,
    User,
    UserSession,
    utcnow,
)

# What happens to the person's ideas and comments.
KEEP, DELETE = "keep", "delete"
CHOICES = (KEEP, DELETE)
# No argon2 hash looks like this, so no password ever matches it again.
UNUSABLE_PASSWORD = "!"

STAFF_MUST_KEEP = (
    "Staff accounts keep their ideas and comments: the status changes you signed are part of "
    "the board's public history. Choose to keep them, shown as “Deleted user”."
)


class DeletionRefused(ValueError):
    """This account cannot be deleted that way; the message says why, for people."""


def deleted_email(user_id: int) -> str:
    return f"deleted-{user_id}@deleted.invalid"


def _delete_returning_ideas(table: str, column: str, user_id: int) -> list[int]:
    """Delete the person's rows of a table; the idea id of each deleted row."""
    p = db.param
    cursor = db.execute_sql(
        f"DELETE FROM {table} WHERE {column} = {p} RETURNING idea_id", [user_id]
    )
    return [row[0] for row in cursor.fetchall()]


def _withdraw_votes(user_id: int) -> None:
    # One vote per person per idea: each idea loses exactly one.
    move_many_counters(_delete_returning_ideas("vote", "user_id", user_id), votes=-1)


def _delete_comments(user_id: int) -> None:
    per_idea = Counter(_delete_returning_ideas("comment", "author_id", user_id))
    by_amount: dict[int, list[int]] = defaultdict(list)
    for idea_id, amount in per_idea.items():
        by_amount[amount].append(idea_id)
    for amount, idea_ids in by_amount.items():
        move_many_counters(sorted(idea_ids), comments=-amount)


def _lock_person(user_id: int) -> User | None:
    """The account, re-read in the transaction and locked against new votes and comments.

    On PostgreSQL a row that points at the user (a vote, a comment) takes a share lock on it,
    so a vote arriving meanwhile waits for this transaction instead of escaping its count.
    SQLite's IMMEDIATE transaction already keeps every other writer out.
    """
    query = User.select().where(User.id == user_id)
    if not is_sqlite():
        query = query.for_update()
    return query.first()


def _anonymise(user_id: int) -> None:
    User.update(
        name=DELETED_NAME,
        email=deleted_email(user_id),
        password_hash=UNUSABLE_PASSWORD,
        bio="",
        feed_token=None,
        email_verified_at=None,
        deleted_at=utcnow(),
        last_digest_at=None,
        follow_own=False,
        follow_voted=False,
        follow_commented=False,
        mail_status=NEVER,
        mail_answers=NEVER,
        mail_comments=NEVER,
        mail_changelog=NEVER,
    ).where(User.id == user_id).execute()
    Follow.delete().where(Follow.user == user_id).execute()
    Notification.delete().where(Notification.user == user_id).execute()


def delete_account(user_id: int, choice: str) -> bool:
    """Delete the account, keeping (anonymised) or deleting the person's ideas and comments.

    Votes always go and their ideas are recounted. Staff may only keep: the status notes they
    signed must stay. Returns False when there is no such live account (nothing changed).
    """
    if choice not in CHOICES:
        raise DeletionRefused("Choose what happens to your ideas and comments.")
    with db.atomic():
        user = _lock_person(user_id)
        if user is None or user.deleted_at is not None:
            return False
        if choice == DELETE and user.is_staff:
            raise DeletionRefused(STAFF_MUST_KEEP)
        _withdraw_votes(user_id)
        # Every login ends, and mail not yet sent (or kept) with the address goes too.
        UserSession.delete().where(UserSession.user == user_id).execute()
        OutgoingMail.delete().where(OutgoingMail.user == user_id).execute()
        if choice == KEEP:
            _anonymise(user_id)
        else:
            # Others' notifications about these ideas and comments go with them.
            readers = unread_about(user_id)
            _delete_comments(user_id)
            # Votes, comments, follows and events on the person's ideas go with them.
            Idea.delete().where(Idea.author == user_id).execute()
            User.delete().where(User.id == user_id).execute()
            recount_unread([reader for reader in readers if reader != user_id])
    return True
