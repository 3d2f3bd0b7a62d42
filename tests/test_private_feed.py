"""The private feed of the ideas one follows: made, shown, renewed and revoked on /account/mail."""

import re

import pytest

from ideaboard.board.feeds import feed_owner
from ideaboard.db import db
from ideaboard.models import User
from tests.feed_checks import valid_feed

# The board: Free refills (followed by the member), Oat milk (not), Quiet hours (followed).
from tests.test_feeds_more import HOST, KINDS
from tests.test_feeds_more import board as board

ADDRESS = re.compile(r">http://localhost/feeds/private/([A-Za-z0-9_-]+)\.rss</textarea>")


def token_of(email: str) -> str | None:
    with db.connection_context():
        return User.get(User.email == email).feed_token


def turn_on(client) -> str:
    response = client.post_form("/account/feed")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account/mail#private-feed")
    page = client.get("/account/mail").get_data(as_text=True)
    return ADDRESS.search(page).group(1)


@pytest.fixture
def member(app, board):
    client = app.test_client()
    client.login("member@example.com")
    return client


def private(client, token: str, kind: str = "atom") -> list[dict]:
    path = f"/feeds/private/{token}.{kind}"
    return valid_feed(client.get(path), f"{HOST}{path}")


def test_settings_page_offers_to_turn_the_feed_on(member):
    page = member.get("/account/mail").get_data(as_text=True)
    assert 'id="private-feed"' in page
    assert 'action="/account/feed"' in page
    assert "/feeds/private/" not in page
    assert token_of("member@example.com") is None


@pytest.mark.parametrize("kind", KINDS)
def test_private_feed_lists_only_followed_ideas(app, member, board, users, kind):
    token = turn_on(member)
    assert token == token_of("member@example.com")
    assert len(token) == 43
    # A feed reader has no session.
    reader = app.test_client()
    items = private(reader, token, kind)
    assert [item["title"] for item in items] == [
        "Free refills: Launched",
        "Free refills: In progress",
        "Free refills: official answer",
        "Free refills: Accepted",
    ]
    # Oat milk's decline is news only for those who follow it (its author, "other").
    other = app.test_client()
    other.login("other@example.com")
    theirs = [item["title"] for item in private(reader, turn_on(other), kind)]
    assert "Oat milk: Declined" in theirs and len(theirs) == 5


def test_private_feed_is_private_and_not_indexed(app, member, board):
    token = turn_on(member)
    for kind in KINDS:
        response = app.test_client().get(f"/feeds/private/{token}.{kind}")
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "private, max-age=300"
        assert response.headers["X-Robots-Tag"] == "noindex"
        assert "public" not in response.headers["Cache-Control"]
        again = app.test_client().get(
            f"/feeds/private/{token}.{kind}", headers={"If-None-Match": response.headers["ETag"]}
        )
        assert again.status_code == 304
        assert again.headers["Cache-Control"] == "private, max-age=300"


def test_private_feed_stops_after_unfollow(app, member, board):
    token = turn_on(member)
    reader = app.test_client()
    assert len(private(reader, token)) == 4
    # Read once more so a cached copy exists: the unfollow must clear it.
    assert len(private(reader, token, "rss")) == 4
    response = member.post_form(f"/ideas/{board['refills']}/follow", {"follow": "0"})
    assert response.status_code == 302
    assert private(reader, token) == []
    assert private(reader, token, "rss") == []
    # Following again brings the whole history back.
    member.post_form(f"/ideas/{board['refills']}/follow", {"follow": "1"})
    assert len(private(reader, token)) == 4


def test_new_address_replaces_the_old_one(app, member, board):
    reader = app.test_client()
    old = turn_on(member)
    assert reader.get(f"/feeds/private/{old}.rss").status_code == 200
    new = turn_on(member)
    assert new != old
    for kind in KINDS:
        assert reader.get(f"/feeds/private/{old}.{kind}").status_code == 404
        assert reader.get(f"/feeds/private/{new}.{kind}").status_code == 200
    page = member.get("/account/mail").get_data(as_text=True)
    assert old not in page and new in page


def test_revoked_feed_is_404_and_the_page_offers_it_again(app, member, board):
    reader = app.test_client()
    token = turn_on(member)
    assert reader.get(f"/feeds/private/{token}.atom").status_code == 200
    response = member.post_form("/account/feed/revoke")
    assert response.status_code == 302
    assert token_of("member@example.com") is None
    for kind in KINDS:
        assert reader.get(f"/feeds/private/{token}.{kind}").status_code == 404
    page = member.get("/account/mail").get_data(as_text=True)
    assert "/feeds/private/" not in page and 'action="/account/feed"' in page


@pytest.mark.parametrize(
    "token",
    [
        "x",
        "A" * 43,
        "A" * 44,
        "%00" * 10,
        "..%2F..%2Fetc",
        "' OR 1=1 --",
        "None",
    ],
)
def test_unknown_tokens_are_404(app, member, board, token):
    turn_on(member)
    for kind in KINDS:
        assert app.test_client().get(f"/feeds/private/{token}.{kind}").status_code == 404


def test_an_empty_token_opens_nobody(app, users):
    with db.connection_context():
        assert feed_owner("") is None
        assert feed_owner(None) is None


def test_a_deleted_account_has_no_feed(app, member, board, users):
    token = turn_on(member)
    with db.connection_context():
        User.update(deleted_at=users["member"].created_at).where(
            User.id == users["member"].id
        ).execute()
    assert app.test_client().get(f"/feeds/private/{token}.rss").status_code == 404


def test_feed_forms_need_a_login(app, board):
    visitor = app.test_client()
    for path in ("/account/feed", "/account/feed/revoke"):
        response = visitor.post_form(path)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
    with db.connection_context():
        assert User.select().where(User.feed_token.is_null(False)).count() == 0


def test_one_persons_token_changes_only_their_feed(app, member, board):
    other = app.test_client()
    other.login("other@example.com")
    theirs = turn_on(other)
    mine = turn_on(member)
    member.post_form("/account/feed/revoke")
    assert token_of("other@example.com") == theirs
    reader = app.test_client()
    assert reader.get(f"/feeds/private/{theirs}.rss").status_code == 200
    assert reader.get(f"/feeds/private/{mine}.rss").status_code == 404
