"""Feeds of each status, each category and each idea: one item per signed status change."""

import re
from datetime import timedelta

import pytest

from ideaboard.board.comments import add_comment
from ideaboard.board.ideas import create_idea, edit_idea
from ideaboard.board.pipeline import change_status
from ideaboard.db import db
from ideaboard.models import (
    ACCEPTED,
    DECLINED,
    IN_PROGRESS,
    LAUNCHED,
    STATUS_LABELS,
    Category,
    Comment,
    Idea,
    StatusChange,
    utcnow,
)
from tests.feed_checks import valid_feed

DAY = timedelta(days=1)
HOST = "http://localhost"
KINDS = ["rss", "atom"]


def set_created(row, when) -> None:
    model = type(row)
    model.update(created_at=when).where(model.id == row.id).execute()


@pytest.fixture
def board(app, users, category):
    """Free refills (Drinks): accepted, answered, in progress, launched, on different days;
    Oat milk (Snacks): declined; Quiet hours (Drinks): under review, never touched."""
    staff, other = users["staff"], users["other"]
    with db.connection_context():
        snacks = Category.create(name="Snacks")
        refills = create_idea(users["member"], "Free refills", "On every cup.", category.id)
        oat = create_idea(other, "Oat milk", "Same price as cow's.", snacks.id)
        quiet = create_idea(users["member"], "Quiet hours", "", category.id)
        start = utcnow() - 10 * DAY
        steps = [
            change_status(refills, ACCEPTED, staff, "**Yes**, we will."),
            add_comment(refills.id, staff, "Refills need new cups first."),
            add_comment(refills.id, other, "Me too, please!"),
            change_status(refills, IN_PROGRESS, staff, "Building it."),
            change_status(oat, DECLINED, staff, "Not this year."),
            change_status(refills, LAUNCHED, staff, "Shipped today."),
        ]
        for number, row in enumerate(steps):
            set_created(row, start + number * DAY)
    return {
        "refills": refills.id,
        "oat": oat.id,
        "quiet": quiet.id,
        "drinks": category.id,
        "snacks": snacks.id,
        "changes": {s.to_status: s.id for s in steps if isinstance(s, StatusChange)},
        "answer": steps[1].id,
        "comment": steps[2].id,
    }


def feed(client, path: str) -> list[dict]:
    return valid_feed(client.get(path), f"{HOST}{path}")


def paths(board) -> list[str]:
    """One address of every kind of public feed, with the fixture's ids."""
    return [
        "/feeds/status/accepted",
        "/feeds/status/declined",
        "/feeds/status/under_review",
        f"/feeds/category/{board['drinks']}",
        f"/feeds/category/{board['snacks']}",
        f"/feeds/ideas/{board['refills']}",
        f"/feeds/ideas/{board['quiet']}",
        "/feeds/accepted",
        "/feeds/changelog",
    ]


@pytest.mark.parametrize("kind", KINDS)
def test_every_feed_is_valid(client, board, kind):
    counts = {}
    for path in paths(board):
        items = feed(client, f"{path}.{kind}")
        counts[path] = len(items)
        # Newest first, each with its own date.
        dates = [item["date"] for item in items]
        assert dates == sorted(dates, reverse=True), path
    assert counts[f"/feeds/ideas/{board['refills']}"] == 4
    assert counts["/feeds/status/under_review"] == 0
    assert counts[f"/feeds/ideas/{board['quiet']}"] == 0


@pytest.mark.parametrize("kind", KINDS)
def test_idea_feed_has_one_item_per_status_change_and_each_official_answer(
    client, board, users, kind
):
    items = feed(client, f"/feeds/ideas/{board['refills']}.{kind}")
    assert [item["title"] for item in items] == [
        "Free refills: Launched",
        "Free refills: In progress",
        "Free refills: official answer",
        "Free refills: Accepted",
    ]
    idea_url = f"{HOST}/ideas/{board['refills']}"
    changes = board["changes"]
    assert [item["id"] for item in items] == [
        f"{idea_url}#status-{changes[LAUNCHED]}",
        f"{idea_url}#status-{changes[IN_PROGRESS]}",
        f"{idea_url}#comment-{board['answer']}",
        f"{idea_url}#status-{changes[ACCEPTED]}",
    ]
    # Each its own date (days apart), so a reader shows each step as news.
    assert len({item["date"] for item in items}) == 4
    assert {item["author"] for item in items} == {users["staff"].name}
    assert all(item["link"].startswith(idea_url + "#") for item in items)
    summaries = [item["summary"] for item in items]
    # The signed note, rendered from Markdown, and the answer; never a member's comment.
    assert "<strong>Yes</strong>, we will." in summaries[3]
    assert "Sasha Staff moved it from Under review to Accepted" in summaries[3]
    assert "Refills need new cups first." in summaries[2]
    assert not any("Me too" in summary for summary in summaries)


@pytest.mark.parametrize("kind", KINDS)
def test_status_feeds_list_every_move_into_their_status(client, board, kind):
    expected = {
        ACCEPTED: ["Free refills: Accepted"],
        IN_PROGRESS: ["Free refills: In progress"],
        LAUNCHED: ["Free refills: Launched"],
        DECLINED: ["Oat milk: Declined"],
        "under_review": [],
    }
    for status, titles in expected.items():
        items = feed(client, f"/feeds/status/{status}.{kind}")
        assert [item["title"] for item in items] == titles, status
    declined = feed(client, f"/feeds/status/declined.{kind}")[0]
    assert "Not this year." in declined["summary"]
    assert declined["id"] == f"{HOST}/ideas/{board['oat']}#status-{board['changes'][DECLINED]}"


