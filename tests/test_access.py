"""Who may do what: every state-changing or staff-only route against every role."""

from urllib.parse import parse_qs, urlsplit

import pytest

from ideaboard.board.pipeline import change_status
from ideaboard.db import db
from ideaboard.models import ACCEPTED, UNDER_REVIEW, Idea
from ideaboard.web.login import is_safe_next
from tests.attack_support import db_state

EMAILS = {
    "author": "member@example.com",
    "member": "other@example.com",
    "staff": "staff@example.com",
    "admin": "admin@example.com",
}


def route(method, path, data=None):
    return pytest.param(method, path, data, id=f"{method} {path}")


# Every form is valid, so a refusal can only come from the access rules.
IDEA_FORM = {"title": "Edited by someone", "body": "New text.", "category": "{category}"}
STAFF_ROUTES = [
    route("POST", "/ideas/{idea}/status", {"status": ACCEPTED, "note": "Yes, we will."}),
    route("POST", "/staff/categories", {"name": "Snacks"}),
    route("POST", "/staff/categories/{category}", {"name": "Beverages"}),
    route("GET", "/staff/triage"),
    route("GET", "/staff/categories"),
]
MEMBER_ROUTES = [
    route("POST", "/ideas/new", {"title": "Oat milk", "body": "Please.", "category": "{category}"}),
    route("POST", "/ideas/{idea}/vote", {"vote": "1"}),
    route("POST", "/ideas/{idea}/comments", {"body": "Me too!"}),
]
EDIT_ROUTES = [route("GET", "/ideas/{idea}/edit"), route("POST", "/ideas/{idea}/edit", IDEA_FORM)]
ALL_ROUTES = MEMBER_ROUTES + EDIT_ROUTES + STAFF_ROUTES


@pytest.fixture
def fill(idea, category):
    """Put the real idea and category ids into a route's path or form value."""
    return lambda text: text.format(idea=idea.id, category=category.id)


@pytest.fixture
def call(client, fill):
    """Send a route's request the way its page would, CSRF token included."""

    def send(method, path, data=None):
        if method == "GET":
            return client.get(fill(path))
        form = {key: fill(value) for key, value in (data or {}).items()}
        return client.post_form(fill(path), form)

    return send


def location_path(response) -> str:
    return urlsplit(response.headers["Location"]).path


FORM_PAGES = {"/ideas/new", "/ideas/{idea}/edit", "/staff/categories"}


@pytest.mark.parametrize(("method", "path", "data"), ALL_ROUTES)
def test_anonymous_is_sent_to_log_in(call, fill, idea, method, path, data):
    before = db_state()
    response = call(method, path, data)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    (back,) = parse_qs(location.query)["next"]
    assert is_safe_next(back)
    if method == "GET" or path in FORM_PAGES:
        # A form page brings the visitor back to the (empty) form.
        assert back == fill(path)
    elif "{idea}" in path:
        # An action cannot be replayed, so the visitor comes back to the idea it was about
        # (for a vote, by way of the vote link, which leads to the idea's page).
        assert back in (f"/ideas/{idea.id}", f"/ideas/{idea.id}/vote")
    assert db_state() == before


@pytest.mark.parametrize("role", ["author", "member"])
@pytest.mark.parametrize(("method", "path", "data"), STAFF_ROUTES)
def test_members_are_refused_staff_routes(client, call, role, method, path, data):
    client.login(EMAILS[role])
    before = db_state()
    assert call(method, path, data).status_code == 403
    assert db_state() == before


@pytest.mark.parametrize("role", ["author", "member"])
@pytest.mark.parametrize(("method", "path", "data"), MEMBER_ROUTES)
def test_members_may_post_vote_and_comment(client, call, role, method, path, data):
    client.login(EMAILS[role])
    before = db_state()
    response = call(method, path, data)
    assert response.status_code == 302
    assert location_path(response) != "/login"
    assert db_state() != before


@pytest.mark.parametrize(("method", "path", "data"), EDIT_ROUTES)
def test_member_cannot_edit_someone_elses_idea(client, call, method, path, data):
    client.login(EMAILS["member"])
    before = db_state()
    assert call(method, path, data).status_code == 403
    assert db_state() == before


def test_author_may_edit_while_under_review(client, call, idea):
    client.login(EMAILS["author"])
    assert call("GET", "/ideas/{idea}/edit").status_code == 200
    response = call("POST", "/ideas/{idea}/edit", IDEA_FORM)
    assert response.status_code == 302
    assert location_path(response).startswith(f"/ideas/{idea.id}")
    with db.connection_context():
        assert Idea.get_by_id(idea.id).title == IDEA_FORM["title"]


@pytest.mark.parametrize(("method", "path", "data"), EDIT_ROUTES)
def test_author_cannot_edit_once_accepted(client, call, users, idea, method, path, data):
    with db.connection_context():
        change_status(idea, ACCEPTED, users["staff"], "We are on it.")
    client.login(EMAILS["author"])
    before = db_state()
    assert call(method, path, data).status_code == 403
    assert db_state() == before


@pytest.mark.parametrize("role", ["staff", "admin"])
@pytest.mark.parametrize(("method", "path", "data"), ALL_ROUTES)
def test_staff_and_admins_are_allowed(client, call, role, method, path, data):
    client.login(EMAILS[role])
    before = db_state()
    response = call(method, path, data)
    if method == "GET":
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert location_path(response) != "/login"
        assert db_state() != before


@pytest.mark.parametrize("role", [None, *EMAILS])
def test_logout_ends_any_session(client, users, role):
    if role:
        client.login(EMAILS[role])
    before = db_state()
    response = client.logout()
    assert response.status_code == 302
    assert location_path(response) == "/"
    assert location_path(client.get("/ideas/new")) == "/login"
    after = db_state()
    # Logging out ends the server-side session row and touches nothing else.
    assert after.pop("UserSession") == []
    before.pop("UserSession")
    assert after == before


def test_json_client_gets_401_for_anonymous_vote(client, idea):
    response = client.post_form(
        f"/ideas/{idea.id}/vote", {"vote": "1"}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 401
    assert response.is_json
    assert response.json["status"] == 401
    with db.connection_context():
        assert Idea.get_by_id(idea.id).vote_count == 0


def test_json_client_gets_403_for_member_status_change(client, idea):
    client.login(EMAILS["member"])
    response = client.post_form(
        f"/ideas/{idea.id}/status",
        {"status": ACCEPTED, "note": "Sneaky."},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 403
    assert response.is_json
    assert response.json["status"] == 403
    with db.connection_context():
        assert Idea.get_by_id(idea.id).status == UNDER_REVIEW
