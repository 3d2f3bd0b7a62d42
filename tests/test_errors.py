"""Every error is a page in the site layout, or JSON for JSON clients; never a bare 500."""

import pytest
from werkzeug.exceptions import TooManyRequests

from ideaboard.board.ideas import create_idea
from ideaboard.db import db


@pytest.fixture
def failing_app(app):
    """Routes that fail on purpose, to see the 429 and 500 pages."""

    @app.route("/_test/limited")
    def limited():
        raise TooManyRequests(retry_after=30)

    @app.route("/_test/broken")
    def broken():
        raise RuntimeError("boom")

    return app


@pytest.mark.parametrize(
    ("method", "path", "code", "title"),
    [
        ("GET", "/no/such/page", 404, "Page not found"),
        ("GET", "/ideas/12345", 404, "no idea with that number"),
        ("GET", "/logout", 405, "not possible here"),
        ("GET", "/staff/categories/1", 405, "not possible here"),
        ("GET", "/_test/limited", 429, "Slow down"),
        ("GET", "/_test/broken", 500, "Something went wrong"),
    ],
)
def test_error_pages_in_site_layout(failing_app, method, path, code, title):
    failing_app.testing = False  # let the 500 handler run instead of raising
    client = failing_app.test_client()
    response = client.open(path, method=method)
    page = response.get_data(as_text=True)
    assert response.status_code == code
    assert title in page
    assert 'class="site-header"' in page
    assert "Back to the ideas" in page
    if code == 405:
        assert "POST" in response.headers["Allow"]
    if code == 429:
        assert response.headers["Retry-After"] == "30"


@pytest.mark.parametrize(
    ("path", "code"), [("/no/such/page", 404), ("/_test/limited", 429), ("/_test/broken", 500)]
)
def test_errors_as_json(failing_app, path, code):
    failing_app.testing = False
    response = failing_app.test_client().get(path, headers={"Accept": "application/json"})
    assert response.status_code == code
    assert response.is_json
    assert response.json["status"] == code
    assert response.json["message"]


def test_403_page(client, users):
    client.login("member@example.com")
    response = client.get("/staff/triage")
    assert response.status_code == 403
    assert "not allowed" in response.get_data(as_text=True)


def test_oversized_body_gets_413_and_saves_nothing(client, users):
    client.login("member@example.com")
    token = client.csrf_token()
    response = client.post(
        "/ideas/new", data={"csrf_token": token, "title": "big", "body": "x" * 400_000}
    )
    assert response.status_code == 413
    assert "larger than we accept" in response.get_data(as_text=True)
    from ideaboard.models import Idea

    with db.connection_context():
        assert Idea.select().count() == 0


def test_garbage_input_is_4xx_not_500(client, users):
    client.login("member@example.com")
    with db.connection_context():
        idea = create_idea(users["member"], "Target")
    token = client.csrf_token()
    cases = [
        ("/ideas/new", {"title": ["a", "b"], "category": "x" * 50}),
        (f"/ideas/{idea.id}/vote", {"vote": "\x00"}),
        (f"/ideas/{idea.id}/comments", {"body": "\x00"}),
    ]
    for path, data in cases:
        data["csrf_token"] = token
        assert client.post(path, data=data).status_code < 500, path
    # Invalid UTF-8 in a form body.
    raw = f"csrf_token={token}&title=%FF%FE%C0&body=ok".encode()
    response = client.post("/ideas/new", data=raw, content_type="application/x-www-form-urlencoded")
    assert response.status_code < 500
    for query in ("?page=%00", "?category=%FF", "?sort=%C0", "?page=1e999"):
        assert client.get("/" + query).status_code == 200
    assert client.get("/ideas/99999999999999999999").status_code == 404
