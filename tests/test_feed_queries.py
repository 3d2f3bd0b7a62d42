"""Feed queries read indexes and stop after the page; user text in feeds stays inert."""

from xml.etree import ElementTree

from ideaboard.board import feeds
from ideaboard.board.comments import add_comment
from ideaboard.board.feeds import replace_feed_token
from ideaboard.board.ideas import create_idea
from ideaboard.board.pipeline import change_status
from ideaboard.db import db, is_sqlite
from ideaboard.models import ACCEPTED, Idea, User
from tests.payloads import CONTROL_PAYLOADS, FAMILIES, SAFE_LINK
from tests.test_db import query_plan
from tests.xss_checks import FORBIDDEN_TAGS, assert_inert, local


def plans(sql_log, run) -> list[str]:
    """The plan of every SELECT that run() sends."""
    start = len(sql_log)
    run()
    return [query_plan(statement) for statement in sql_log[start:] if "SELECT" in statement[0]]


def assert_read_in_order(plan: str) -> None:
    """Every table through an index, in the feed's order, stopping after the page."""
    assert "INDEX" in plan.upper(), plan
    if is_sqlite():
        assert "SCAN " not in plan and "TEMP B-TREE" not in plan, plan
    else:
        assert "Seq Scan" not in plan and "Sort" not in plan, plan
        assert plan.startswith("Limit"), plan


def test_idea_feed_reads_its_two_indexes_backwards(app, sql_log, idea):
    with db.connection_context():
        found = plans(sql_log, lambda: feeds.idea_feed(idea.id, 50))
    assert len(found) == 2
    for plan, table in zip(found, ("statuschange", "comment"), strict=True):
        assert_read_in_order(plan)
        assert f"{table}_idea_id_created_at" in plan, plan


def test_private_feed_reads_only_the_persons_follows(app, sql_log, users):
    """Sorted, but only the rows of the ideas this person follows: the follow index by user,
    then each idea's rows by the (idea, ...) indexes. Never a scan of the board's rows."""
    with db.connection_context():
        found = plans(sql_log, lambda: feeds.followed_feed(users["member"].id, 50))
    assert len(found) == 2
    for plan, table in zip(found, ("statuschange", "comment"), strict=True):
        if is_sqlite():
            assert "SCAN " not in plan, plan
            assert "USING INDEX follow_user_id" in plan and "(user_id=?)" in plan, plan
            assert f"USING INDEX {table}_idea_id" in plan, plan
        else:
            assert "Seq Scan" not in plan, plan
            assert "on follow" in plan and "Index Cond: (user_id = " in plan, plan
            assert f"on {table} t1" in plan and "Index Cond: (idea_id = t" in plan, plan


def test_status_feed_reads_an_index_in_order(app, sql_log):
    with db.connection_context():
        [plan] = plans(sql_log, lambda: feeds.status_feed(ACCEPTED, 50))
    assert_read_in_order(plan)


def test_category_feed_reads_an_index_in_order(app, sql_log, category):
    with db.connection_context():
        [plan] = plans(sql_log, lambda: feeds.category_feed(category.id, 50))
    assert_read_in_order(plan)


# Two of each family (tags, handlers, attribute breaks, URLs...): 48 items, one feed page.
PAYLOADS = [payload for family in FAMILIES.values() for payload in family[:2]]


def feed_paths(idea_id: int, category_id: int, token: str) -> list[str]:
    return [
        f"{path}.{kind}"
        for path in (
            "/feeds/status/accepted",
            f"/feeds/category/{category_id}",
            f"/feeds/ideas/{idea_id}",
            f"/feeds/private/{token}",
        )
        for kind in ("rss", "atom")
    ]


def plain(text: str | None) -> str:
    return " ".join((text or "").split())


def test_payloads_in_titles_names_and_notes_stay_inert_in_feeds(app, users, category):
    staff, member = users["staff"], users["member"]
    with db.connection_context():
        token = replace_feed_token(member.id)
        titles = []
        for payload in PAYLOADS:
            # The staff member signs each note under the next payload as their name.
            User.update(name=payload.strip()[:60].strip()).where(User.id == staff.id).execute()
            author = User.get_by_id(staff.id)
            idea = create_idea(member, payload.strip()[:120].strip(), payload, category.id)
            change_status(idea, ACCEPTED, author, f"{payload}\n\n{SAFE_LINK}")
            add_comment(idea.id, author, f"{payload}\n\n{SAFE_LINK}")
            titles.append(plain(idea.title))
        name = plain(author.name)
    client = app.test_client()
    for path in feed_paths(idea.id, category.id, token):
        response = client.get(path)
        assert response.status_code == 200, path
        root = ElementTree.fromstring(response.data)
        for element in root.iter():
            assert local(element.tag) not in FORBIDDEN_TAGS, (path, element.tag)
            assert not any(local(attr).startswith("on") for attr in element.attrib), path
        entries = root.findall("channel/item") + root.findall("{*}entry")
        assert len(entries) == (
            2 if "/ideas/" in path else len(PAYLOADS) * (1 + ("/private/" in path))
        )
        # Titles and names are plain text, shown as typed (less what XML cannot carry).
        shown = {plain(e.findtext("title") or e.findtext("{*}title")) for e in entries}
        expected = titles[-1:] if "/ideas/" in path else titles
        assert {f"{title}: Accepted" for title in expected} <= shown, path
        for entry in entries:
            signed = entry.findtext("{*}author/{*}name") or entry.findtext("{*}creator")
            assert plain(signed) == name, path
            # Summaries are HTML: the note as sanitized Markdown, signed with an escaped name.
            summary = entry.findtext("description") or entry.findtext("{*}summary")
            assert_inert(f'<div class="prose">{summary}</div>')


def test_control_characters_cannot_break_the_xml(app, users, category):
    staff, member = users["staff"], users["member"]
    title, name, note = CONTROL_PAYLOADS[:3]
    with db.connection_context():
        token = replace_feed_token(member.id)
        idea = create_idea(member, "Fine title", "", category.id)
        change_status(idea, ACCEPTED, staff, note)
        add_comment(idea.id, staff, note)
        # Rows saved before the forms refused controls.
        Idea.update(title=title).where(Idea.id == idea.id).execute()
        User.update(name=name).where(User.id == staff.id).execute()
    client = app.test_client()
    for path in feed_paths(idea.id, category.id, token):
        response = client.get(path)
        assert response.status_code == 200, path
        root = ElementTree.fromstring(response.data)
        assert len([e for e in root.iter() if local(e.tag) in ("item", "entry")]) >= 1, path
