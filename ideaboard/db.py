"""The database handle shared by every model, and its per-request lifecycle."""

from urllib.parse import urlparse

import click
from flask import Flask
from peewee import DatabaseProxy, Model
from playhouse.db_url import connect

db = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",
    # Wait for a writer instead of failing at once with "database is locked".
    "busy_timeout": 5000,
    "cache_size": -32000,
}


class BaseModel(Model):
    class Meta:
        database = db


def open_database(url: str):
    """Create the peewee database for a URL; both engines keep their connections in a pool."""
    scheme = urlparse(url).scheme
    if scheme == "sqlite":
        # Pooled too: opening a file and running the pragmas costs more than a page's queries,
        # so each worker keeps its connection between requests (closing returns it).
        # IMMEDIATE: a transaction that reads and then writes takes the write lock up front,
        # otherwise concurrent workers hit "database is locked" on the upgrade.
        url = url.replace("sqlite://", "sqlite+pool://", 1)
        return connect(
            url,
            pragmas=SQLITE_PRAGMAS,
            lock_type="IMMEDIATE",
            max_connections=32,
            timeout=10,
            # The pool lends a connection to one thread at a time, but not always the same one.
            check_same_thread=False,
        )
    if scheme in ("postgres", "postgresql"):
        url = url.replace(scheme + "://", "postgresql+pool://", 1)
        return connect(url, max_connections=32, stale_timeout=300, timeout=10)
    return connect(url)


def is_sqlite() -> bool:
    return db.obj is not None and "sqlite" in type(db.obj).__name__.lower()


def init_app(app: Flask) -> None:
    db.initialize(open_database(app.config["DATABASE_URL"]))

    @app.before_request
    def _connect():
        db.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        if not db.is_closed():
            db.close()

    app.cli.add_command(init_db_command)


def create_schema() -> None:
    """Create the current schema and record its version, or upgrade an older one (idempotent)."""
    from ideaboard.migrations import upgrade

    with db.connection_context():
        upgrade()


@click.command("init-db")
def init_db_command() -> None:
    """Create the tables (or upgrade them) and the default categories."""
    from ideaboard.demo import ensure_default_categories

    create_schema()
    ensure_default_categories()
    click.echo("Database ready.")
