"""Connecting the board to other tools: outgoing webhooks and each delivery to them, personal
access tokens for the JSON API, and accounts at OpenID Connect providers that sign people in."""

from peewee import (
    AutoField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from ideaboard.db import BaseModel
from ideaboard.models.core import User, utcnow

# What a webhook can ask for; "webhook.test" is the admin's "send test event" only.
WEBHOOK_EVENTS = (
    "idea.created",
    "idea.status_changed",
    "comment.created",
    "changelog.published",
    "idea.merged",
)
WEBHOOK_TEST_EVENT = "webhook.test"
DELIVERY_PENDING, DELIVERY_SENT, DELIVERY_FAILED = "pending", "sent", "failed"


class Webhook(BaseModel):
    """An address the board posts its events to, signed with the webhook's own secret."""

    id = AutoField()
    url = TextField()
    events = TextField()  # the event names, comma-separated
    # The HMAC key both sides hold: the board signs with it, the receiver checks with it.
    secret = CharField(max_length=100)
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    created_at = DateTimeField(default=utcnow)

    @property
    def event_names(self) -> list[str]:
        return [name for name in self.events.split(",") if name]


class WebhookDelivery(BaseModel):
    """One event for one webhook: written in the transaction of the action that caused it,
    posted by the worker, retried with backoff (the outbox's way: board/outbox.py)."""

    id = AutoField()
    webhook = ForeignKeyField(Webhook, backref="deliveries", on_delete="CASCADE")
    event = CharField(max_length=40)
    # The event's data as JSON, with paths rather than addresses: the worker adds the board's
    # address when it builds the body, the same on every attempt.
    data = TextField()
    created_at = DateTimeField(default=utcnow)
    status = CharField(max_length=10, default=DELIVERY_PENDING)
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(default=utcnow)
    response_code = IntegerField(null=True)
    last_error = TextField(default="")
    delivered_at = DateTimeField(null=True)

    class Meta:
        table_name = "webhookdelivery"
        indexes = ((("status", "next_attempt_at"), False), (("webhook", "id"), False))


# What a personal access token may do: read what its owner may read, act as them (write), and
# use their staff rights (staff; only for staff accounts).
TOKEN_SCOPES = ("read", "write", "staff")


class ApiToken(BaseModel):
    """A personal access token for the API. The secret is shown once; only its SHA-256 is kept
    (a long random secret needs no slow hash), and its first characters, to tell tokens apart."""

    id = AutoField()
    user = ForeignKeyField(User, backref="api_tokens", on_delete="CASCADE")
    name = CharField(max_length=60)
    token_hash = CharField(max_length=64, unique=True)
    prefix = CharField(max_length=16)
    scopes = CharField(max_length=40)  # comma-separated, from TOKEN_SCOPES
    created_at = DateTimeField(default=utcnow)
    last_used_at = DateTimeField(null=True)

    class Meta:
        table_name = "apitoken"

    @property
    def scope_names(self) -> list[str]:
        return [name for name in self.scopes.split(",") if name]


class LinkedAccount(BaseModel):
    """An account at an OpenID Connect provider that signs in as this user: the provider's
    name in IDEABOARD_OIDC_PROVIDERS and its stable subject id (never the email, which changes)."""

    id = AutoField()
    user = ForeignKeyField(User, backref="linked_accounts", on_delete="CASCADE")
    provider = CharField(max_length=40)
    subject = CharField(max_length=255)
    email = CharField(max_length=254, default="")
    created_at = DateTimeField(default=utcnow)
    last_used_at = DateTimeField(null=True)

    class Meta:
        table_name = "linkedaccount"
        indexes = ((("provider", "subject"), True),)
