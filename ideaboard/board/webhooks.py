"""Outgoing webhooks: admins name an address and the events it wants; every such event is
written to the outbox in the transaction of the action that caused it, and the worker posts it,
signed, retrying with backoff (the way mail goes: board/outbox.py).

The signature: HMAC-SHA256, keyed with the webhook's secret, over "<timestamp>.<body>", sent as
`X-IdeaBoard-Signature: sha256=<hex>` with `X-IdeaBoard-Timestamp: <unix seconds>`; a
receiver recomputes it and refuses old timestamps (README, "Webhooks"). Where the posts may go
is ideaboard/webhook_http.py's business: never to internal addresses unless an operator allows
them by name (IDEABOARD_WEBHOOK_ALLOW_HOSTS).
"""

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from ideaboard.board import audit
from ideaboard.board.outbox import lease_due, retry_delay
from ideaboard.db import db
from ideaboard.models import (
    DELIVERY_FAILED,
    DELIVERY_PENDING,
    DELIVERY_SENT,
    WEBHOOK_EVENTS,
    WEBHOOK_TEST_EVENT,
    Comment,
    Idea,
    User,
    Webhook,
    WebhookDelivery,
    utcnow,
)
from ideaboard.webhook_http import Refused, Unreachable, check_url, post

# After this many attempts (over about a day and a half) a delivery is given up.
MAX_ATTEMPTS = 10
BATCH = 50
# Deliveries shown per page of a webhook's log.
LOG_PAGE = 50
# What is kept of an answer or an error, for the log.
KEPT_TEXT = 500


class WebhookError(ValueError):
    """A webhook that cannot be made as asked; the message says why, for admins."""


@dataclass(frozen=True)
class WebhookSettings:
    base_url: str
    allow_hosts: frozenset[str]
    timeout: float


def webhook_settings(config: Mapping) -> WebhookSettings:
    return WebhookSettings(
        base_url=config["BASE_URL"],
        allow_hosts=frozenset(config["WEBHOOK_ALLOW_HOSTS"]),
        timeout=config["WEBHOOK_TIMEOUT"],
    )


# --- configuring ---------------------------------------------------------------------------


def url_problem(url: str) -> str | None:
    """Why this address can never be a webhook's (a scheme other than http(s), a password in
    it…), or None. Whether it may be called is decided again at every attempt."""
    problem = check_url((url or "").strip())
    return f"{problem[0].upper()}{problem[1:].rstrip('.')}." if problem else None


def add_webhook(url: str, events: list[str], actor: User | None) -> Webhook:
    """A new webhook with a fresh secret; actor None: an operator at the command line."""
    url = (url or "").strip()
    problem = url_problem(url)
    if problem:
        raise WebhookError(problem)
    unknown = sorted(set(events) - set(WEBHOOK_EVENTS))
    if unknown:
        raise WebhookError(f"Unknown events: {', '.join(unknown)}.")
    if not events:
        raise WebhookError("Choose at least one event.")
    chosen = [name for name in WEBHOOK_EVENTS if name in events]
    with db.atomic():
        hook = Webhook.create(
            url=url,
            events=",".join(chosen),
            secret=secrets.token_urlsafe(32),
            created_by=actor.id if actor else None,
        )
        audit.record(actor, "webhook", f"Added webhook #{hook.id} to {url}", events=chosen)
    return hook


def remove_webhook(webhook_id: int, actor: User) -> bool:
    with db.atomic():
        hook = Webhook.get_or_none(Webhook.id == webhook_id)
        if hook is None:
            return False
        hook.delete_instance()
        audit.record(actor, "webhook", f"Removed webhook #{webhook_id} to {hook.url}")
    return True


def list_webhooks() -> list[Webhook]:
    return list(Webhook.select().order_by(Webhook.id))


def find_webhook(webhook_id: int) -> Webhook | None:
    return Webhook.get_or_none(Webhook.id == webhook_id)


def delivery_log(webhook_id: int, before: int | None = None) -> tuple[list, int | None]:
    """A page of a webhook's deliveries, newest first, and the cursor of the next page."""
    query = WebhookDelivery.select().where(WebhookDelivery.webhook == webhook_id)
    if before:
        query = query.where(WebhookDelivery.id < before)
    rows = list(query.order_by(WebhookDelivery.id.desc()).limit(LOG_PAGE + 1))
    older = rows[LOG_PAGE - 1].id if len(rows) > LOG_PAGE else None
    return rows[:LOG_PAGE], older


def send_test(webhook_id: int) -> WebhookDelivery | None:
    """A test event for this webhook alone, delivered by the worker like any other."""
    hook = find_webhook(webhook_id)
    if hook is None:
        return None
    data = {"message": "A test event from the board's webhook page."}
    return WebhookDelivery.create(webhook=hook.id, event=WEBHOOK_TEST_EVENT, data=_json(data))


# --- events ----------------------------------------------------------------------------------


def _json(data) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)


def idea_data(idea: Idea) -> dict:
    """What an event says of an idea: public fields, the author by display name."""
    return {
        "id": idea.id,
        "title": idea.title,
        "status": idea.status,
        "votes": idea.vote_count,
        "comments": idea.comment_count,
        "author": idea.author.name if idea.author_id else None,
        "path": f"/ideas/{idea.id}",
    }


