"""Operator commands: rebuild the stored counters from the rows, and back up a live SQLite file."""

import math
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import click

from ideaboard.db import db, is_sqlite
from ideaboard.models import hot_sql
from ideaboard.pagecache import bump_version

# Stored scores are rounded to 6 decimals, in Python or in SQL: they may differ in the last one.
HOT_TOLERANCE = 1e-5
# The chosen ideas with their true counts and hot score. The counts are correlated subqueries
# that read the (idea, ...) indexes of vote and comment, one idea at a time.
ACTUAL_SQL = """
SELECT id, votes, comments, {hot} AS hot
FROM (SELECT src.id, src.created_at,
             (SELECT COUNT(*) FROM vote v WHERE v.idea_id = src.id) AS votes,
             (SELECT COUNT(*) FROM comment c WHERE c.idea_id = src.id) AS comments
      FROM idea src WHERE {which}) AS counted
"""
WRONG = (
    "(i.vote_count <> a.votes OR i.comment_count <> a.comments"
    f" OR ABS(i.hot - a.hot) > {HOT_TOLERANCE})"
)
DRIFT_SQL = f"""
SELECT i.id, i.vote_count - a.votes, i.comment_count - a.comments,
       CASE WHEN ABS(i.hot - a.hot) > {HOT_TOLERANCE} THEN 1 ELSE 0 END
FROM idea i JOIN ({{actual}}) AS a ON a.id = i.id
WHERE {WRONG} ORDER BY i.id
"""
FIX_SQL = f"""
UPDATE idea AS i SET vote_count = a.votes, comment_count = a.comments, hot = a.hot
FROM ({{actual}}) AS a
WHERE i.id = a.id AND {WRONG}
"""
# Ids of wrong ideas shown in the report, so someone can look at a few.
SHOW_IDS = 10
# SQLite pages copied per backup step (4 MB at the default 4 KB page size).
BACKUP_STEP_PAGES = 1024


@dataclass
class Drift:
    """What rebuild-counters found: ideas checked, and how the wrong ones were wrong."""

    checked: int = 0
    wrong_ids: list[int] = field(default_factory=list)
    votes_off: int = 0
    comments_off: int = 0
    stale_hot: int = 0
    fixed: int = 0

    def summary(self) -> str:
        if not self.wrong_ids:
            return f"Checked {self.checked:,} ideas: every counter matches the rows."
        shown = ", ".join(str(i) for i in self.wrong_ids[:SHOW_IDS])
        more = ", …" if len(self.wrong_ids) > SHOW_IDS else ""
        return (
            f"Checked {self.checked:,} ideas: {len(self.wrong_ids):,} were wrong "
            f"(ideas {shown}{more}): vote counts off by {self.votes_off:,} in total, "
            f"comment counts off by {self.comments_off:,}, hot score stale on {self.stale_hot:,}."
        )


def _actual_sql(which: str) -> str:
    return ACTUAL_SQL.format(hot=hot_sql("votes", "comments", "created_at"), which=which)


def _fix(ids: list[int]) -> int:
    """Store the true counts and hot score of these ideas where still wrong; return how many."""
    marks = ", ".join([db.param] * len(ids))
    with db.atomic():
        if not is_sqlite():
            # Lock them first: a vote committing meanwhile then waits, and adds its +1 to the
            # true count. SQLite's IMMEDIATE transaction already keeps every writer out.
            db.execute_sql(f"SELECT id FROM idea WHERE id IN ({marks}) FOR UPDATE", ids)
        fix_sql = FIX_SQL.format(actual=_actual_sql(f"src.id IN ({marks})"))
        return db.execute_sql(fix_sql, ids).rowcount


