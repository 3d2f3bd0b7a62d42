"""A visitor who clicks Vote, then logs in or signs up, comes back with the vote counted.

The intent travels in the login page's `next` address only, and the login page says which
idea the vote is for. The vote is cast by the login or sign-up POST itself (its CSRF token and
the person's own password). Already logged in, the vote link shows a "Confirm your vote" page
whose POST, with the session's token, casts it. So no GET, whoever sends it, ever votes.
"""

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from ideaboard.board.pipeline import change_status
from ideaboard.db import db
from ideaboard.models import Idea, Vote
from tests.conftest import CSRF_INPUT, PASSWORD


def votes_of(idea_id: int) -> tuple[int, int]:
    """The vote rows and the stored counter of an idea."""
    with db.connection_context():
        rows = Vote.select().where(Vote.idea == idea_id).count()
        return rows, Idea.get_by_id(idea_id).vote_count


def confirm_form(page: str, idea_id: int) -> dict:
    """The confirm page's form: its action and fields."""
    main = page.split('<main id="main"', 1)[1]
    form = main.split('<form method="post" action="', 1)[1].split("</form>")[0]
    assert form.startswith(f"/ideas/{idea_id}/vote")
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form))
    assert fields["csrf_token"] and fields["vote"] == "1"
    return fields


def follow_vote_link_to_login(client, idea) -> str:
    """Click a visitor's vote button; return the `next` the login page got."""
    asked = client.get(f"/ideas/{idea.id}/vote")
    assert asked.status_code == 302
    location = urlsplit(asked.location)
    assert location.path == "/login"
    [back] = parse_qs(location.query)["next"]
    assert back == f"/ideas/{idea.id}/vote"
    return back


def test_logging_in_from_the_vote_link_counts_the_vote(client, users, idea):
    back = follow_vote_link_to_login(client, idea)
    login_page = client.get(f"/login?next={back}").get_data(as_text=True)
    assert "your vote for" in login_page and "Free refills" in login_page
    logged_in = client.post_form(
        "/login", {"email": "other@example.com", "password": PASSWORD, "next": back}
    )
    assert (logged_in.status_code, logged_in.location) == (302, f"/ideas/{idea.id}/free-refills")
    assert votes_of(idea.id) == (1, 1)
    page = client.get(logged_in.location).get_data(as_text=True)
    assert "Thanks for your vote for “Free refills”!" in page
    # Following the link again (already voted) leads to the idea, not to a second vote.
    again = client.get(back)
    assert again.status_code == 302 and votes_of(idea.id) == (1, 1)


def test_signing_up_from_the_vote_link_counts_the_vote(client, idea):
    back = follow_vote_link_to_login(client, idea)
    login_page = client.get(f"/login?next={back}").get_data(as_text=True)
    # The login page passes the intent on to sign-up.
    assert f'href="/register?next={back}"' in login_page
    assert "your vote for" in client.get(f"/register?next={back}").get_data(as_text=True)
    signed_up = client.post_form(
        f"/register?next={back}",
        {
            "email": "new@example.com",
            "name": "Nia New",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "next": back,
        },
    )
    assert (signed_up.status_code, signed_up.location) == (302, f"/ideas/{idea.id}/free-refills")
    assert votes_of(idea.id) == (1, 1)


def test_a_login_that_fails_casts_nothing(client, users, idea):
    back = follow_vote_link_to_login(client, idea)
    failed = client.post_form(
        "/login", {"email": "other@example.com", "password": "x" * 12, "next": back}
    )
    assert failed.status_code == 400
    assert votes_of(idea.id) == (0, 0)


def test_logged_in_the_link_asks_before_voting(client, users, idea):
    client.login("other@example.com")
    back = f"/ideas/{idea.id}/vote"
    text = client.get(back).get_data(as_text=True)
    assert "Confirm your vote" in text and "Free refills" in text
    assert votes_of(idea.id) == (0, 0)
    voted = client.post(back, data=confirm_form(text, idea.id))
    assert voted.status_code == 302
    assert votes_of(idea.id) == (1, 1)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        # What a link, an image or a redirect on another site sends along.
        {"Referer": "https://evil.example/page", "Sec-Fetch-Site": "cross-site"},
    ],
)
def test_a_get_alone_never_votes(client, users, idea, headers):
    client.login("other@example.com")
    for path in (f"/ideas/{idea.id}/vote", f"/ideas/{idea.id}/vote?vote=1"):
        response = client.get(path, headers=headers)
        assert response.status_code == 200
        assert "Confirm your vote" in response.get_data(as_text=True)
    assert votes_of(idea.id) == (0, 0)


def test_a_cross_site_post_without_the_token_is_refused(client, users, idea):
    client.login("other@example.com")
    refused = client.post(
        f"/ideas/{idea.id}/vote",
        data={"vote": "1"},
        headers={"Origin": "https://evil.example", "Referer": "https://evil.example/"},
    )
    assert refused.status_code == 400
    stolen = {"vote": "1", "csrf_token": "not-this-session-token"}
    assert client.post(f"/ideas/{idea.id}/vote", data=stolen).status_code == 400
    assert votes_of(idea.id) == (0, 0)


def test_the_confirm_page_cannot_be_framed_or_cached(client, users, idea):
    client.login("other@example.com")
    response = client.get(f"/ideas/{idea.id}/vote")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert CSRF_INPUT.search(response.get_data(as_text=True))
    # A visitor's page with the vote link still carries no token and starts no session.
    client.logout()
    visitor = client.application.test_client()
    page = visitor.get(f"/ideas/{idea.id}")
    assert "csrf_token" not in page.get_data(as_text=True)
    assert "Set-Cookie" not in page.headers


def test_already_voted_or_closed_goes_straight_to_the_idea(client, users, idea):
    client.login("other@example.com")
    client.post_form(f"/ideas/{idea.id}/vote", {"vote": "1"})
    again = client.get(f"/ideas/{idea.id}/vote")
    assert (again.status_code, again.location) == (302, f"/ideas/{idea.id}/free-refills")
    assert "already voted" in client.get(again.location).get_data(as_text=True)

    with db.connection_context():
        change_status(Idea.get_by_id(idea.id), "declined", users["staff"], "No.")
    client.logout()
    client.login("admin@example.com")
    closed = client.get(f"/ideas/{idea.id}/vote")
    assert closed.status_code == 302
    assert "Voting is closed" in client.get(closed.location).get_data(as_text=True)
    assert votes_of(idea.id) == (1, 1)


def test_vote_link_of_a_missing_idea_is_404(client, users):
    client.login("other@example.com")
    assert client.get("/ideas/999999/vote").status_code == 404