def emit(event: str, build: Callable[[], dict]) -> int:
    """Queue the event for every webhook that asked for it; call it inside the action's
    transaction, so an event is queued exactly when its action happened. build() makes the
    data, only when some webhook wants it. The number of deliveries queued."""
    hooks = [h.id for h in Webhook.select(Webhook.id, Webhook.events) if event in h.event_names]
    if hooks:
        data = _json(build())
        WebhookDelivery.insert_many(
            [{"webhook": h, "event": event, "data": data} for h in hooks]
        ).execute()
    return len(hooks)


def _idea(idea_id: int) -> dict:
    return idea_data(Idea.select(Idea, User).join(User).where(Idea.id == idea_id).get())


def idea_created(idea_id: int) -> None:
    emit("idea.created", lambda: {"idea": _idea(idea_id)})


def status_changed(idea_id: int, previous: str, note: str, by: User) -> None:
    emit(
        "idea.status_changed",
        lambda: {"idea": _idea(idea_id), "previous_status": previous, "note": note, "by": by.name},
    )


def comment_created(comment: Comment, author: User) -> None:
    def build() -> dict:
        return {
            "idea": _idea(comment.idea_id),
            "comment": {
                "id": comment.id,
                "body": comment.body,
                "official": comment.is_official,
                "author": author.name,
                "path": f"/ideas/{comment.idea_id}#comment-{comment.id}",
            },
        }

    emit("comment.created", build)


def changelog_published(post_id: int, title: str, body: str, by: User, idea_ids: list) -> None:
    def build() -> dict:
        post = {"id": post_id, "title": title, "body": body, "by": by.name}
        post["path"] = f"/changelog/{post_id}"
        return {"post": post, "ideas": [_idea(idea_id) for idea_id in idea_ids]}

    emit("changelog.published", build)


def idea_merged(duplicate_id: int, original_id: int, by: User) -> None:
    emit(
        "idea.merged",
        lambda: {"duplicate": _idea(duplicate_id), "original": _idea(original_id), "by": by.name},
    )


# --- delivering ------------------------------------------------------------------------------


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for a body sent at `timestamp` (unix seconds)."""
    message = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def body_of(delivery: WebhookDelivery, settings: WebhookSettings) -> bytes:
    """The posted JSON: the same bytes on every attempt."""
    envelope = {
        "id": delivery.id,
        "event": delivery.event,
        "created_at": delivery.created_at.isoformat() + "Z",
        "board_url": settings.base_url,
        "data": json.loads(delivery.data),
    }
    return _json(envelope).encode()


@dataclass
class HookDelivery:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def _claim_due(now: datetime) -> list[WebhookDelivery]:
    """Take due deliveries for this worker for a lease (as board/outbox.py claims mail)."""
    ids = lease_due(WebhookDelivery, DELIVERY_PENDING, now, BATCH)
    if not ids:
        return []
    return list(
        WebhookDelivery.select(WebhookDelivery, Webhook)
        .join(Webhook)
        .where(WebhookDelivery.id.in_(ids))
        .order_by(WebhookDelivery.id)
    )


def _attempt(delivery: WebhookDelivery, settings: WebhookSettings) -> tuple[int | None, str]:
    """(status code, error): a 2xx status and no error means delivered."""
    body = body_of(delivery, settings)
    timestamp = int(time.time())
    headers = {
        "X-IdeaBoard-Event": delivery.event,
        "X-IdeaBoard-Delivery": str(delivery.id),
        "X-IdeaBoard-Timestamp": str(timestamp),
        "X-IdeaBoard-Signature": sign(delivery.webhook.secret, timestamp, body),
    }
    try:
        answer = post(
            delivery.webhook.url,
            body,
            headers,
            allow_hosts=settings.allow_hosts,
            timeout=settings.timeout,
        )
    except Refused as refused:
        return None, f"Refused: {refused}"
    except Unreachable as unreachable:
        return None, f"Unreachable: {unreachable}"
    if 200 <= answer.status < 300:
        return answer.status, ""
    # Redirects are not followed: the address should be the final one.
    excerpt = answer.body[:KEPT_TEXT].decode("utf-8", "replace")
    return answer.status, f"HTTP {answer.status}: {excerpt}".strip()


def deliver_due(settings: WebhookSettings, now: datetime | None = None) -> HookDelivery:
    """Post every due delivery once; failures wait 1, 2, 4 … minutes before the next try."""
    now = now or utcnow()
    done = HookDelivery()
    for delivery in _claim_due(now):
        code, error = _attempt(delivery, settings)
        changes = {"response_code": code, "last_error": error[:KEPT_TEXT]}
        if not error:
            changes.update(status=DELIVERY_SENT, delivered_at=utcnow())
            done.sent += 1
        elif delivery.attempts >= MAX_ATTEMPTS:
            changes.update(status=DELIVERY_FAILED)
            done.failed += 1
        else:
            changes.update(next_attempt_at=now + retry_delay(delivery.attempts))
            done.retried += 1
        WebhookDelivery.update(**changes).where(WebhookDelivery.id == delivery.id).execute()
    return done
