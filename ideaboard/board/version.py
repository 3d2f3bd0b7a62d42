"""The board version: a number that moves on every committed change anyone can see.

Caches of rendered pages tag what they keep with it; a different number means stale. It lives
in the database, so every worker on every machine sees a write on its next request.
"""

from ideaboard.db import db, is_sqlite
from ideaboard.migrations import VERSION_SEQUENCE, VERSION_TABLE


def current_version() -> int:
    if is_sqlite():
        sql = f"SELECT version FROM {VERSION_TABLE} WHERE id = 1"
    else:
        # A new sequence's first nextval() returns its start value without moving last_value;
        # is_called tells the two states apart.
        sql = f"SELECT last_value + is_called::int FROM {VERSION_SEQUENCE}"
    return db.execute_sql(sql).fetchone()[0]


def bump_version() -> None:
    """Say that public pages changed; call once the change is committed."""
    if is_sqlite():
        db.execute_sql(f"UPDATE {VERSION_TABLE} SET version = version + 1 WHERE id = 1")
    else:
        db.execute_sql(f"SELECT nextval('{VERSION_SEQUENCE}')")
