"""The board itself: people and their logins, categories, ideas, votes, comments, status history."""

import math
from datetime import UTC, datetime

from peewee import (
    SQL,
    AutoField,
    BooleanField,
    CharField,
    DateTimeField,
    DoubleField,
    ForeignKeyField,
    IntegerField,
    TextField,
    fn,
)

from ideaboard.db import BaseModel, is_sqlite

# The public pipeline. Every idea starts "under review"; staff move it on with a signed note.
UNDER_REVIEW, ACCEPTED, IN_PROGRESS, LAUNCHED, DECLINED = (
    "under_review",
    "accepted",
    "in_progress",
    "launched",
    "declined",
)
STATUS_LABELS = {
    UNDER_REVIEW: "Under review",
    ACCEPTED: "Accepted",
    IN_PROGRESS: "In progress",
    LAUNCHED: "Launched",
    DECLINED: "Declined",
}
# The step a product manager most likely takes next from each status.
NEXT_STATUS = {
    UNDER_REVIEW: ACCEPTED,
    ACCEPTED: IN_PROGRESS,
    IN_PROGRESS: LAUNCHED,
    LAUNCHED: IN_PROGRESS,
    DECLINED: UNDER_REVIEW,
}
# Statuses that count as "the company said yes": they appear on the roadmap and in the feeds.
ACCEPTED_OR_LATER = (ACCEPTED, IN_PROGRESS, LAUNCHED)

ROLES = ("member", "staff", "admin")

# How news of followed ideas reaches a person by mail, per kind of news.
INSTANT, DAILY, NEVER = "instant", "daily", "never"
MAIL_MODES = (INSTANT, DAILY, NEVER)

# One factor of ten in engagement is worth this many seconds of freshness in the hot sort.
HOT_TIMESCALE_SECONDS = 7 * 24 * 3600


def utcnow() -> datetime:
    """Naive UTC timestamp: both databases store it the same way."""
    return datetime.now(UTC).replace(tzinfo=None)


def hot_score(votes: int, comments: int, created_at: datetime) -> float:
    """Engagement on a log scale plus a bonus that grows with the creation time.

    Adding the creation time instead of dividing by the age gives the same order as a decay
    but never changes as time passes, so it is stored and indexed, never recomputed in bulk.
    """
    engagement = math.log10(1 + max(votes, 0) + 2 * max(comments, 0))
    # Stored times are naive UTC; without a zone, timestamp() would use the server's zone.
    seconds = created_at.replace(tzinfo=UTC).timestamp()
    return round(engagement + seconds / HOT_TIMESCALE_SECONDS, 6)


def hot_sql(votes: str, comments: str, created_at: str) -> str:
    """hot_score() in SQL, of three SQL expressions, for the connected engine."""
    # Seconds since 1970 of a naive UTC timestamp, as hot_score() computes them.
    if is_sqlite():
        epoch = f"(julianday({created_at}) - 2440587.5) * 86400.0"
    else:
        epoch = f"EXTRACT(EPOCH FROM {created_at})"
    return (
        f"ROUND(CAST(LOG10(1 + {votes} + 2 * {comments})"
        f" + {epoch} / {float(HOT_TIMESCALE_SECONDS)} AS NUMERIC), 6)"
    )


def normalize_email(email: str) -> str:
    """Emails are stored and looked up trimmed and lowercased: one account per address."""
    return email.strip().lower()


