"""Every POST route (and the API's PUT, PATCH and DELETE) refuses a signed-in browser's request
without the CSRF token, and changes nothing."""

import pytest

from ideaboard.board.api_tokens import issue_token
from ideaboard.board.counters import move_counters
from ideaboard.board.ideas import create_idea
from ideaboard.board.mail import mail_settings
from ideaboard.board.recovery import reset_password_path
from ideaboard.board.verification import verify_email_path
from ideaboard.board.webhooks import add_webhook
from ideaboard.db import db
from ideaboard.models import ACCEPTED, EVENT_COMMENT, IN_PROGRESS, Comment, Event, Notification
from tests.attack_support import db_state
from tests.conftest import PASSWORD

EXPIRED = "This form has expired"


# One-click unsubscribe (RFC 8058) is posted by mail providers with no cookie and no form
# token; its signed link is the proof (tests/test_notifications.py tests it).
WITHOUT_CSRF = {"notifications.unsubscribe"}
# The reset link first (any password change after it would spend it; it starts a new staff
# session), deleting the account and logging out last: the control stays logged in until then.
FIRST, LAST = "/reset-password/", ("/account/delete", "/logout")


def in_order(url: str) -> list[bool]:
    """FIRST, then the rest, then the comment's deletion (its other forms need it), LAST."""
    return [
        not url.startswith(FIRST),
        *(url.startswith(end) for end in LAST),
        url.endswith("/delete"),
    ]


@pytest.fixture
def ids(app, users, category) -> dict:
    """Values for every URL argument a POST route may have: the admin's own links (an admin
    may post every form, the admin-only ones too)."""
    settings = mail_settings(app.config)
    staff = users["admin"]
    with db.connection_context():
        idea = create_idea(users["member"], "Free refills", "On every cup.", category.id)
        # What the merge form names as the original (web/merge.py).
        original = create_idea(users["other"], "Refills for all", "", category.id)
        event = Event.create(kind=EVENT_COMMENT, idea=idea.id, actor=users["member"].id)
        notification = Notification.create(user=staff.id, event=event.id)
        # The staff member's own comment, from before joining the team (so not an official
        # answer): they may edit and delete it.
        comment = Comment.create(idea=idea.id, author=staff.id, body="Before I joined.")
        move_counters(idea.id, comments=1)
        hook = add_webhook("https://hooks.example.com/in", ["idea.merged"], staff)
        # The admin's own API token, to revoke on the account's tokens page.
        api_token, _ = issue_token(staff, "Script", ["read"])
    tokens = {
        "recovery.reset": reset_password_path(staff, settings).rsplit("/", 1)[1],
        "recovery.verify": verify_email_path(staff, settings).rsplit("/", 1)[1],
    }
    return {
        "idea_id": idea.id,
        "category_id": category.id,
        "notification_id": notification.id,
        "original_id": original.id,
        "comment_id": comment.id,
        "webhook_id": hook.id,
        # The person an admin suspends and gives a role (web/admin.py).
        "user_id": users["other"].id,
        "token_id": api_token.id,
        "tokens": tokens,
    }


def post_urls(app, ids: dict) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) of every route that changes something (POST, and the API's
    PUT, PATCH and DELETE), read from the URL map so new routes are covered too."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in WITHOUT_CSRF or not rule.methods & WRITES:
            continue
        values = {**ids, "token": ids["tokens"].get(rule.endpoint)}
        missing = {name for name in rule.arguments if values.get(name) is None}
        assert not missing, f"{rule.rule}: give the `ids` fixture a value for {missing}"
        url = rule.build({name: values[name] for name in rule.arguments})[1]
        found += [(rule.endpoint, method, url) for method in sorted(rule.methods & WRITES)]
    return sorted(found, key=lambda found: in_order(found[2]))


WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def api_body(endpoint: str, ids: dict, number: int) -> dict | None:
    """The JSON body of an API write, valid (unique where it must be), or None: it takes none."""
    return {
        # No category: the site's forms archive and delete it.
        "api.idea_create": {"title": f"Oat milk {number}", "body": "Please."},
        "api.idea_edit": {"title": f"Free refills {number}"},
        "api.comment_create": {"body": "Me too!"},
        # Not the site form's status: the same status twice is refused (409).
        "api.status_change_create": {"status": IN_PROGRESS, "note": "Started."},
        "api.changelog_create": {"title": "Spring release", "idea_ids": [ids["idea_id"]]},
    }.get(endpoint)


