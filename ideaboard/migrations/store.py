"""What every version may need: the first release's tables and the board version's store."""

from peewee import Database

from ideaboard.db import is_sqlite

# The tables of the first release (version 1).
V1_TABLES = {"user", "category", "idea", "vote", "comment", "statuschange"}
# Where the board version lives (ideaboard/board/version.py reads and bumps it).
VERSION_TABLE = "board_version"
VERSION_SEQUENCE = "board_version"


def create_version_store(database: Database) -> None:
    """The board version: a one-row table on SQLite, a sequence on PostgreSQL."""
    if is_sqlite(database):
        database.execute_sql(
            f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} "
            "(id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)"
        )
        database.execute_sql(f"INSERT OR IGNORE INTO {VERSION_TABLE} (id, version) VALUES (1, 1)")
    else:
        # nextval() takes no row lock, so concurrent writers never queue behind each other.
        database.execute_sql(f"CREATE SEQUENCE IF NOT EXISTS {VERSION_SEQUENCE}")
