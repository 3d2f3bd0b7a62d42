"""A consistent copy of a live SQLite database, taken while others keep writing."""

import os
import sqlite3
import tempfile
from collections.abc import Callable

# SQLite pages copied per backup step (4 MB at the default 4 KB page size).
BACKUP_STEP_PAGES = 1024


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
