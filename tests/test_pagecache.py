"""The page cache: visitors without a session share cached pages, and no write goes unseen."""

import pytest

from ideaboard import create_app
from ideaboard.board.version import bump_version, current_version
from ideaboard.db import db, is_sqlite
from ideaboard.migrations import create_version_store
from ideaboard.web import page_cache
from ideaboard.web.page_cache import PageCache
from tests.attack_support import logged_in

PUBLIC_PAGES = [
    "/",
    "/?sort=top",
    "/?sort=new&status=under_review",
    "/ideas/{idea}",
    "/ideas/{idea}/free-refills",
    "/roadmap",
    "/feeds/accepted.rss",
    "/feeds/accepted.atom",
]


def test_visitors_get_no_cookie_and_pages_from_the_cache(client, idea, sql_log):
    for template in PUBLIC_PAGES:
        path = template.format(idea=idea.id)
        first = client.get(path)
        assert first.status_code == 200, path
        assert "Set-Cookie" not in first.headers, path
        sql_log.clear()
        again = client.get(path)
        assert again.data == first.data, path
        assert [sql for sql, _ in sql_log] == [sql_log[0][0]], path
        assert "board_version" in sql_log[0][0], path
    assert client.get_cookie("session") is None


def test_visitor_vote_button_leads_to_log_in_and_back(client, idea):
    page = client.get("/").get_data(as_text=True)
    assert f'<a class="vote-button" href="/ideas/{idea.id}/vote">' in page
    assert "csrf_token" not in page
    asked = client.get(f"/ideas/{idea.id}/vote")
    assert asked.status_code == 302
    assert asked.location == f"/login?next=/ideas/{idea.id}/vote"
    client.login("member@example.com")
    back = client.get(f"/ideas/{idea.id}/vote")
    # Logged in, the link asks once more; only that page's POST votes (test_vote_intent.py).
    assert back.status_code == 200
    assert "Confirm your vote" in back.get_data(as_text=True)


# Every kind of public change reaches a visitor whose copy was cached just before.
WRITES = {
    "vote": lambda app, idea: logged_in(app, "other").post_form(
        f"/ideas/{idea.id}/vote", {"vote": "1"}
    ),
    "comment": lambda app, idea: logged_in(app, "member").post_form(
        f"/ideas/{idea.id}/comments", {"body": "Fresh comment"}
    ),
    "new idea": lambda app, idea: logged_in(app, "member").post_form(
        "/ideas/new", {"title": "Fresh idea", "body": "", "category": "0"}
    ),
    "edit": lambda app, idea: logged_in(app, "member").post_form(
        f"/ideas/{idea.id}/edit", {"title": "Fresh title", "body": "x", "category": "0"}
    ),
    "status": lambda app, idea: logged_in(app, "staff").post_form(
        f"/ideas/{idea.id}/status", {"status": "accepted", "note": "Fresh note"}
    ),
    "category": lambda app, idea: logged_in(app, "staff").post_form(
        f"/staff/categories/{idea.category_id}", {"name": "Fresh drinks"}
    ),
    "name": lambda app, idea: logged_in(app, "member").post_form(
        "/account/name", {"name": "Fresh Name"}
    ),
}
SHOWS = {
    "vote": [(p, '<span class="vote-count">1</span>') for p in ("/", "/ideas/{idea}")],
    "comment": [("/ideas/{idea}", "Fresh comment")],
    "new idea": [("/", "Fresh idea"), ("/?sort=new", "Fresh idea")],
    "edit": [("/", "Fresh title"), ("/ideas/{idea}", "Fresh title")],
    "status": [
        ("/ideas/{idea}", "Fresh note"),
        ("/roadmap", "Free refills"),
        ("/feeds/accepted.atom", "Fresh note"),
    ],
    "category": [("/", "Fresh drinks"), ("/ideas/{idea}", "Fresh drinks")],
    "name": [("/", "Fresh Name"), ("/ideas/{idea}", "Fresh Name")],
}


