"""The listing shows open ideas by default, with all and closed ones one click away."""

from datetime import timedelta

import pytest

from ideaboard.board.ideas import create_idea
from ideaboard.board.pipeline import change_status
from ideaboard.board.version import bump_version
from ideaboard.board.votes import set_vote
from ideaboard.db import db
from ideaboard.models import utcnow
from tests.test_ideas import link, listed_titles

STATUSES = {
    "Waiting": "under_review",
    "Yes": "accepted",
    "Building": "in_progress",
    "Shipped": "launched",
    "No": "declined",
}
OPEN_TITLES = {"Waiting", "Yes", "Building"}
CLOSED_TITLES = {"Shipped", "No"}


@pytest.fixture
def board(app, users, category):
    """One idea per status. The closed ones are the most voted and the newest: by every sort
    they would lead the list if they were in it."""
    now = utcnow()
    with db.connection_context():
        for n, (title, status) in enumerate(STATUSES.items()):
            closed = title in CLOSED_TITLES
            created = now - timedelta(hours=1 if closed else 30 + n)
            idea = create_idea(users["member"], title, "", category.id, created_at=created)
            if closed:
                for voter in ("other", "staff", "admin"):
                    set_vote(idea.id, users[voter], True)
            if status != "under_review":
                change_status(idea, status, users["staff"], "Decided.")


@pytest.mark.parametrize("sort", ["hot", "top", "new", "discussed"])
def test_default_listing_shows_open_ideas_only(client, board, sort):
    assert set(listed_titles(client, f"?sort={sort}")) == OPEN_TITLES
    assert set(listed_titles(client, f"?sort={sort}&show=open")) == OPEN_TITLES
    assert set(listed_titles(client, f"?sort={sort}&show=closed")) == CLOSED_TITLES
    assert set(listed_titles(client, f"?sort={sort}&show=all")) == OPEN_TITLES | CLOSED_TITLES


def test_closed_ideas_no_longer_head_hot(client, board):
    # Most votes and newest: the launched idea leads "All" by hot, but not the default list.
    assert listed_titles(client, "?show=all")[0] in CLOSED_TITLES
    assert listed_titles(client, "")[0] not in CLOSED_TITLES


def test_status_filter_still_works_and_decides_open_or_closed(client, board, category):
    assert listed_titles(client, "?status=declined") == ["No"]
    assert listed_titles(client, "?status=launched&show=open") == ["Shipped"]
    assert listed_titles(client, "?status=accepted&show=closed") == ["Yes"]
    assert listed_titles(client, f"?status=in_progress&category={category.id}") == ["Building"]
    # The control says which group the status belongs to; clearing the filter goes back to
    # the view that was picked (here the default), not to the status's group.
    page = client.get("/?status=declined").get_data(as_text=True)
    assert 'aria-current="page">Closed</a>' in page
    assert 'href="/?sort=hot">Clear filters</a>' in page
    assert 'name="show"' not in page
    page = client.get("/?show=closed&status=declined").get_data(as_text=True)
    assert 'href="/?sort=hot&amp;show=closed">Clear filters</a>' in page
    # Nonsense falls back to the default.
    assert set(listed_titles(client, "?show=bogus")) == OPEN_TITLES


def test_the_three_views_are_one_click_away(client, board):
    page = client.get("/?sort=top").get_data(as_text=True)
    control = page.split('aria-label="Which ideas to show"')[1].split("</nav>")[0]
    assert 'href="/?sort=top" aria-current="page">Open</a>' in control
    assert 'href="/?sort=top&amp;show=closed">Closed</a>' in control
    assert 'href="/?sort=top&amp;show=all">All</a>' in control
    closed = client.get("/?sort=top&show=closed").get_data(as_text=True)
    # The sort tabs and the filter form keep the view.
    assert 'href="/?sort=new&amp;show=closed"' in closed
    assert '<input type="hidden" name="show" value="closed">' in closed


def test_paging_stays_within_the_view(app, client, users):
    app.config["IDEAS_PER_PAGE"] = 2
    with db.connection_context():
        for n in range(6):
            idea = create_idea(
                users["member"], f"Idea {n}", created_at=utcnow() - timedelta(hours=n)
            )
            if n % 2:
                change_status(idea, "declined", users["staff"], "No.")
    for show, expected in (("open", ["Idea 0", "Idea 2", "Idea 4"]), ("closed", ["Idea 1"])):
        seen, query = [], f"?sort=new&show={show}"
        while query and len(seen) < 10:
            seen += listed_titles(client, query)
            query = link(client, query, "next")
        assert seen[: len(expected)] == expected
        assert all(title in ("Idea 0", "Idea 2", "Idea 4") for title in seen) == (show == "open")
    assert len(listed_titles(client, "?sort=new&show=closed")) == 2


def test_signed_in_rows_are_kept_per_view(client, board):
    """listing_rows keeps rendered rows per listing: the view is part of the key."""
    client.login("other@example.com")
    assert set(listed_titles(client, "")) == OPEN_TITLES
    assert set(listed_titles(client, "?show=closed")) == CLOSED_TITLES
    assert set(listed_titles(client, "")) == OPEN_TITLES


def test_empty_views_say_where_the_ideas_are(client, users):
    assert "No ideas yet" in client.get("/").get_data(as_text=True)
    with db.connection_context():
        idea = create_idea(users["member"], "Only idea")
        change_status(idea, "launched", users["staff"], "Done.")
        bump_version()  # as the POST that does this would: the cached copy goes
    page = client.get("/").get_data(as_text=True)
    assert "No open ideas right now" in page and "No ideas yet" not in page
    assert 'href="/?show=closed">see the closed ideas</a>' in page
    assert listed_titles(client, "?show=closed") == ["Only idea"]
    with db.connection_context():
        change_status(idea, "under_review", users["staff"], "Reopened.")
        bump_version()
    assert "No closed ideas yet" in client.get("/?show=closed").get_data(as_text=True)
