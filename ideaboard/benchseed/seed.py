"""Fill an empty database with a large, realistic board for load tests (`flask bench-seed`)."""

import time
from collections.abc import Callable
from datetime import UTC, datetime

from ideaboard.benchseed.answers import IDEA_COLUMNS, idea_rows_answered
from ideaboard.benchseed.bulkload import PostgresLoader, SqliteLoader
from ideaboard.benchseed.plan import (
    BENCH_EMAIL,
    BENCH_PASSWORD,
    BENCH_PASSWORD_HASH,
    DETAIL_COMMENTS,
    EPOCH,
    STAFF_EMAIL,
    TABLES,
    SeedError,
    column_names,
    comment_rows,
    make_plan,
    status_change_rows,
    user_rows,
    vote_rows,
)
from ideaboard.board.categories import ensure_default_categories
from ideaboard.board.listening_rebuild import rebuild as rebuild_listening
from ideaboard.board.schema import upgrade_schema
from ideaboard.board.version import bump_version
from ideaboard.db import db, is_sqlite
from ideaboard.migrations.v12_search import (
    SEARCH_TABLE,
    create_search_triggers,
    drop_search_triggers,
    fill_search_index,
)
from ideaboard.models import (
    Category,
    Comment,
    Idea,
    StatusChange,
    User,
    Vote,
)


def _today() -> datetime:
    now = datetime.now(UTC).replace(tzinfo=None)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def seed_board(
    ideas: int,
    votes: int,
    comments: int,
    users: int,
    seed: int,
    end: datetime | None,
    years: float,
    echo: Callable[[str], object] = print,
) -> None:
    """Fill an empty board with generated users, ideas, votes, comments and status history."""
    started = time.perf_counter()
    upgrade_schema()
    with db.connection_context():
        ensure_default_categories()
        if User.select().exists() or Idea.select().exists():
            raise SeedError(
                "bench-seed fills an empty board, and this database already has users or "
                "ideas. Point IDEABOARD_DATABASE_URL at a new database."
            )
        categories = [c.id for c in Category.select(Category.id).order_by(Category.id)]
        if ideas <= len(categories):
            raise SeedError(f"--ideas: need more ideas than the {len(categories)} categories")
        end_seconds = int(((end or _today()) - EPOCH).total_seconds())
        plan = make_plan(ideas, votes, comments, users, seed, end_seconds, years, categories)
        echo(f"Planned in {time.perf_counter() - started:.1f} s.")
        rows = {
            User: user_rows(plan, BENCH_PASSWORD_HASH),
            Idea: idea_rows_answered(plan),
            Vote: vote_rows(plan),
            Comment: comment_rows(plan),
            StatusChange: status_change_rows(plan),
        }
        tables = [model._meta.table_name for model, _ in TABLES]
        loader = SqliteLoader(tables) if is_sqlite() else PostgresLoader(tables)
        # The search index is filled once after the load, not by its triggers row by row.
        drop_search_triggers(db.obj)
        try:
            loader.begin()
            try:
                for model, names in TABLES:
                    table_started = time.perf_counter()
                    names = (*names, *IDEA_COLUMNS) if model is Idea else names
                    columns = column_names(model, names)
                    count = loader.load(model._meta.table_name, columns, rows[model])
                    elapsed = time.perf_counter() - table_started
                    echo(f"  {model._meta.table_name}: {count:,} rows in {elapsed:.1f} s")
                loader.finish(echo)
            except BaseException:
                loader.abort()
                raise
            search_started = time.perf_counter()
            with db.atomic():
                fill_search_index(db.obj)
            if not is_sqlite():
                # As the loader does for its tables: a visibility map from the first request.
                db.execute_sql(f'VACUUM ANALYZE "{SEARCH_TABLE}"')
            echo(f"  search index: filled in {time.perf_counter() - search_started:.1f} s")
        finally:
            create_search_triggers(db.obj)
        # Each status change carries its idea's category (the category feeds read it).
        db.execute_sql(
            "UPDATE statuschange SET category_id ="
            " (SELECT category_id FROM idea WHERE idea.id = statuschange.idea_id)"
        )
        # The /listening counts, from the rows just loaded.
        listening_started = time.perf_counter()
        counted = rebuild_listening()
        if counted.wrong_ideas and not is_sqlite():
            # The count set first responses the load had wrong: vacuum once more, so that
            # index-only scans find the table all-visible from the first request.
            db.execute_sql('VACUUM ANALYZE "idea"')
        echo(
            f"  listening: counted in {time.perf_counter() - listening_started:.1f} s"
            f" ({counted.wrong_ideas:,} first responses corrected)"
        )
        bump_version()
    detail_id = plan.detail_index + 1
    echo(
        f"Seeded {ideas:,} ideas, {votes:,} votes, {comments:,} comments and {users:,} users"
        f" in {time.perf_counter() - started:.1f} s.\n"
        f"Log in as {BENCH_EMAIL} (staff: {STAFF_EMAIL}), password {BENCH_PASSWORD}.\n"
        f"Idea with {DETAIL_COMMENTS} comments: /ideas/{detail_id}"
    )
