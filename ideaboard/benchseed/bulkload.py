"""Bulk loading for bench-seed: the drivers' fast paths (SQLite executemany, PostgreSQL COPY).

Rows go in in one transaction, with secondary indexes (and on PostgreSQL foreign keys) dropped
during the load and rebuilt once at the end: a million ideas and ten million votes take
minutes, not hours.
"""

import io
import time
from collections.abc import Callable, Iterable, Iterator
from itertools import islice

from ideaboard.db import db

# Rows handed to the driver at a time: big enough to be fast, small enough to stay in memory.
CHUNK_ROWS = 50_000


def _chunks(rows: Iterable[tuple]) -> Iterator[list[tuple]]:
    rows = iter(rows)
    while chunk := list(islice(rows, CHUNK_ROWS)):
        yield chunk


class SqliteLoader:
    """executemany in one transaction, no journal or fsync, indexes built once at the end."""

    def __init__(self, tables: list[str]):
        self.conn = db.connection()
        self.tables = tables
        self.indexes: list[str] = []

    def begin(self) -> None:
        for pragma in (
            "foreign_keys = OFF",
            "synchronous = OFF",
            # Out of WAL while loading: the rows would otherwise be written twice.
            "journal_mode = MEMORY",
            "cache_size = -1000000",
            "temp_store = MEMORY",
        ):
            self.conn.execute(f"PRAGMA {pragma}")
        self.conn.execute("BEGIN IMMEDIATE")
        marks = ", ".join("?" for _ in self.tables)
        for name, sql in self.conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            f" AND tbl_name IN ({marks})",
            self.tables,
        ).fetchall():
            self.indexes.append(sql)
            self.conn.execute(f'DROP INDEX "{name}"')

    def load(self, table: str, columns: list[str], rows: Iterable[tuple]) -> int:
        names = ", ".join(f'"{c}"' for c in columns)
        sql = f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" for _ in columns)})'
        count = 0
        for chunk in _chunks(rows):
            self.conn.executemany(sql, chunk)
            count += len(chunk)
        return count

    def finish(self, echo: Callable[[str], None]) -> None:
        started = time.perf_counter()
        for sql in self.indexes:
            self.conn.execute(sql)
        echo(f"  indexes: {len(self.indexes)} rebuilt in {time.perf_counter() - started:.1f} s")
        self.conn.execute("COMMIT")
        started = time.perf_counter()
        # Statistics for the planner, as `PRAGMA optimize` on a long-running board would have.
        self.conn.execute("ANALYZE")
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA foreign_keys = ON")
        echo(f"  analyze: {time.perf_counter() - started:.1f} s")

    def abort(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
        self.conn.execute("PRAGMA journal_mode = WAL")


# COPY's text format: backslash escapes for the characters that separate rows and columns.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_value(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    return str(value)


class PostgresLoader:
    """COPY in one transaction; secondary indexes and foreign keys rebuilt once at the end."""

    def __init__(self, tables: list[str]):
        self.conn = db.connection()
        self.tables = tables
        self.indexes: list[str] = []
        self.foreign_keys: list[tuple[str, str, str]] = []

    def _query(self, sql: str, params=()) -> list[tuple]:
        with self.conn.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def begin(self) -> None:
        self._query("BEGIN")
        self._query("SET LOCAL synchronous_commit = off")
        self._query("SET LOCAL maintenance_work_mem = '512MB'")
        relations = [f'"{t}"' for t in self.tables]
        self.foreign_keys = self._query(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
            " FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])",
            (relations,),
        )
        for table, name, _ in self.foreign_keys:
            self._query(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        # Indexes that back a constraint (the primary keys) stay; the others are rebuilt.
        for name, definition in self._query(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
            " WHERE i.indrelid = ANY(%s::regclass[]) AND NOT EXISTS"
            " (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            (relations,),
        ):
            self.indexes.append(definition)
            self._query(f"DROP INDEX {name}")

    def load(self, table: str, columns: list[str], rows: Iterable[tuple]) -> int:
        names = ", ".join(f'"{c}"' for c in columns)
        sql = f'COPY "{table}" ({names}) FROM STDIN'
        count = 0
        with self.conn.cursor() as cursor:
            for chunk in _chunks(rows):
                text = "".join("\t".join([_copy_value(v) for v in row]) + "\n" for row in chunk)
                cursor.copy_expert(sql, io.StringIO(text))
                count += len(chunk)
        return count

    def finish(self, echo: Callable[[str], None]) -> None:
        started = time.perf_counter()
        for definition in self.indexes:
            self._query(definition)
        for table, name, definition in self.foreign_keys:
            self._query(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for table in self.tables:
            self._query(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'),"
                f' COALESCE(MAX(id), 0) + 1, false) FROM "{table}"'
            )
        echo(
            f"  indexes: {len(self.indexes)}, foreign keys: {len(self.foreign_keys)}"
            f" rebuilt in {time.perf_counter() - started:.1f} s"
        )
        self._query("COMMIT")
        started = time.perf_counter()
        # What autovacuum would do on its own later: statistics, and a visibility map so
        # index-only scans work from the first request.
        for table in self.tables:
            self._query(f'VACUUM ANALYZE "{table}"')
        echo(f"  vacuum analyze: {time.perf_counter() - started:.1f} s")

    def abort(self) -> None:
        self._query("ROLLBACK")
