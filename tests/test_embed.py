"""The embeddable badge (web/embed.py): one idea's status, votes and Vote link, framable only
by the board and the sites in IDEABOARD_EMBED_ORIGINS, while every other page stays
unframable. Framing itself, in Chromium: tests/e2e/test_embed.py."""

import re

import pytest

from ideaboard.board.ideas import create_idea
from ideaboard.board.merge import merge_ideas
from ideaboard.board.moderation import hide_idea
from ideaboard.board.pipeline import change_status
from ideaboard.board.votes import set_vote
from ideaboard.config import embed_origins
from ideaboard.db import db

SHOP = "https://shop.example.com"


def frame_ancestors(response) -> str:
    return re.search(r"frame-ancestors ([^;]*)", response.headers["Content-Security-Policy"])[1]


@pytest.fixture
def shop(app):
    app.config["EMBED_ORIGINS"] = [SHOP, "http://127.0.0.1:9000"]
    return app


def test_the_badge_shows_status_votes_and_a_vote_link(shop, client, users, idea):
    with db.connection_context():
        set_vote(idea.id, users["other"], True)
        change_status(idea, "accepted", users["staff"], "Planned.")
    response = client.get(f"/embed/ideas/{idea.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'class="badge status-accepted">Accepted<' in page
    assert "<strong>1</strong> vote<" in page
    assert f'href="/ideas/{idea.id}/vote" target="_blank" rel="noopener"' in page
    # No site header, no scripts, no form: nothing that needs the board's session.
    assert "<script" not in page and "<form" not in page and "site-header" not in page
    assert "Set-Cookie" not in response.headers


def test_only_the_board_and_the_listed_sites_may_frame_it(shop, client, idea):
    badge = client.get(f"/embed/ideas/{idea.id}")
    assert frame_ancestors(badge) == f"'self' {SHOP} http://127.0.0.1:9000"
    # The rest of the policy is the board's own.
    assert "script-src 'self'" in badge.headers["Content-Security-Policy"]
    for path in ("/", f"/ideas/{idea.id}", f"/ideas/{idea.id}/vote", "/login"):
        assert frame_ancestors(client.get(path)) == "'none'", path


def test_with_no_sites_listed_only_the_board_may_frame_it(client, idea):
    assert frame_ancestors(client.get(f"/embed/ideas/{idea.id}")) == "'self'"


def test_closed_ideas_say_so_instead_of_a_vote_link(shop, client, users, idea):
    with db.connection_context():
        change_status(idea, "launched", users["staff"], "Out now.")
    page = client.get(f"/embed/ideas/{idea.id}").get_data(as_text=True)
    assert "Voting closed: launched." in page and "/vote" not in page


def test_hidden_and_missing_ideas_are_a_framable_404(shop, client, users, idea):
    with db.connection_context():
        hide_idea(idea.id, users["staff"], "Spam")
    for path in (f"/embed/ideas/{idea.id}", "/embed/ideas/999999", "/embed/ideas/0"):
        response = client.get(path)
        assert response.status_code == 404, path
        if path.endswith("/0"):
            continue  # not an id at all: the board's own 404
        assert "This idea is not available." in response.get_data(as_text=True)
        assert "Free refills" not in response.get_data(as_text=True)
        assert frame_ancestors(response).startswith("'self' https://shop")


def test_a_merged_duplicate_shows_the_original(shop, client, users, idea):
    with db.connection_context():
        duplicate = create_idea(users["other"], "Refills for free", "")
        set_vote(duplicate.id, users["other"], True)
        merge_ideas(duplicate.id, idea.id, users["staff"])
    response = client.get(f"/embed/ideas/{duplicate.id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/embed/ideas/{idea.id}")
    assert "<strong>1</strong> vote<" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )


def test_staff_get_the_snippet_with_the_title_escaped(shop, app, users):
    with db.connection_context():
        quoted = create_idea(users["member"], 'Say "hi" <b>', "")
    staff = app.test_client()
    staff.login("staff@example.com")
    page = staff.get(f"/ideas/{quoted.id}").get_data(as_text=True)
    snippet = re.search(r'<textarea id="embed-code"[^>]*>(.*?)</textarea>', page, re.S)[1]
    # Shown as text; pasted, it is an iframe whose title attribute holds the quotes safely.
    assert snippet == (
        f"&lt;iframe src=&#34;http://localhost/embed/ideas/{quoted.id}&#34;"
        " title=&#34;Say &amp;#34;hi&amp;#34; &amp;lt;b&amp;gt;&#34; width=&#34;360&#34;"
        " height=&#34;170&#34; style=&#34;border:0&#34;&gt;&lt;/iframe&gt;"
    )
    assert SHOP in page
    member = app.test_client()
    member.login("member@example.com")
    assert 'id="embed-code"' not in member.get(f"/ideas/{quoted.id}").get_data(as_text=True)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("", []),
        (" https://Shop.example.com/ , http://127.0.0.1:8080", [SHOP, "http://127.0.0.1:8080"]),
        ("http://[::1]:3000", ["http://[::1]:3000"]),
    ],
)
def test_the_setting_takes_origins(raw, expected):
    assert embed_origins(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "shop.example.com",
        "https://shop.example.com/page",
        "*",
        "https://a.com 'unsafe-inline'",
        "javascript:alert(1)",
        "https://a.com;script-src *",
    ],
)
def test_anything_but_an_origin_stops_the_board_with_a_clear_message(raw):
    with pytest.raises(ValueError, match="IDEABOARD_EMBED_ORIGINS: .* is not an origin"):
        embed_origins(raw)
