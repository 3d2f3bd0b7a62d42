"""Outgoing webhooks (board/webhooks.py): each event reaches a real local receiver, signed so
that the README's check accepts it and refuses tampering; failures are retried with backoff
and given up after a while; internal addresses need the operator's allow list at every
attempt; redirects are not followed; admins manage them in the browser, operators with
`flask add-webhook`. Where the posts may go, in depth: tests/test_webhook_http.py."""

import json
from datetime import timedelta

import pytest

from ideaboard.board.changelog import publish
from ideaboard.board.comments import add_comment
from ideaboard.board.ideas import create_idea
from ideaboard.board.merge import merge_ideas
from ideaboard.board.moderation import approve_idea
from ideaboard.board.pipeline import change_status
from ideaboard.board.webhooks import (
    MAX_ATTEMPTS,
    WebhookError,
    add_webhook,
    deliver_due,
    webhook_settings,
)
from ideaboard.db import db
from ideaboard.models import WEBHOOK_EVENTS, AuditEntry, Webhook, WebhookDelivery, utcnow
from tests.mail_support import work
from tests.webhook_support import receiver, verify


@pytest.fixture
def hook_receiver(app):
    app.config["WEBHOOK_ALLOW_HOSTS"] = ["127.0.0.1"]
    app.config["WEBHOOK_TIMEOUT"] = 2.0
    with receiver() as state:
        yield state


def deliveries() -> list[WebhookDelivery]:
    with db.connection_context():
        return list(WebhookDelivery.select().order_by(WebhookDelivery.id))


def deliver(app, now=None):
    with db.connection_context():
        return deliver_due(webhook_settings(app.config), now)


def test_every_event_reaches_the_receiver_signed(app, runner, users, category, hook_receiver):
    staff, member, other = users["staff"], users["member"], users["other"]
    with db.connection_context():
        hook = add_webhook(hook_receiver.url, list(WEBHOOK_EVENTS), staff)
        idea = create_idea(member, "Oat milk everywhere", "Please.", category.id)
        duplicate = create_idea(other, "Oat milk in every store", "")
        add_comment(idea.id, other, "Yes please")
        change_status(idea, "accepted", staff, "Coming in May.")
        merge_ideas(duplicate.id, idea.id, staff)
        publish(staff, "Oat milk is here", "In every store.", [idea.id], mark_launched=False)
    assert "webhooks: 6 delivered" in work(runner)
    got = {r.headers["X-IdeaBoard-Event"]: r for r in hook_receiver.requests}
    assert set(got) == set(WEBHOOK_EVENTS)
    for request in hook_receiver.requests:
        assert verify(hook.secret, request.headers, request.body), request.headers
        assert request.headers["Content-Type"] == "application/json"
        assert request.path == "/hooks/ideas"
        envelope = json.loads(request.body)
        assert envelope["event"] == request.headers["X-IdeaBoard-Event"]
        assert envelope["board_url"] == app.config["BASE_URL"]
        assert envelope["created_at"].endswith("Z")
        assert str(envelope["id"]) == request.headers["X-IdeaBoard-Delivery"]
    created = [
        json.loads(r.body)["data"]["idea"]
        for r in hook_receiver.requests
        if r.headers["X-IdeaBoard-Event"] == "idea.created"
    ][0]
    assert created["title"] == "Oat milk everywhere" and created["author"] == "Mia Member"
    assert created["path"] == f"/ideas/{created['id']}"
    changed = json.loads(got["idea.status_changed"].body)["data"]
    assert changed["idea"]["status"] == "accepted" and changed["previous_status"] == "under_review"
    assert changed["note"] == "Coming in May." and changed["by"] == "Sasha Staff"
    comment = json.loads(got["comment.created"].body)["data"]["comment"]
    assert comment["body"] == "Yes please" and comment["author"] == "Otto Other"
    merged = json.loads(got["idea.merged"].body)["data"]
    assert (merged["duplicate"]["id"], merged["original"]["id"]) == (duplicate.id, idea.id)
    post = json.loads(got["changelog.published"].body)["data"]
    assert post["post"]["title"] == "Oat milk is here"
    assert [i["id"] for i in post["ideas"]] == [idea.id]
    # Nothing private: no email address anywhere.
    assert not any(b"@example.com" in r.body for r in hook_receiver.requests)


