"""The audit log page: admins only, newest first, filtered, paged by keyset, read-only, and
refused by the database itself when anything tries to change or remove an entry."""

import re

import pytest
from peewee import DatabaseError

from ideaboard.board import audit
from ideaboard.board.audit_log import AuditFilters, audit_page, parse_filters
from ideaboard.board.pipeline import change_status
from ideaboard.db import db
from ideaboard.models import AuditEntry
from tests.test_db import query_plan


@pytest.fixture
def log(app, users, idea):
    """A status change (recorded by the pipeline), and entries by staff and admin."""
    with db.connection_context():
        change_status(idea, "accepted", users["staff"], "Yes.")
        audit.record(
            users["admin"], "role", "Otto Other: Member → Staff", user_id=users["other"].id
        )
        audit.record(users["staff"], "suspend", "Suspended Mia", user_id=users["member"].id)
        audit.record(users["admin"], "category", "Added category “Snacks”", category_id=7)
    return idea


@pytest.fixture
def admin(client, users):
    client.login(users["admin"].email)
    return client


def summaries(page: str) -> list[str]:
    return re.findall(r'<p class="audit-summary">([^<]*)</p>', page)


def test_newest_first_with_links(admin, users, log):
    page = admin.get("/admin/audit").get_data(as_text=True)
    assert summaries(page) == [
        "Added category “Snacks”",
        "Suspended Mia",
        "Otto Other: Member → Staff",
        f"#{log.id}: Under review → Accepted",
    ]
    assert f'href="/ideas/{log.id}">Idea #{log.id}</a>' in page
    assert f'href="/admin/people/{users["member"].id}">Person #{users["member"].id}</a>' in page
    assert 'href="/staff/categories">Category #7</a>' in page
    assert f'href="/admin/audit?actor={users["staff"].id}"' in page
    assert "to status</dt><dd>accepted</dd>" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"action": "suspend"}, ["Suspended Mia"]),
        ({"action": "nonsense"}, None),
        ({"actor": "{staff}"}, ["Suspended Mia", "#{idea}: Under review → Accepted"]),
        ({"idea": "{idea}"}, ["#{idea}: Under review → Accepted"]),
        ({"idea": "#{idea}"}, ["#{idea}: Under review → Accepted"]),
        ({"person": "{other}"}, ["Otto Other: Member → Staff"]),
        ({"person": "Member@Example.com"}, ["Suspended Mia"]),
        ({"person": "nobody@example.com"}, []),
        ({"person": "member\x00@example.com"}, []),
        ({"action": "role", "actor": "{staff}"}, []),
        ({"idea": "x'; DROP TABLE auditentry;--", "actor": "²"}, None),
    ],
)
def test_filters(admin, users, log, query, expected):
    values = {
        "staff": users["staff"].id,
        "other": users["other"].id,
        "idea": log.id,
    }
    params = {key: value.format(**values) for key, value in query.items()}
    response = admin.get("/admin/audit", query_string=params)
    assert response.status_code == 200
    found = summaries(response.get_data(as_text=True))
    if expected is None:
        # An unreadable filter is left out: every entry shows.
        assert len(found) == 4
    else:
        assert found == [text.format(**values) for text in expected]


def test_the_actor_filter_offers_the_team(admin, users, log):
    page = admin.get("/admin/audit", query_string={"actor": users["staff"].id}).get_data(
        as_text=True
    )
    assert f'<option value="{users["staff"].id}" selected>Sasha Staff</option>' in page
    assert f'<option value="{users["admin"].id}">Ada Admin</option>' in page
    assert "Mia Member</option>" not in page
    assert "Clear filters" in page


def test_keyset_pages_both_ways(app, users):
    with db.connection_context():
        for n in range(120):
            audit.record(users["admin"], "category", f"Entry {n}", category_id=n + 1)
        first = audit_page(AuditFilters(), per_page=50)
        second = audit_page(AuditFilters(), per_page=50, after=first.next_cursor)
        third = audit_page(AuditFilters(), per_page=50, after=second.next_cursor)
        back = audit_page(AuditFilters(), per_page=50, before=second.previous_cursor)
    assert [e.summary for e in first.items[:2]] == ["Entry 119", "Entry 118"]
    assert [len(p.items) for p in (first, second, third)] == [50, 50, 20]
    assert third.next_cursor is None and not third.is_first
    assert [e.id for e in back.items] == [e.id for e in first.items] and back.is_first
    assert len({e.id for p in (first, second, third) for e in p.items}) == 120


def test_pager_links_keep_the_filters(admin, users):
    with db.connection_context():
        for n in range(60):
            audit.record(users["admin"], "category", f"Entry {n}", category_id=n + 1)
        audit.record(users["admin"], "role", "Not a category", user_id=users["member"].id)
    page = admin.get("/admin/audit", query_string={"action": "category"}).get_data(as_text=True)
    assert len(summaries(page)) == 50 and "Not a category" not in page
    link = re.search(r'rel="next" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert "action=category" in link
    rest = summaries(admin.get(link).get_data(as_text=True))
    assert rest == [f"Entry {n}" for n in range(9, -1, -1)]


def test_each_filter_reads_its_index(app, users):
    with db.connection_context():
        for filters in (
            parse_filters("role", None, None, None),
            parse_filters(None, "3", None, None),
            parse_filters(None, None, "5", None),
            parse_filters(None, None, None, "7"),
        ):
            query = AuditEntry.select()
            column, value = next(
                (c, v)
                for c, v in (
                    (AuditEntry.action, filters.action),
                    (AuditEntry.actor_id, filters.actor_id),
                    (AuditEntry.idea_id, filters.idea_id),
                    (AuditEntry.user_id, filters.user_id),
                )
                if v is not None
            )
            sql = query.where(column == value).order_by(AuditEntry.id.desc()).limit(51)
            plan = query_plan(sql)
            assert "INDEX" in plan.upper() and "TEMP B-TREE" not in plan, plan
            assert "Sort " not in plan, plan


@pytest.mark.parametrize(("role", "expected"), [(None, 302), ("member", 403), ("staff", 403)])
def test_only_admins_read_the_log(app, users, log, role, expected):
    client = app.test_client()
    if role:
        client.login(users[role].email)
    response = client.get("/admin/audit")
    assert response.status_code == expected
    assert "audit-summary" not in response.get_data(as_text=True)


def test_no_route_changes_the_log(app, admin, log):
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/admin/audit")]
    assert [sorted(r.methods - {"HEAD", "OPTIONS"}) for r in rules] == [["GET"]]
    assert admin.post_form("/admin/audit", {"action": "role"}).status_code == 405


def test_the_database_refuses_to_change_or_remove_entries(app, log):
    with db.connection_context():
        entry = AuditEntry.select().order_by(AuditEntry.id).first()
        original = entry.summary
        with pytest.raises(DatabaseError, match="append-only"), db.atomic():
            AuditEntry.update(summary="Nothing happened").execute()
        with pytest.raises(DatabaseError, match="append-only"), db.atomic():
            AuditEntry.delete().where(AuditEntry.id == entry.id).execute()
        with pytest.raises(DatabaseError, match="append-only"), db.atomic():
            entry.summary = "Rewritten"
            entry.save()
        assert AuditEntry.select().count() == 4
        assert AuditEntry.get_by_id(entry.id).summary == original


def test_an_empty_log_says_so(admin):
    page = admin.get("/admin/audit").get_data(as_text=True)
    assert "Nothing recorded yet" in page
