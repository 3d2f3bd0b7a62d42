"""The database handle shared by every model, which engine it is, and opening and closing it."""

from urllib.parse import urlparse

from peewee import Database, DatabaseProxy, Model, SqliteDatabase
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


def open_database(url: str) -> Database:
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


def use_database(url: str) -> None:
    """Point every model at the database behind this URL."""
    db.initialize(open_database(url))


def is_sqlite(database: Database | None = None) -> bool:
    """The one engine check: SQLite, or else PostgreSQL (the pooled classes subclass these)."""
    return isinstance(database or db.obj, SqliteDatabase)


def connect_if_closed() -> None:
    db.connect(reuse_if_open=True)


def close_if_open() -> None:
    if not db.is_closed():
        db.close()


def ping() -> None:
    """Raise unless the database answers."""
    db.execute_sql("SELECT 1")


def roll_back_unfinished() -> None:
    """Undo whatever a failed request had started, so its connection goes back clean."""
    if not db.is_closed() and db.in_transaction():
        db.rollback()