class User(BaseModel):
    id = AutoField()
    email = CharField(max_length=254, unique=True)
    name = CharField(max_length=60)
    password_hash = CharField(max_length=255)
    role = CharField(max_length=10, default="member")
    created_at = DateTimeField(default=utcnow)
    # Set when the owner opened the link mailed to this address; cleared when it changes.
    email_verified_at = DateTimeField(null=True)
    bio = TextField(default="")
    # Set when the owner deleted the account and chose to leave their ideas as "deleted user".
    deleted_at = DateTimeField(null=True)
    # Ideas followed without asking: one's own, those one voted for, those one commented on.
    follow_own = BooleanField(default=True)
    follow_voted = BooleanField(default=True)
    follow_commented = BooleanField(default=True)
    # Mail for each kind of news: INSTANT, DAILY (in one digest) or NEVER.
    mail_status = CharField(max_length=10, default=INSTANT)
    mail_answers = CharField(max_length=10, default=INSTANT)
    mail_comments = CharField(max_length=10, default=DAILY)
    mail_changelog = CharField(max_length=10, default=INSTANT)
    last_digest_at = DateTimeField(null=True)
    # Kept with the notifications it counts, so the header's bell costs no query.
    unread_notifications = IntegerField(default=0)
    # The secret in the address of this person's private feed of followed ideas (None: off).
    feed_token = CharField(max_length=64, null=True, unique=True)
    # Set by staff (board/suspension.py): no login, no posting, sessions ended.
    suspended_at = DateTimeField(null=True)

    @property
    def is_staff(self) -> bool:
        return self.role in ("staff", "admin")


