"""The storage layer: engine settings, and an index behind every listing's sort."""

import pytest

from ideaboard.db import db, is_sqlite
from ideaboard.listing import SORTS, idea_query, list_ideas
from ideaboard.models import Idea


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


def query_plan(sql: str, params) -> str:
    if is_sqlite():
        rows = db.execute_sql("EXPLAIN QUERY PLAN " + sql, params)
        return " | ".join(row[3] for row in rows)
    with db.atomic():
        # Tables in tests are tiny, where a scan is cheapest; forbid it to see if an index fits.
        db.execute_sql("SET LOCAL enable_seqscan = off")
        return " | ".join(row[0] for row in db.execute_sql("EXPLAIN " + sql, params))


@pytest.mark.parametrize("sort", sorted(SORTS))
@pytest.mark.parametrize("status", [None, "accepted"])
def test_listing_sorts_use_an_index(app, sort, status):
    """Every sort of the home page reads an index instead of scanning the ideas table."""
    query = idea_query()
    if status:
        query = query.where(Idea.status == status)
    sql, params = query.order_by(*SORTS[sort][1]).limit(20).sql()
    with db.connection_context():
        plan = query_plan(sql, params)
        assert "INDEX" in plan.upper(), plan
        if not status:
            # The unfiltered listings are read in index order: no sort step at all.
            assert "TEMP B-TREE" not in plan and "Sort " not in plan, plan
        assert list_ideas(sort, status, None, 1, 20).items == []
