"""Rate-limit counts in a small SQLite file that every worker process on one machine shares.

Registered with the `limits` library (which flask-limiter counts with) as the storage scheme
`sqlite:///PATH`, PATH written as in IDEABOARD_DATABASE_URL (`sqlite:////abs/file` or
`sqlite:///relative/file`). Each gunicorn worker opens the same file, so one count holds
however many workers there are; several machines need a shared server instead (`redis://`).

Exact under concurrency: each check-and-count is one short `BEGIN IMMEDIATE` transaction, so
one process at a time holds the write lock (the others wait, up to the busy timeout) and the
count it reads cannot change before it commits. Bounded in size: a key keeps at most its limit
of hits, older ones go as the key is used, and a sweep at most once a minute per process
deletes whatever has expired under keys nobody uses any more. The file holds nothing else:
deleting it (with the server stopped) only starts every count from zero.
"""

import os
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager

from limits.errors import ConfigurationError
from limits.storage import MovingWindowSupport, Storage

SCHEME = "sqlite"
BUSY_TIMEOUT_SECONDS = 5.0
SWEEP_SECONDS = 60.0

# One row per hit of a moving window (amount: its cost), and one per fixed-window counter.
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS ratelimit_hit (key TEXT NOT NULL, at REAL NOT NULL,"
    " amount INTEGER NOT NULL, expires REAL NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ratelimit_hit_key_at ON ratelimit_hit (key, at)",
    "CREATE INDEX IF NOT EXISTS ratelimit_hit_expires ON ratelimit_hit (expires)",
    "CREATE TABLE IF NOT EXISTS ratelimit_counter (key TEXT PRIMARY KEY,"
    " value INTEGER NOT NULL, expires REAL NOT NULL) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS ratelimit_counter_expires ON ratelimit_counter (expires)",
)
PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    # Counts need no durability against power loss, only a file that is never corrupt.
    "PRAGMA synchronous = NORMAL",
    # Keep the write-ahead log from staying at its largest size after a burst.
    "PRAGMA journal_size_limit = 4194304",
)
WINDOW_SQL = "SELECT MIN(at), COALESCE(SUM(amount), 0) FROM ratelimit_hit WHERE key = ? AND at > ?"
ADD_HIT_SQL = "INSERT INTO ratelimit_hit (key, at, amount, expires) VALUES (?, ?, ?, ?)"
DROP_OLD_HITS_SQL = "DELETE FROM ratelimit_hit WHERE key = ? AND at <= ?"
DROP_OLD_COUNTER_SQL = "DELETE FROM ratelimit_counter WHERE key = ? AND expires <= ?"
ADD_TO_COUNTER_SQL = (
    "INSERT INTO ratelimit_counter (key, value, expires) VALUES (?, ?, ?)"
    " ON CONFLICT (key) DO UPDATE SET value = value + excluded.value RETURNING value"
)
COUNTER_SQL = "SELECT value, expires FROM ratelimit_counter WHERE key = ? AND expires > ?"
SWEEP_SQL = (
    "DELETE FROM ratelimit_hit WHERE expires <= ?",
    "DELETE FROM ratelimit_counter WHERE expires <= ?",
)
KEYS_SQL = "SELECT key FROM ratelimit_hit UNION SELECT key FROM ratelimit_counter"
CLEAR_KEY_SQL = (
    "DELETE FROM ratelimit_hit WHERE key = ?",
    "DELETE FROM ratelimit_counter WHERE key = ?",
)
CLEAR_ALL_SQL = ("DELETE FROM ratelimit_hit", "DELETE FROM ratelimit_counter")


def path_of(uri: str) -> str:
    """The file a sqlite:/// URI names: one slash after the scheme's three makes it absolute."""
    parsed = urllib.parse.urlparse(uri)
    path = parsed.path[1:]
    if parsed.scheme != SCHEME or parsed.netloc or not path or path == ":memory:":
        raise ConfigurationError(f"not a SQLite file for rate limits: {uri!r}")
    return path