class UserSession(BaseModel):
    """One login: the cookie carries a random key, the table only its SHA-256."""

    id = AutoField()
    key_hash = CharField(max_length=64, unique=True)
    user = ForeignKeyField(User, backref="sessions", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    last_seen_at = DateTimeField(default=utcnow)


class Category(BaseModel):
    id = AutoField()
    # Unique whatever its capitals: see the lower(name) index below the class.
    name = CharField(max_length=60, unique=True)
    created_at = DateTimeField(default=utcnow)
    # Lists show categories by position, then name; staff reorder them.
    position = IntegerField(default=0, constraints=[SQL("DEFAULT 0")])
    # An archived category takes no new ideas and leaves the filters; its ideas keep it.
    archived_at = DateTimeField(null=True)


Category.add_index(Category.index(fn.LOWER(Category.name), unique=True, name="category_name_lower"))


class Idea(BaseModel):
    id = AutoField()
    title = CharField(max_length=120)
    body = TextField(default="")
    author = ForeignKeyField(User, backref="ideas", on_delete="CASCADE")
    category = ForeignKeyField(Category, backref="ideas", null=True, on_delete="SET NULL")
    status = CharField(max_length=20, default=UNDER_REVIEW)
    vote_count = IntegerField(default=0)
    comment_count = IntegerField(default=0)
    # Double precision: PostgreSQL's REAL (peewee's FloatField) keeps ~7 digits, which turns
    # close hot scores into ties and breaks paging cursors.
    hot = DoubleField(default=0.0)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    # When the idea last entered the accepted-or-later part of the pipeline (feeds sort on it).
    accepted_at = DateTimeField(null=True)
    # False once launched or declined: the idea leaves the default listing and takes no votes.
    # Stored (and set with the status by pipeline.change_status) because "status IN (three
    # values) ORDER BY hot" cannot be read in order from the (status, hot, id) index. The
    # database default lets schema version 8 add it without rewriting the table.
    is_open = BooleanField(default=True, constraints=[SQL("DEFAULT TRUE")])
    # When staff first answered: a status change or an official reply (board/listening.py).
    first_response_at = DateTimeField(null=True)
    # Curation (board/moderation.py, board/merge.py). Listings, search and feeds show only
    # ideas with none of these: hidden by staff, merged into another, or waiting for a first
    # post's review. Each is rare, so the filter costs nothing on the listing indexes.
    hidden_at = DateTimeField(null=True)
    merged_into = ForeignKeyField(
        "self",
        null=True,
        on_delete="SET NULL",
        backref="merged_ideas",
        column_name="merged_into_id",
        index=False,  # a partial index below the class
    )
    pending_review = BooleanField(default=False, constraints=[SQL("DEFAULT FALSE")])

    # The statuses that close an idea (is_open is False exactly for these).
    CLOSED_STATUSES = (LAUNCHED, DECLINED)

    class Meta:
        # Every listing reads one of these in order and stops after a page: the four sorts,
        # each alone, within a status, within a category and among open (or closed) ideas;
        # plus the pipeline's own orders. docs/DATA-LAYER.md says why category and open share
        # no index.
        indexes = tuple(
            ((*prefix, column, "id"), False)
            for prefix in ((), ("status",), ("category",), ("is_open",))
            for column in ("hot", "vote_count", "created_at", "comment_count")
        ) + (
            (("accepted_at", "id"), False),
            (("status", "accepted_at", "id"), False),
        )

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


# Only merged ideas are in it: small, and never a way to read "not merged" (all the others).
Idea.add_index(
    Idea.index(Idea.merged_into, where=Idea.merged_into.is_null(False), name="idea_merged_into_id")
)
# The moderation queue's lists (board/moderation_queue.py): first posts awaiting review, oldest
# first, and hidden ideas, newest first. Both hold a handful of rows, never the whole table.
# Each names a version-11 column, so no older schema version tries to build it.
Idea.add_index(
    Idea.index(
        Idea.created_at,
        Idea.id,
        Idea.pending_review,
        where=Idea.pending_review,
        name="idea_pending_review",
    )
)
Idea.add_index(
    Idea.index(Idea.hidden_at, Idea.id, where=Idea.hidden_at.is_null(False), name="idea_hidden_at")
)
# An open idea with exactly the title being posted, whatever its capitals (board/search.py).
Idea.add_index(Idea.index(fn.LOWER(Idea.title), name="idea_title_lower"))


class Vote(BaseModel):
    id = AutoField()
    idea = ForeignKeyField(Idea, backref="votes", on_delete="CASCADE")
    user = ForeignKeyField(User, backref="votes", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    # Staff who recorded this vote for the customer (from a call or a mail); None: their own.
    recorded_by = ForeignKeyField(
        User,
        null=True,
        on_delete="SET NULL",
        backref="+",
        column_name="recorded_by_id",
        index=False,
    )
    # Set on a vote a merge copied from this duplicate; unmerging removes exactly these.
    merged_from = ForeignKeyField(
        Idea,
        null=True,
        on_delete="SET NULL",
        backref="+",
        column_name="merged_from_id",
        index=False,  # unmerging reads the original's votes through (idea, user)
    )

    class Meta:
        # The database, not the application, guarantees one vote per person per idea.
        indexes = ((("idea", "user"), True),)


# Only votes staff recorded for customers are in it (few): the idea page counts them from it
# alone. Both columns are named so that no schema older than version 11 tries to build it.
Vote.add_index(
    Vote.index(
        Vote.idea,
        Vote.recorded_by,
        where=Vote.recorded_by.is_null(False),
        name="vote_recorded_idea_id",
    )
)


class Comment(BaseModel):
    id = AutoField()
    idea = ForeignKeyField(Idea, backref="comments", on_delete="CASCADE")
    author = ForeignKeyField(User, backref="comments", on_delete="CASCADE")
    body = TextField()
    # Fixed when written: a reply stays official even if its author later changes role.
    is_official = BooleanField(default=False)
    created_at = DateTimeField(default=utcnow)
    edited_at = DateTimeField(null=True)
    # Hidden by staff: a placeholder for others, still shown to its author.
    hidden_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("idea", "created_at"), False),)


# Hidden comments, newest first, for the moderation queue: only those rows are in it.
Comment.add_index(
    Comment.index(
        Comment.hidden_at,
        Comment.id,
        where=Comment.hidden_at.is_null(False),
        name="comment_hidden_at",
    )
)


class StatusChange(BaseModel):
    id = AutoField()
    idea = ForeignKeyField(Idea, backref="status_changes", on_delete="CASCADE")
    from_status = CharField(max_length=20)
    to_status = CharField(max_length=20)
    author = ForeignKeyField(User, backref="status_changes", on_delete="CASCADE")
    note = TextField()
    created_at = DateTimeField(default=utcnow)
    # The idea's category, copied (and kept in step by board/ideas.edit_idea) so that a
    # category's feed reads its index in order.
    category = ForeignKeyField(Category, null=True, on_delete="SET NULL", index=False)

    class Meta:
        # By idea (its history), and newest first by status and by category (the feeds).
        indexes = (
            (("idea", "created_at"), False),
            (("to_status", "created_at", "id"), False),
            (("category", "created_at", "id"), False),
        )
        constraints = [SQL("CHECK (from_status <> to_status)")]
