"""The storage layer: engine settings, and an index behind every listing."""

import pytest

from ideaboard.board.listing import (
    ALL,
    CLOSED,
    OPEN,
    SORTS,
    accepted_ideas,
    idea_query,
    keyset_page,
    list_ideas,
    triage_page,
)
from ideaboard.db import db, is_sqlite
from ideaboard.models import ACCEPTED_OR_LATER, Idea


def test_engine_settings(app):
    """SQLite: WAL, foreign keys, busy timeout, IMMEDIATE writes. PostgreSQL: a pool."""
    with db.connection_context():
        if is_sqlite():
            assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
            assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 5000
            assert db.obj._lock_type == "IMMEDIATE"
        else:
            assert type(db.obj).__name__ == "PooledPostgresqlDatabase"
            assert db.obj._max_connections >= 8


def query_plan(query) -> str:
    sql, params = query if isinstance(query, tuple) else query.sql()
    if is_sqlite():
        rows = db.execute_sql("EXPLAIN QUERY PLAN " + sql, params)
        return " | ".join(row[3] for row in rows)
    with db.atomic():
        # Test tables are tiny, where scanning and sorting is cheapest. Forbid the
        # alternatives: a Sort that still shows means no index can deliver this order.
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            db.execute_sql(f"SET LOCAL {setting} = off")
        return " | ".join(row[0] for row in db.execute_sql("EXPLAIN " + sql, params))


def assert_index_order(plan: str) -> None:
    """The ideas table is read through an index, in the listing's order: no scan, no sort."""
    assert "INDEX" in plan.upper(), plan
    if is_sqlite():
        assert "SCAN idea" not in plan.replace("SCAN idea USING", "USING"), plan
        assert "TEMP B-TREE" not in plan, plan
    else:
        assert "Seq Scan on idea" not in plan and "Sort " not in plan, plan


LISTINGS = [
    (sort, status, category, show)
    for sort in sorted(SORTS)
    for status, category, show in [
        (None, None, ALL),
        ("accepted", None, ALL),
        (None, 1, ALL),
        # The default listing (open ideas) and the closed ones, alone and within a category.
        (None, None, OPEN),
        (None, None, CLOSED),
        (None, 1, OPEN),
        (None, 1, CLOSED),
        # A status says open or closed by itself.
        ("declined", None, OPEN),
    ]
]


@pytest.mark.parametrize(("sort", "status", "category", "show"), LISTINGS)
@pytest.mark.parametrize("deep", [False, True])
def test_every_listing_reads_an_index_in_order(app, sql_log, sort, status, category, show, deep):
    """Each sort, alone or filtered, on the first page and deep down (after a cursor)."""
    with db.connection_context():
        list_ideas(sort, status, category, 20, after="5~1000" if deep else None, show=show)
        [listing] = [s for s in sql_log if s[0].startswith("SELECT") and 'FROM "idea"' in s[0]]
        assert_index_order(query_plan(listing))


def test_triage_roadmap_and_feed_queries_use_indexes(app, sql_log):
    with db.connection_context():
        triage_page(50)
        for status in ACCEPTED_OR_LATER:
            accepted_ideas(50, status)
        accepted_ideas(50)
        triage, *columns, feed = [
            s for s in sql_log if s[0].startswith("SELECT") and 'FROM "idea"' in s[0]
        ]
        assert len(columns) == len(ACCEPTED_OR_LATER)
        for listing in (triage, *columns):
            assert_index_order(query_plan(listing))
        assert "INDEX" in query_plan(feed).upper()
        assert keyset_page(idea_query(), Idea.created_at, 5).items == []