class SQLiteStorage(Storage, MovingWindowSupport):
    """Fixed- and moving-window counts in one SQLite file, shared by every process using it."""

    STORAGE_SCHEME = [SCHEME]
    # What "now" is; a test may put a clock of its own on an instance.
    clock = staticmethod(time.time)

    def __init__(
        self,
        uri: str,
        wrap_exceptions: bool = False,
        timeout: float = BUSY_TIMEOUT_SECONDS,
        sweep_seconds: float = SWEEP_SECONDS,
        **options: float | str | bool,
    ) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = path_of(uri)
        self.timeout = float(timeout)
        self.sweep_seconds = float(sweep_seconds)
        self._swept = 0.0
        # One connection per thread (gthread workers) and per process: nothing is opened
        # before gunicorn forks, and a connection carried across a fork is never used again.
        self._local = threading.local()
        self._inherited: list[sqlite3.Connection] = []

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            if getattr(local, "connection", None) is not None:
                # Closing it here could disturb the parent process that still uses it.
                self._inherited.append(local.connection)
            local.connection = self._connect()
            local.pid = os.getpid()
        return local.connection

    def _connect(self) -> sqlite3.Connection:
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        deadline = time.monotonic() + self.timeout
        while True:
            # Autocommit mode: the transactions below are begun and ended by hand.
            connection = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
            try:
                for pragma in PRAGMAS:
                    connection.execute(pragma)
                connection.execute("BEGIN IMMEDIATE")
                for statement in SCHEMA:
                    connection.execute(statement)
                connection.execute("COMMIT")
                return connection
            except sqlite3.OperationalError as error:
                connection.close()
                # Workers creating the file at the same moment: while it is still in rollback
                # mode, SQLite answers "locked" at once (no busy wait) where waiting could
                # deadlock, e.g. two of them switching it to WAL. Rare, and only on creation.
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    @contextmanager
    def _write(self) -> Iterator[tuple[sqlite3.Connection, float]]:
        """A write transaction, and the time read once the write lock is held."""
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            now = self.clock()
            yield connection, now
            if now - self._swept >= self.sweep_seconds:
                for statement in SWEEP_SQL:
                    connection.execute(statement, (now,))
                self._swept = now
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise

    # Moving window: the strategy the app uses.

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        """Count a hit unless it would make more than `limit` within the last `expiry` s."""
        if amount > limit:
            return False
        with self._write() as (connection, now):
            _, count = connection.execute(WINDOW_SQL, (key, now - expiry)).fetchone()
            if count + amount > limit:
                return False
            connection.execute(ADD_HIT_SQL, (key, now, amount, now + expiry))
            connection.execute(DROP_OLD_HITS_SQL, (key, now - expiry))
            return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        """When the oldest hit still in the window was counted, and how many the window holds."""
        now = self.clock()
        oldest, count = self._connection().execute(WINDOW_SQL, (key, now - expiry)).fetchone()
        return (oldest if count else now), count

    # Fixed window: what the `limits` Storage interface asks of every storage.

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add to the key's counter (a new one lives `expiry` s from now); its new value."""
        with self._write() as (connection, now):
            connection.execute(DROP_OLD_COUNTER_SQL, (key, now))
            # fetchall: the statement must be finished before the transaction can commit.
            [(value,)] = connection.execute(
                ADD_TO_COUNTER_SQL, (key, amount, now + expiry)
            ).fetchall()
        return value

    def get(self, key: str) -> int:
        row = self._connection().execute(COUNTER_SQL, (key, self.clock())).fetchone()
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        now = self.clock()
        row = self._connection().execute(COUNTER_SQL, (key, now)).fetchone()
        return row[1] if row else now

    # Health and clean-up.

    def check(self) -> bool:
        try:
            self._connection().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def clear(self, key: str) -> None:
        with self._write() as (connection, _):
            for statement in CLEAR_KEY_SQL:
                connection.execute(statement, (key,))

    def reset(self) -> int | None:
        """Forget every count; how many keys there were."""
        with self._write() as (connection, _):
            keys = len(connection.execute(KEYS_SQL).fetchall())
            for statement in CLEAR_ALL_SQL:
                connection.execute(statement)
        return keys

    def entries(self) -> int:
        """Rows in the file, expired or not: what the expiry keeps from growing."""
        connection = self._connection()
        hits = connection.execute("SELECT COUNT(*) FROM ratelimit_hit").fetchone()[0]
        counters = connection.execute("SELECT COUNT(*) FROM ratelimit_counter").fetchone()[0]
        return hits + counters