def test_a_webhook_gets_only_the_events_it_asked_for(app, users, idea, hook_receiver):
    with db.connection_context():
        add_webhook(hook_receiver.url, ["idea.status_changed"], users["admin"])
        add_comment(idea.id, users["other"], "Nice")
        change_status(idea, "accepted", users["staff"], "Yes.")
    assert [d.event for d in deliveries()] == ["idea.status_changed"]


def test_the_check_refuses_tampering_and_old_timestamps(app, users, idea, hook_receiver):
    with db.connection_context():
        hook = add_webhook(hook_receiver.url, ["comment.created"], users["admin"])
        add_comment(idea.id, users["other"], "Nice")
    deliver(app)
    [request] = hook_receiver.requests
    assert verify(hook.secret, request.headers, request.body)
    assert not verify(hook.secret, request.headers, request.body.replace(b"Nice", b"Nasty"))
    assert not verify("another secret", request.headers, request.body)
    sent_at = int(request.headers["X-IdeaBoard-Timestamp"])
    assert not verify(hook.secret, request.headers, request.body, now=sent_at + 301)


def test_a_first_post_awaiting_review_is_announced_when_approved(app, users, hook_receiver):
    with db.connection_context():
        add_webhook(hook_receiver.url, ["idea.created"], users["admin"])
        waiting = create_idea(users["member"], "Quiet hours", "", pending_review=True)
        assert deliveries() == []
        approve_idea(waiting.id, users["staff"])
    assert [d.event for d in deliveries()] == ["idea.created"]


def test_failures_are_retried_with_backoff_then_delivered(app, users, idea, hook_receiver):
    hook_receiver.statuses = [500, 503]
    with db.connection_context():
        add_webhook(hook_receiver.url, ["comment.created"], users["admin"])
        add_comment(idea.id, users["other"], "Nice")
    now = utcnow()
    assert deliver(app, now).retried == 1
    [delivery] = deliveries()
    assert (delivery.status, delivery.response_code, delivery.attempts) == ("pending", 500, 1)
    assert "HTTP 500" in delivery.last_error
    # Not before its time: a minute, then two.
    assert deliver(app, now + timedelta(seconds=59)).retried == 0
    assert deliver(app, now + timedelta(seconds=61)).retried == 1
    assert deliver(app, now + timedelta(seconds=61 + 119)).sent == 0
    assert deliver(app, now + timedelta(seconds=61 + 121)).sent == 1
    [delivery] = deliveries()
    assert (delivery.status, delivery.response_code, delivery.attempts) == ("sent", 200, 3)
    assert delivery.last_error == "" and delivery.delivered_at is not None
    # The same body each time, so a receiver can drop a repeat by its id.
    bodies = {r.body for r in hook_receiver.requests}
    assert len(hook_receiver.requests) == 3 and len(bodies) == 1


def test_a_receiver_that_keeps_failing_is_given_up(app, users, idea, hook_receiver):
    hook_receiver.statuses = [500] * (MAX_ATTEMPTS + 5)
    with db.connection_context():
        add_webhook(hook_receiver.url, ["comment.created"], users["admin"])
        add_comment(idea.id, users["other"], "Nice")
    now = utcnow()
    for _ in range(MAX_ATTEMPTS):
        deliver(app, now)
        now += timedelta(days=1)
    [delivery] = deliveries()
    assert (delivery.status, delivery.attempts) == ("failed", MAX_ATTEMPTS)
    assert deliver(app, now + timedelta(days=30)).failed == 0
    assert len(hook_receiver.requests) == MAX_ATTEMPTS


def test_internal_addresses_need_the_allow_list_at_every_attempt(app, users, idea, hook_receiver):
    app.config["WEBHOOK_ALLOW_HOSTS"] = []
    with db.connection_context():
        add_webhook(hook_receiver.url, ["comment.created"], users["admin"])
        add_comment(idea.id, users["other"], "Nice")
    now = utcnow()
    assert deliver(app, now).retried == 1
    [delivery] = deliveries()
    assert delivery.last_error.startswith("Refused:") and "127.0.0.1" in delivery.last_error
    assert delivery.response_code is None and hook_receiver.requests == []
    # The operator names the host: the next attempt goes through.
    app.config["WEBHOOK_ALLOW_HOSTS"] = ["127.0.0.1"]
    assert deliver(app, now + timedelta(minutes=2)).sent == 1
    assert len(hook_receiver.requests) == 1


def test_redirects_are_not_followed(app, users, idea, hook_receiver):
    with receiver() as elsewhere:
        hook_receiver.statuses = [302]
        hook_receiver.redirect_to = elsewhere.url
        with db.connection_context():
            add_webhook(hook_receiver.url, ["comment.created"], users["admin"])
            add_comment(idea.id, users["other"], "Nice")
        assert deliver(app).retried == 1
        assert elsewhere.requests == []
    [delivery] = deliveries()
    assert delivery.response_code == 302 and "HTTP 302" in delivery.last_error


