"""The tables: users and their sessions, categories, ideas, votes, comments, status history."""

import math
from datetime import UTC, datetime

from peewee import (
    SQL,
    AutoField,
    BooleanField,
    CharField,
    CompositeKey,
    DateTimeField,
    DoubleField,
    ForeignKeyField,
    IntegerField,
    TextField,
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
# What happened to an idea someone follows (Event.kind).
EVENT_STATUS, EVENT_ANSWER, EVENT_COMMENT, EVENT_CHANGELOG = (
    "status_change",
    "official_answer",
    "comment",
    "changelog",
)

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
    name = CharField(max_length=60, unique=True)
    created_at = DateTimeField(default=utcnow)


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


class Vote(BaseModel):
    id = AutoField()
    idea = ForeignKeyField(Idea, backref="votes", on_delete="CASCADE")
    user = ForeignKeyField(User, backref="votes", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        # The database, not the application, guarantees one vote per person per idea.
        indexes = ((("idea", "user"), True),)


class Comment(BaseModel):
    id = AutoField()
    idea = ForeignKeyField(Idea, backref="comments", on_delete="CASCADE")
    author = ForeignKeyField(User, backref="comments", on_delete="CASCADE")
    body = TextField()
    # Fixed when written: a reply stays official even if its author later changes role.
    is_official = BooleanField(default=False)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("idea", "created_at"), False),)


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


class Follow(BaseModel):
    """Who hears about an idea. An unfollow keeps the row, inactive, so that voting or
    commenting later does not follow the idea again behind the person's back."""

    id = AutoField()
    user = ForeignKeyField(User, backref="follows", on_delete="CASCADE")
    idea = ForeignKeyField(Idea, backref="follows", on_delete="CASCADE")
    active = BooleanField(default=True)
    reason = CharField(max_length=10)  # own, voted, commented, asked
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("idea", "user"), True), (("user", "created_at"), False))


class ChangelogPost(BaseModel):
    """A release note from the team, naming the ideas it delivers."""

    id = AutoField()
    author = ForeignKeyField(User, backref="changelog_posts", on_delete="CASCADE")
    title = CharField(max_length=120)
    body = TextField(default="")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("created_at", "id"), False),)


class ChangelogIdea(BaseModel):
    id = AutoField()
    post = ForeignKeyField(ChangelogPost, backref="links", on_delete="CASCADE")
    idea = ForeignKeyField(Idea, backref="changelog_links", on_delete="CASCADE")

    class Meta:
        indexes = ((("post", "idea"), True), (("idea",), False))


class Event(BaseModel):
    """Something happened to an idea; written with the change, fanned out by the worker."""

    id = AutoField()
    kind = CharField(max_length=20)
    idea = ForeignKeyField(Idea, backref="events", on_delete="CASCADE")
    actor = ForeignKeyField(User, backref="events", null=True, on_delete="SET NULL")
    status_change = ForeignKeyField(StatusChange, null=True, on_delete="CASCADE")
    comment = ForeignKeyField(Comment, null=True, on_delete="CASCADE")
    changelog_post = ForeignKeyField(ChangelogPost, null=True, on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    # Set once every follower has its notification.
    done_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("done_at", "id"), False),)


class Notification(BaseModel):
    id = AutoField()
    user = ForeignKeyField(User, backref="notifications", on_delete="CASCADE")
    event = ForeignKeyField(Event, backref="notifications", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    read_at = DateTimeField(null=True)
    # Set when a digest carried it (instant mail is its own outbox row).
    mailed_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("event", "user"), True), (("user", "id"), False), (("user", "read_at"), False))


# Outgoing mail moves from pending to sent, or to failed once every retry is used up.
MAIL_PENDING, MAIL_SENT, MAIL_FAILED = "pending", "sent", "failed"


class OutgoingMail(BaseModel):
    """The outbox: a mail is written here in the transaction of the action that causes it.

    The worker claims due rows by pushing next_attempt_at past a lease: a worker that dies
    mid-send leaves the row due again after the lease, to be sent with the same Message-ID.
    """

    id = AutoField()
    message_id = CharField(max_length=200, unique=True)
    kind = CharField(max_length=30)
    user = ForeignKeyField(User, backref="mails", null=True, on_delete="SET NULL")
    to_address = CharField(max_length=254)
    subject = CharField(max_length=200)
    text_body = TextField()
    html_body = TextField()
    # The one-click unsubscribe link (RFC 8058), when the mail is one a person can stop.
    unsubscribe_url = TextField(null=True)
    status = CharField(max_length=10, default=MAIL_PENDING)
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(default=utcnow)
    last_error = TextField(default="")
    created_at = DateTimeField(default=utcnow)
    sent_at = DateTimeField(null=True)

    class Meta:
        # The worker reads the due pending rows in order of their time.
        indexes = ((("status", "next_attempt_at"), False),)


# /listening's counts: board/listening.py moves them with every staff answer and rebuilds them.


class ResponseTime(BaseModel):  # answered ideas per bucket of board/listening.BUCKETS
    bucket = IntegerField(primary_key=True)
    ideas = IntegerField(default=0)


class PostingDay(BaseModel):  # per day posted (since 1970, UTC): ideas, how soon answered
    day = IntegerField(primary_key=True)
    posted = IntegerField(default=0)  # counted when 30 days old (ListeningState.closed_before)
    answered = IntegerField(default=0)
    within_7_days = IntegerField(default=0)
    within_30_days = IntegerField(default=0)


class QuarterCount(BaseModel):  # ideas accepted (into accepted or later) and launched
    quarter = IntegerField()  # year * 10 + quarter: 20263 is July to September 2026
    category_id = IntegerField()  # 0: no category
    accepted = IntegerField(default=0)
    launched = IntegerField(default=0)

    class Meta:
        primary_key = CompositeKey("quarter", "category_id")


class StaffAnswers(BaseModel):  # status changes and official answers per person
    user = ForeignKeyField(User, primary_key=True, on_delete="CASCADE")
    answers = IntegerField(default=0)


# One row: PostingDay.posted counts the ideas up to last_idea_id on days before closed_before.
class ListeningState(BaseModel):
    id = IntegerField(primary_key=True)
    closed_before = IntegerField()
    last_idea_id = IntegerField()


ALL_MODELS = [
    User,
    UserSession,
    Category,
    Idea,
    Vote,
    Comment,
    StatusChange,
    Follow,
    ChangelogPost,
    ChangelogIdea,
    Event,
    Notification,
    OutgoingMail,
    ResponseTime,
    PostingDay,
    QuarterCount,
    StaffAnswers,
    ListeningState,
]