@pytest.mark.parametrize("write", WRITES)
def test_every_write_shows_at_once_to_visitors(app, client, idea, write):
    shows = [(path.format(idea=idea.id), text) for path, text in SHOWS[write]]
    for path, text in shows:
        assert text not in client.get(path).get_data(as_text=True), path
    response = WRITES[write](app, idea)
    assert response.status_code in (200, 302), response.get_data(as_text=True)[:500]
    for path, text in shows:
        assert text in client.get(path).get_data(as_text=True), (write, path)


def test_rejected_posts_leave_the_cache_alone(app, client, idea):
    other = logged_in(app, "other")
    with app.app_context(), db.connection_context():
        before = current_version()
    assert other.post(f"/ideas/{idea.id}/vote", data={"vote": "1"}).status_code == 400  # no token
    assert other.post_form(f"/ideas/{idea.id}/comments", {"body": ""}).status_code == 400
    with app.app_context(), db.connection_context():
        assert current_version() == before


def test_signed_in_members_always_see_their_own_state(app, client, idea):
    client.get("/")  # a visitor's copy is in the cache now
    other = logged_in(app, "other")
    assert 'aria-pressed="false"' in other.get("/").get_data(as_text=True)
    other.post_form(f"/ideas/{idea.id}/vote", {"vote": "1"})
    assert 'aria-pressed="true"' in other.get("/").get_data(as_text=True)


def test_a_write_through_one_worker_clears_every_workers_cache(app, idea, database_url):
    """Two apps on one database stand for two workers (or machines), each with its cache."""
    visitor = app.test_client()
    assert "Fresh idea" not in visitor.get("/").get_data(as_text=True)
    second = create_app({"TESTING": True, "DATABASE_URL": database_url})
    second.test_client_class = type(visitor)
    writer = second.test_client()
    writer.login("member@example.com")
    writer.post_form("/ideas/new", {"title": "Fresh idea", "body": "", "category": "0"})
    assert "Fresh idea" in visitor.get("/").get_data(as_text=True)


def test_pages_expire_even_without_writes(client, idea, monkeypatch):
    """Pages say "3 minutes ago": a copy may not outlive PAGE_CACHE_SECONDS."""
    now = [1000.0]
    monkeypatch.setattr(page_cache.time, "monotonic", lambda: now[0])
    cache = client.application.extensions["pagecache"]
    client.get("/")
    key = next(iter(cache._entries))
    assert cache.get(key, cache._entries[key].version) is not None
    now[0] += cache.seconds + 1
    assert cache.get(key, cache._entries[key].version) is None


def test_cache_holds_at_most_its_size_and_drops_the_least_used():
    cache = PageCache(seconds=60, max_entries=2)
    cache.put("a", 1, "A")
    cache.put("b", 1, "B")
    assert cache.get("a", 1) == "A"  # a is now the most recently used
    cache.put("c", 1, "C")
    assert cache.get("b", 1) is None
    assert cache.get("a", 1) == "A"
    assert cache.get("c", 1) == "C"
    assert cache.get("c", 2) is None  # another board version: gone


def test_cache_can_be_turned_off(database_url, tmp_path, monkeypatch, idea, sql_log):
    monkeypatch.setenv("IDEABOARD_INSTANCE_PATH", str(tmp_path / "off"))
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "PAGE_CACHE_SECONDS": 0})
    assert "pagecache" not in app.extensions
    client = app.test_client()
    client.get("/")
    sql_log.clear()
    client.get("/")
    assert len(sql_log) > 1
    assert not any("board_version" in sql for sql, _ in sql_log)


def test_command_line_writes_bump_the_version(app, runner):
    with app.app_context(), db.connection_context():
        before = current_version()
        bump_version()
        assert current_version() == before + 1
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context(), db.connection_context():
        assert current_version() > before + 1


def test_first_bump_of_a_new_version_store_counts(app):
    """A new PostgreSQL sequence's first nextval() leaves last_value where it was."""
    with app.app_context(), db.connection_context():
        if is_sqlite():
            db.execute_sql("DROP TABLE board_version")
        else:
            db.execute_sql("DROP SEQUENCE board_version")
        create_version_store(db.obj)
        versions = [current_version()]
        for _ in range(3):
            bump_version()
            versions.append(current_version())
    assert versions == sorted(set(versions)), versions