@pytest.mark.parametrize(
    "url, events, message",
    [
        ("ftp://hooks.example.com/x", ["idea.created"], "http"),
        ("https://user:secret@hooks.example.com/", ["idea.created"], "password"),
        ("https://hooks.example.com/x", [], "at least one event"),
        ("https://hooks.example.com/x", ["idea.deleted"], "Unknown events: idea.deleted"),
    ],
)
def test_bad_webhooks_are_refused_with_a_reason(app, users, url, events, message):
    with db.connection_context(), pytest.raises(WebhookError, match=message):
        add_webhook(url, events, users["admin"])
    with db.connection_context():
        assert Webhook.select().count() == 0


def test_admins_add_test_and_remove_webhooks_in_the_browser(app, runner, users, hook_receiver):
    admin = app.test_client()
    admin.login("admin@example.com")
    page = admin.get("/admin/webhooks").get_data(as_text=True)
    assert "No webhooks yet" in page
    # Wrong: errors next to the fields, nothing saved.
    wrong = admin.post_form("/admin/webhooks", {"url": "file:///etc/passwd"})
    assert wrong.status_code == 400
    html = wrong.get_data(as_text=True)
    assert 'id="url-error"' in html and "http" in html
    assert 'id="events-error"' in html and "Choose at least one event." in html
    with db.connection_context():
        assert Webhook.select().count() == 0
    added = admin.post_form(
        "/admin/webhooks", {"url": hook_receiver.url, "events": ["idea.created", "idea.merged"]}
    )
    assert added.status_code == 302
    with db.connection_context():
        hook = Webhook.get()
    assert hook.event_names == ["idea.created", "idea.merged"]
    detail = admin.get(added.headers["Location"]).get_data(as_text=True)
    assert hook.secret in detail and "Nothing sent yet" in detail
    admin.post_form(f"/admin/webhooks/{hook.id}/test")
    assert "webhooks: 1 delivered" in work(runner)
    [request] = hook_receiver.requests
    assert request.headers["X-IdeaBoard-Event"] == "webhook.test"
    assert verify(hook.secret, request.headers, request.body)
    log = admin.get(f"/admin/webhooks/{hook.id}").get_data(as_text=True)
    assert (
        "<code>webhook.test</code>" in log and "Delivered" in log and "<strong>200</strong>" in log
    )
    assert admin.post_form(f"/admin/webhooks/{hook.id}/delete").status_code == 302
    with db.connection_context():
        assert Webhook.select().count() == 0 and WebhookDelivery.select().count() == 0
        actions = [e.summary for e in AuditEntry.select().where(AuditEntry.action == "webhook")]
    assert len(actions) == 2 and actions[0].startswith("Added webhook")
    assert admin.get(f"/admin/webhooks/{hook.id}").status_code == 404


@pytest.mark.parametrize("role", ["member", "staff"])
def test_only_admins_manage_webhooks(app, users, role):
    with db.connection_context():
        hook = add_webhook("https://hooks.example.com/x", ["idea.created"], users["admin"])
    client = app.test_client()
    client.login(f"{role}@example.com")
    assert client.get("/admin/webhooks").status_code == 403
    assert client.get(f"/admin/webhooks/{hook.id}").status_code == 403
    add = client.post_form(
        "/admin/webhooks", {"url": "https://x.example", "events": "idea.created"}
    )
    assert add.status_code == 403
    assert client.post_form(f"/admin/webhooks/{hook.id}/delete").status_code == 403
    assert client.post_form(f"/admin/webhooks/{hook.id}/test").status_code == 403
    with db.connection_context():
        assert Webhook.select().count() == 1 and WebhookDelivery.select().count() == 0


def test_operators_add_one_from_the_command_line(runner):
    result = runner.invoke(
        args=["add-webhook", "--url", "https://hooks.example.com/in", "--events", "idea.created"]
    )
    assert result.exit_code == 0, result.output
    with db.connection_context():
        hook = Webhook.get()
    assert f"Signing secret: {hook.secret}" in result.output
    bad = runner.invoke(args=["add-webhook", "--url", "gopher://x", "--events", "idea.created"])
    assert bad.exit_code == 2 and "http" in bad.output
    with db.connection_context():
        assert Webhook.select().count() == 1
