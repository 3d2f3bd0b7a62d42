"""Closing the loop: who follows what, what happened, who was told, the mail on its way."""

from peewee import (
    AutoField,
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from ideaboard.db import BaseModel
from ideaboard.models.core import Comment, Idea, StatusChange, User, utcnow
from ideaboard.models.curation import Merge

# What happened to an idea someone follows (Event.kind).
EVENT_STATUS, EVENT_ANSWER, EVENT_COMMENT, EVENT_CHANGELOG, EVENT_MERGED = (
    "status_change",
    "official_answer",
    "comment",
    "changelog",
    "merged",
)


class Follow(BaseModel):
    """Who hears about an idea. An unfollow keeps the row, inactive, so that voting or
    commenting later does not follow the idea again behind the person's back."""

    id = AutoField()
    user = ForeignKeyField(User, backref="follows", on_delete="CASCADE")
    idea = ForeignKeyField(Idea, backref="follows", on_delete="CASCADE")
    active = BooleanField(default=True)
    reason = CharField(max_length=10)  # own, voted, commented, asked
    created_at = DateTimeField(default=utcnow)
    # Set on a follow a merge copied from this duplicate; unmerging removes exactly these.
    # (Read through (idea, user), like votes: no index of its own.)
    merged_from = ForeignKeyField(Idea, null=True, on_delete="SET NULL", backref="+", index=False)

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
    merge = ForeignKeyField(Merge, null=True, on_delete="CASCADE")
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
