"""Every POST route refuses a request without the CSRF token, and changes nothing."""

import pytest

from ideaboard.board.ideas import create_idea
from ideaboard.db import db
from ideaboard.models import ACCEPTED
from tests.attack_support import db_state
from tests.conftest import PASSWORD

EXPIRED = "This form has expired"


@pytest.fixture
def ids(users, category) -> dict:
    """Values for every URL argument a POST route may have."""
    with db.connection_context():
        idea = create_idea(users["member"], "Free refills", "On every cup.", category.id)
    return {"idea_id": idea.id, "category_id": category.id}


def post_urls(app, ids: dict) -> list[str]:
    """Every POST route the app has, read from its URL map so new routes are covered too."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        missing = rule.arguments - ids.keys()
        assert not missing, f"{rule.rule}: give the `ids` fixture a value for {missing}"
        urls.append(rule.build({name: ids[name] for name in rule.arguments})[1])
    # Logging out last, so the control test stays logged in for every other route.
    return sorted(urls, key=lambda url: url == "/logout")


def valid_form(ids: dict, number: int) -> dict:
    """Fields of every form, all valid, so the missing token is the only thing wrong."""
    return {
        "email": "staff@example.com",
        "password": PASSWORD,
        "current_password": PASSWORD,
        "confirm": PASSWORD,
        # Unique per request: two category posts with one name would clash.
        "name": f"Category {number}",
        "title": "Oat milk at no extra charge",
        "body": "Plant-based milk should cost the same.",
        "category": str(ids["category_id"]),
        "vote": "1",
        "status": ACCEPTED,
        "note": "Yes, from next month.",
    }


def is_logged_in_as_staff(client) -> bool:
    return client.get("/staff/triage").status_code == 200


def test_discovery_finds_the_post_routes(app, ids):
    urls = post_urls(app, ids)
    assert {"/logout", "/staff/categories", f"/ideas/{ids['idea_id']}/vote"} <= set(urls)
    assert "/" not in urls


def test_post_without_token_is_refused(app, client, ids, subtests):
    client.login("staff@example.com")
    before = db_state()
    for number, url in enumerate(post_urls(app, ids)):
        with subtests.test(url=url):
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
    client.login("staff@example.com")
    token = client.csrf_token()
    before = db_state()
    for number, url in enumerate(post_urls(app, ids)):
        with subtests.test(url=url):
            response = client.post(url, data={**valid_form(ids, number), "csrf_token": token})
            assert response.status_code == 302
    assert db_state() != before
    assert not is_logged_in_as_staff(client)


def test_json_client_gets_json_400(client, ids):
    client.login("staff@example.com")
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