def valid_form(ids: dict, number: int) -> dict:
    """Fields of every form, all valid, so the missing token is the only thing wrong."""
    return {
        "email": "admin@example.com",
        "password": PASSWORD,
        "current_password": PASSWORD,
        "confirm": PASSWORD,
        # Unique per request: two category posts with one name would clash.
        "name": f"Category {number}",
        "title": "Oat milk at no extra charge",
        "body": "Plant-based milk should cost the same.",
        "category": str(ids["category_id"]),
        "reason": "spam",
        "vote": "1",
        "status": ACCEPTED,
        "note": "Yes, from next month.",
        "ideas": str(ids["idea_id"]),
        "original": str(ids["original_id"]),
        # Staff keep their words when they delete their account.
        "content": "keep",
        # Staff and admin tools (web/admin.py, web/idea_staff.py, web/staff.py).
        "role": "staff",
        "votes": "keep",
        "staff_note": "Called them back.",
        "customer_email": "member@example.com",
        "direction": "down",
        "archived": "1",
        # Admins' webhooks (web/webhooks.py).
        "url": "https://hooks.example.com/new",
        "events": "idea.created",
        # An API token (web/access_tokens.py).
        "scopes": "read",
    }


def is_logged_in_as_staff(client) -> bool:
    return client.get("/staff/triage").status_code == 200


def test_discovery_finds_the_post_routes(app, ids):
    found = post_urls(app, ids)
    urls = {url for _, _, url in found}
    assert {"/logout", "/staff/categories", f"/ideas/{ids['idea_id']}/vote"} <= urls
    assert "/" not in urls
    vote = f"/api/v1/ideas/{ids['idea_id']}/vote"
    assert {("api.vote_cast", "PUT", vote), ("api.vote_withdraw", "DELETE", vote)} <= set(found)


def test_post_without_token_is_refused(app, client, ids, subtests):
    client.login("admin@example.com")
    before = db_state()
    for number, (endpoint, method, url) in enumerate(post_urls(app, ids)):
        with subtests.test(url=url, method=method):
            if url.startswith("/api/"):
                # A browser session's JSON write: the same check, answered as an API error.
                response = client.open(url, method=method, json=api_body(endpoint, ids, number))
                assert response.status_code == 400
                assert response.json["error"] == "csrf_failed"
                assert EXPIRED in response.json["message"]
                assert db_state() == before
                continue
            response = client.post(url, data=valid_form(ids, number))
            assert response.status_code == 400
            assert response.mimetype == "text/html"
            page = response.get_data(as_text=True)
            assert 'class="site-header"' in page
            assert EXPIRED in page
            assert db_state() == before
            assert is_logged_in_as_staff(client)


def test_same_posts_with_token_get_through(app, client, ids, subtests):
    """The control: with a token the very same forms do work, so the refusal is CSRF's."""
    client.login("admin@example.com")
    before = db_state()
    for number, (endpoint, method, url) in enumerate(post_urls(app, ids)):
        with subtests.test(url=url, method=method):
            # Fresh each time: the reset link starts a new session, with a new token.
            token = client.csrf_token()
            if url.startswith("/api/"):
                body, headers = api_body(endpoint, ids, number), {"X-CSRFToken": token}
                response = client.open(url, method=method, json=body, headers=headers)
                assert response.status_code in (200, 201), response.json
                continue
            response = client.post(url, data={**valid_form(ids, number), "csrf_token": token})
            # A new API token is shown in the answer itself, once: no redirect.
            assert response.status_code == (200 if endpoint == "tokens.create" else 302)
    assert db_state() != before
    assert not is_logged_in_as_staff(client)


def test_json_client_gets_json_400(client, ids):
    client.login("admin@example.com")
    before = db_state()
    response = client.post(
        f"/ideas/{ids['idea_id']}/vote",
        data={"vote": "1"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert response.is_json
    assert response.json["status"] == 400
    assert EXPIRED in response.json["message"]
    assert db_state() == before