def test_a_status_change_has_the_same_id_in_every_feed(client, board, users):
    launched = board["changes"][LAUNCHED]
    ids = [
        feed(client, path)[0]["id"]
        for path in (
            "/feeds/status/launched.atom",
            f"/feeds/category/{board['drinks']}.rss",
            f"/feeds/ideas/{board['refills']}.atom",
        )
    ]
    assert ids == [f"{HOST}/ideas/{board['refills']}#status-{launched}"] * 3


@pytest.mark.parametrize("kind", KINDS)
def test_category_feed_lists_only_its_category(client, board, kind):
    drinks = feed(client, f"/feeds/category/{board['drinks']}.{kind}")
    assert [item["title"] for item in drinks] == [
        "Free refills: Launched",
        "Free refills: In progress",
        "Free refills: Accepted",
    ]
    snacks = feed(client, f"/feeds/category/{board['snacks']}.{kind}")
    assert [item["title"] for item in snacks] == ["Oat milk: Declined"]


def test_an_idea_moved_to_another_category_takes_its_history_along(client, board):
    with db.connection_context():
        idea = Idea.get_by_id(board["refills"])
        edit_idea(idea.id, idea.title, idea.body, board["snacks"])
    assert feed(client, f"/feeds/category/{board['drinks']}.atom") == []
    snacks = feed(client, f"/feeds/category/{board['snacks']}.atom")
    assert len(snacks) == 4


def test_feeds_stop_at_the_feed_size(client, board, monkeypatch):
    monkeypatch.setattr("ideaboard.web.feeds.FEED_SIZE", 2)
    titles = [item["title"] for item in feed(client, f"/feeds/ideas/{board['refills']}.rss")]
    assert titles == ["Free refills: Launched", "Free refills: In progress"]
    assert len(feed(client, f"/feeds/category/{board['drinks']}.atom")) == 2


@pytest.mark.parametrize(
    "path",
    [
        "/feeds/status/nope.rss",
        "/feeds/status/Accepted.atom",
        "/feeds/category/999.rss",
        "/feeds/category/0.atom",
        "/feeds/ideas/999.atom",
        "/feeds/ideas/abc.rss",
        "/feeds/ideas/1.json",
    ],
)
def test_unknown_feeds_are_404(client, board, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("kind", KINDS)
def test_new_feeds_revalidate_with_etag_and_last_modified(client, board, kind):
    for path in paths(board)[:7]:
        first = client.get(f"{path}.{kind}")
        assert first.headers["ETag"], path
        # An empty status feed has no date to give; the others date their newest change.
        assert ("Last-Modified" in first.headers) != path.endswith("under_review"), path
        assert first.headers["Cache-Control"] == "public, max-age=300"
        again = client.get(f"{path}.{kind}", headers={"If-None-Match": first.headers["ETag"]})
        assert (again.status_code, again.data) == (304, b""), path


def test_a_new_status_change_shows_at_once_with_a_new_etag(app, client, board):
    path = f"/feeds/ideas/{board['quiet']}.atom"
    before = client.get(path)
    staff = app.test_client()
    staff.login("staff@example.com")
    staff.post_form(f"/ideas/{board['quiet']}/status", {"status": ACCEPTED, "note": "Yes."})
    after = client.get(path, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert [item["title"] for item in valid_feed(after, f"{HOST}{path}")] == [
        "Quiet hours: Accepted"
    ]


def autodiscovered(html: str) -> set[str]:
    return {
        (kind, href)
        for kind in ("rss", "atom")
        for href in re.findall(
            rf'<link rel="alternate" type="application/{kind}\+xml" title="[^"]+" href="([^"]+)"',
            html,
        )
    }


def test_pages_advertise_their_feeds(client, board):
    drinks, refills = board["drinks"], board["refills"]
    pages = {
        "/?status=declined": "/feeds/status/declined",
        f"/?category={drinks}": f"/feeds/category/{drinks}",
        f"/ideas/{refills}": f"/feeds/ideas/{refills}",
        "/roadmap": "/feeds/status/launched",
    }
    for page, feed_path in pages.items():
        html = client.get(page).get_data(as_text=True)
        found = autodiscovered(html)
        assert {("rss", f"{feed_path}.rss"), ("atom", f"{feed_path}.atom")} <= found, page
        # And as visible links for people.
        assert f'<a href="{feed_path}.rss"' in html, page
    # Every feed a page advertises answers.
    for page in [*pages, f"/?status=accepted&category={drinks}"]:
        for _, href in autodiscovered(client.get(page).get_data(as_text=True)):
            assert client.get(href).status_code == 200, href
    roadmap = autodiscovered(client.get("/roadmap").get_data(as_text=True))
    assert {href for _, href in roadmap} >= {
        f"/feeds/status/{status}.{kind}"
        for status in (ACCEPTED, IN_PROGRESS, LAUNCHED)
        for kind in KINDS
    }


def test_no_feed_is_advertised_for_a_filter_that_matches_nothing(client, board):
    plain = autodiscovered(client.get("/").get_data(as_text=True))
    unknown = autodiscovered(client.get("/?category=999&status=bogus").get_data(as_text=True))
    # Only the site-wide feeds of base.html.
    assert unknown == plain == {("rss", "/feeds/accepted.rss"), ("atom", "/feeds/accepted.atom")}


def test_answers_are_chosen_by_their_official_mark(client, board):
    """The mark is fixed when written: the feed reads it, not the author's role today."""
    with db.connection_context():
        Comment.update(is_official=True).where(Comment.id == board["comment"]).execute()
    titles = [item["title"] for item in feed(client, f"/feeds/ideas/{board['refills']}.atom")]
    assert titles.count("Free refills: official answer") == 2
    assert STATUS_LABELS[LAUNCHED] in titles[0]
