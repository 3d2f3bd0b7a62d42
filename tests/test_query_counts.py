"""Every page issues a small, constant number of SQL statements, however much data there is."""

import pytest

from ideaboard.board.comments import add_comment
from ideaboard.board.ideas import create_idea
from ideaboard.board.pipeline import change_status
from ideaboard.board.version import bump_version
from ideaboard.board.votes import set_vote
from ideaboard.db import db
from ideaboard.models import Category

PAGES = [
    "/",
    "/?sort=top",
    "/?sort=new&status=accepted",
    "/?sort=discussed&category={category}",
    "/ideas/{idea}",
    "/roadmap",
    "/staff/triage",
    "/feeds/accepted.rss",
    "/feeds/accepted.atom",
]
MAX_STATEMENTS = 10


def grow_board(users, category, ideas: int, comments: int) -> int:
    """Add ideas, votes, comments and status changes; return the busiest idea's id."""
    with db.connection_context():
        made = []
        for n in range(ideas):
            idea = create_idea(users["member"], f"Idea {n}", "text", category.id)
            set_vote(idea.id, users["other"], True)
            made.append(idea)
        for idea, status in zip(made, ["accepted", "in_progress", "launched"], strict=False):
            change_status(idea, status, users["staff"], "Signed note")
        busiest = made[0]
        for n in range(comments):
            add_comment(busiest.id, users["other" if n % 2 else "staff"], f"Comment {n}")
        return busiest.id


def count_statements(client, sql_log, path: str) -> int:
    sql_log.clear()
    assert client.get(path).status_code == 200, path
    return len(sql_log)


@pytest.mark.parametrize("viewer", [None, "staff"])
def test_pages_issue_a_constant_number_of_queries(client, users, sql_log, viewer):
    with db.connection_context():
        category = Category.create(name="Counted")
    if viewer:
        client.login(f"{viewer}@example.com")
    idea = grow_board(users, category, ideas=3, comments=2)
    paths = [p.format(idea=idea, category=category.id) for p in PAGES]
    if not viewer:
        paths.remove("/staff/triage")  # redirects anonymous visitors to log in
    small = {p: count_statements(client, sql_log, p) for p in paths}
    # Ten times the ideas and votes, and fifty comments on the same idea.
    with db.connection_context():
        grow_board(users, category, ideas=30, comments=0)
        for n in range(48):
            add_comment(idea, users["other"], f"More {n}")
        bump_version()  # as the POSTs that make these changes do: render again, not from cache
    large = {p: count_statements(client, sql_log, p) for p in paths}
    assert large == small
    assert max(large.values()) <= MAX_STATEMENTS, large


def test_a_page_from_the_page_cache_costs_one_statement(client, users, sql_log):
    """Visitors without a session get pages from the cache: only the board version is read."""
    with db.connection_context():
        category = Category.create(name="Counted")
    idea = grow_board(users, category, ideas=3, comments=2)
    paths = [p.format(idea=idea, category=category.id) for p in PAGES if "staff" not in p]
    for path in paths:
        first = count_statements(client, sql_log, path)
        again = count_statements(client, sql_log, path)
        assert first > 1, path
        assert again == 1, (path, sql_log)
        assert "version" in sql_log[0][0].lower()
