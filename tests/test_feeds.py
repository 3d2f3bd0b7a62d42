"""RSS and Atom feeds of accepted ideas: valid, complete, cacheable."""

from datetime import timedelta

import feedparser
import pytest

from ideaboard.board.ideas import create_idea
from ideaboard.board.pipeline import change_status
from ideaboard.db import db
from ideaboard.models import Idea

FEEDS = ["/feeds/accepted.rss", "/feeds/accepted.atom"]


@pytest.fixture
def ideas(app, users, category):
    """Three accepted-or-later ideas accepted on different days, one declined, one new."""
    with db.connection_context():
        made = {}
        for name, status in [
            ("first", "accepted"),
            ("second", "in_progress"),
            ("third", "launched"),
            ("gone", "declined"),
        ]:
            idea = create_idea(users["member"], f"Idea {name}", "Body", category.id)
            if status != "declined":
                change_status(idea, "accepted", users["staff"], f"Accepted {name}")
            if status in ("in_progress", "launched"):
                change_status(idea, "in_progress", users["staff"], f"Building {name}")
            if status in ("launched", "declined"):
                change_status(idea, status, users["staff"], f"Final word on {name}")
            made[name] = idea
        create_idea(users["member"], "Idea pending")
        # Spread the acceptance dates so the order is unambiguous.
        for days, name in enumerate(["third", "second", "first"]):
            accepted_at = Idea.get_by_id(made[name].id).accepted_at - timedelta(days=days)
            Idea.update(accepted_at=accepted_at).where(Idea.id == made[name].id).execute()
        return made


@pytest.mark.parametrize("path", FEEDS)
def test_feed_is_valid_and_lists_accepted_ideas_newest_first(client, ideas, path):
    response = client.get(path)
    assert response.status_code == 200
    feed = feedparser.parse(response.data)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert [e.title for e in feed.entries] == ["Idea third", "Idea second", "Idea first"]
    assert feed.feed.title
    assert feed.feed.link.startswith("http://localhost/")


@pytest.mark.parametrize("path", FEEDS)
def test_feed_entries_carry_every_field(client, ideas, path):
    feed = feedparser.parse(client.get(path).data)
    entry = next(e for e in feed.entries if e.title == "Idea third")
    idea_id = ideas["third"].id
    assert entry.link == f"http://localhost/ideas/{idea_id}"
    assert entry.id == f"http://localhost/ideas/{idea_id}"
    assert entry.published_parsed is not None
    terms = {tag.term for tag in entry.tags}
    assert {"Drinks", "Launched"} <= terms
    # The summary carries the latest staff note, signed.
    assert "Final word on third" in entry.summary
    assert "Sasha Staff" in entry.summary


def test_declined_and_pending_ideas_are_not_in_feeds(client, ideas):
    for path in FEEDS:
        titles = [e.title for e in feedparser.parse(client.get(path).data).entries]
        assert "Idea gone" not in titles
        assert "Idea pending" not in titles


def test_idea_drops_out_when_declined_later(client, ideas, users):
    with db.connection_context():
        change_status(ideas["first"], "declined", users["staff"], "Changed our mind")
    titles = [e.title for e in feedparser.parse(client.get(FEEDS[0]).data).entries]
    assert "Idea first" not in titles


def test_rss_has_required_elements_and_rfc822_dates(client, ideas):
    from xml.etree import ElementTree

    channel = ElementTree.fromstring(client.get(FEEDS[0]).data).find("channel")
    for tag in ("title", "link", "description"):
        assert channel.findtext(tag)
    for item in channel.findall("item"):
        pub = item.findtext("pubDate")
        assert pub.endswith("+0000") and pub[3] == ","
        assert item.find("guid").get("isPermaLink") == "true"


def test_atom_has_required_elements_and_rfc3339_dates(client, ideas):
    from xml.etree import ElementTree

    ns = {"a": "http://www.w3.org/2005/Atom"}
    root = ElementTree.fromstring(client.get(FEEDS[1]).data)
    for tag in ("a:id", "a:title", "a:updated"):
        assert root.findtext(tag, namespaces=ns)
    assert root.find("a:author/a:name", ns) is not None
    assert root.find("a:link[@rel='self']", ns) is not None
    for entry in root.findall("a:entry", ns):
        for tag in ("a:id", "a:title", "a:updated"):
            assert entry.findtext(tag, namespaces=ns)
        assert entry.findtext("a:updated", namespaces=ns).endswith("+00:00")


def test_empty_feed_is_still_valid(client):
    for path in FEEDS:
        feed = feedparser.parse(client.get(path).data)
        assert feed.bozo == 0
        assert feed.entries == []


@pytest.mark.parametrize("path", FEEDS)
def test_revalidation_answers_304(client, ideas, path):
    first = client.get(path)
    assert first.headers["ETag"]
    assert first.headers["Last-Modified"]
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""
    since = client.get(path, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304


def test_etag_changes_when_the_feed_changes(app, client, ideas, users):
    before = client.get(FEEDS[0]).headers["ETag"]
    staff = app.test_client()
    staff.login("staff@example.com")
    changed = staff.post_form(
        f"/ideas/{ideas['first'].id}/status", {"status": "in_progress", "note": "Started"}
    )
    assert changed.status_code == 302
    # The subscriber has no session: the answer may come from the page cache, if still fresh.
    response = client.get(FEEDS[0], headers={"If-None-Match": before})
    assert response.status_code == 200
    assert response.headers["ETag"] != before


@pytest.mark.parametrize("page", ["/", "/roadmap", "/login"])
def test_pages_advertise_both_feeds(client, page):
    html = client.get(page).get_data(as_text=True)
    assert 'rel="alternate" type="application/rss+xml"' in html
    assert 'rel="alternate" type="application/atom+xml"' in html