def rebuild_counters(fix: bool, batch_size: int = 5000) -> Drift:
    """Compare every idea's counters and hot score with its rows; fix the wrong ones if asked.

    Works through id ranges; only ideas found wrong are locked and written, so a live site
    hardly notices.
    """
    if is_sqlite():
        # SQLite has LOG10 only when built with its math functions; Python's copy may lack them.
        db.obj.register_function(math.log10, "log10", 1)
    drift_sql = DRIFT_SQL.format(actual=_actual_sql(f"src.id BETWEEN {db.param} AND {db.param}"))
    drift = Drift()
    low, high, drift.checked = db.execute_sql(
        "SELECT MIN(id), MAX(id), COUNT(*) FROM idea"
    ).fetchone()
    for start in range(low or 0, (high or -1) + 1, batch_size):
        # One statement: a consistent view of the batch without holding any lock.
        wrong = db.execute_sql(drift_sql, (start, start + batch_size - 1)).fetchall()
        for idea_id, votes_off, comments_off, stale in wrong:
            drift.wrong_ids.append(idea_id)
            drift.votes_off += abs(votes_off)
            drift.comments_off += abs(comments_off)
            drift.stale_hot += stale
        if fix and wrong:
            drift.fixed += _fix([row[0] for row in wrong])
    return drift


@click.command("rebuild-counters")
@click.option("--check", is_flag=True, help="Only report; exit with status 1 if anything is off.")
# At most 10,000: the wrong ideas of a batch are fixed in one statement with a parameter each,
# and SQLite accepts 32,766 parameters.
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=5000, show_default=True)
def rebuild_counters_command(check: bool, batch_size: int) -> None:
    """Recompute each idea's vote and comment counts and hot score from the rows."""
    with db.connection_context():
        drift = rebuild_counters(fix=not check, batch_size=batch_size)
        if drift.fixed:
            bump_version()
    click.echo(drift.summary())
    if drift.wrong_ids:
        if check:
            click.echo("Run without --check to fix them.")
            raise SystemExit(1)
        click.echo(f"Fixed {drift.fixed:,} ideas.")


def backup_sqlite(
    source: str,
    target: str,
    step_pages: int = BACKUP_STEP_PAGES,
    progress: Callable[[int, int, int], object] | None = None,
) -> int:
    """Copy a live SQLite database to target atomically with SQLite's backup API; return bytes.

    The copy is the database as it was when the backup began, while others keep writing.
    """
    directory = os.path.dirname(os.path.abspath(target))
    handle, temporary = tempfile.mkstemp(
        dir=directory, prefix=f".{os.path.basename(target)}.", suffix=".tmp"
    )
    os.close(handle)
    source_db = sqlite3.connect(source, isolation_level=None)
    try:
        # One read transaction across all steps pins a snapshot: without it, every write by
        # another connection restarts the copy. In WAL mode a reader never blocks writers.
        source_db.execute("BEGIN")
        source_db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        target_db = sqlite3.connect(temporary)
        try:
            source_db.backup(target_db, pages=step_pages, progress=progress)
            # A single self-contained file: no -wal beside it to get lost in a copy.
            target_db.execute("PRAGMA journal_mode=DELETE")
        finally:
            target_db.close()
        source_db.execute("COMMIT")
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise
    finally:
        source_db.close()
    directory_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(directory_fd)  # the rename itself survives a crash
    finally:
        os.close(directory_fd)
    return os.path.getsize(target)


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def backup_command(path: str) -> None:
    """Write a consistent copy of the live SQLite database to PATH (replaced atomically)."""
    if not is_sqlite():
        raise click.ClickException(
            "backup copies SQLite databases. For PostgreSQL use pg_dump, e.g. "
            '`pg_dump -Fc -f ideaboard.dump "$IDEABOARD_DATABASE_URL"` '
            "(see docs/OPERATIONS.md, Backups)."
        )
    source = db.obj.database
    if not os.path.isdir(os.path.dirname(os.path.abspath(path))):
        raise click.ClickException(f"There is no folder for {path}; create it first.")
    if os.path.exists(path) and os.path.samefile(path, source):
        raise click.ClickException("PATH is the live database itself; choose another file.")
    started = time.perf_counter()
    size = backup_sqlite(source, path)
    seconds = time.perf_counter() - started
    click.echo(f"Backed up {source} to {path}: {size / 1e6:.1f} MB in {seconds:.2f} s.")
