"""`flask bench-seed`: fill an empty database with a large, realistic board for load tests."""

import time
from datetime import UTC, datetime

import click

from ideaboard.benchdata import (
    BENCH_EMAIL,
    BENCH_PASSWORD,
    BENCH_PASSWORD_HASH,
    DETAIL_COMMENTS,
    EPOCH,
    STAFF_EMAIL,
    TABLES,
    column_names,
    comment_rows,
    idea_rows,
    make_plan,
    status_change_rows,
    user_rows,
    vote_rows,
)
from ideaboard.bulkload import PostgresLoader, SqliteLoader
from ideaboard.db import create_schema, db, is_sqlite
from ideaboard.models import (
    Category,
    Comment,
    Idea,
    StatusChange,
    User,
    Vote,
)
from ideaboard.pagecache import bump_version


def _today() -> datetime:
    now = datetime.now(UTC).replace(tzinfo=None)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


@click.command("bench-seed")
@click.option("--ideas", type=click.IntRange(min=10), default=1000, show_default=True)
@click.option("--votes", type=click.IntRange(min=0), default=10_000, show_default=True)
@click.option(
    "--comments",
    type=click.IntRange(min=DETAIL_COMMENTS),
    default=2000,
    show_default=True,
    help=f"At least {DETAIL_COMMENTS}: one idea gets exactly that many.",
)
@click.option("--users", type=click.IntRange(min=2), default=1000, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option(
    "--end",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Newest possible date (UTC). Default: today at midnight.",
)
@click.option("--years", type=click.FloatRange(min=0.1), default=4.0, show_default=True)
def bench_seed_command(
    ideas: int,
    votes: int,
    comments: int,
    users: int,
    seed: int,
    end: datetime | None,
    years: float,
) -> None:
    """Fill an empty board with generated users, ideas, votes, comments and status history."""
    from ideaboard.demo import ensure_default_categories

    started = time.perf_counter()
    create_schema()
    ensure_default_categories()
    with db.connection_context():
        if User.select().exists() or Idea.select().exists():
            raise click.ClickException(
                "bench-seed fills an empty board, and this database already has users or "
                "ideas. Point IDEABOARD_DATABASE_URL at a new database."
            )
        categories = [c.id for c in Category.select(Category.id).order_by(Category.id)]
        if ideas <= len(categories):
            raise click.BadParameter(
                f"need more ideas than the {len(categories)} categories", param_hint="--ideas"
            )
        end_seconds = int(((end or _today()) - EPOCH).total_seconds())
        plan = make_plan(ideas, votes, comments, users, seed, end_seconds, years, categories)
        click.echo(f"Planned in {time.perf_counter() - started:.1f} s.")
        rows = {
            User: user_rows(plan, BENCH_PASSWORD_HASH),
            Idea: idea_rows(plan),
            Vote: vote_rows(plan),
            Comment: comment_rows(plan),
            StatusChange: status_change_rows(plan),
        }
        tables = [model._meta.table_name for model, _ in TABLES]
        loader = SqliteLoader(tables) if is_sqlite() else PostgresLoader(tables)
        loader.begin()
        try:
            for model, names in TABLES:
                table_started = time.perf_counter()
                count = loader.load(model._meta.table_name, column_names(model, names), rows[model])
                elapsed = time.perf_counter() - table_started
                click.echo(f"  {model._meta.table_name}: {count:,} rows in {elapsed:.1f} s")
            loader.finish(click.echo)
        except BaseException:
            loader.abort()
            raise
        bump_version()
    detail_id = plan.detail_index + 1
    click.echo(
        f"Seeded {ideas:,} ideas, {votes:,} votes, {comments:,} comments and {users:,} users"
        f" in {time.perf_counter() - started:.1f} s.\n"
        f"Log in as {BENCH_EMAIL} (staff: {STAFF_EMAIL}), password {BENCH_PASSWORD}.\n"
        f"Idea with {DETAIL_COMMENTS} comments: /ideas/{detail_id}"
    )
