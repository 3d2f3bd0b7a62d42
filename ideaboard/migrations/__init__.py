"""Schema versions: what changed after the first release, and bringing a database up to date.

The history lives in playhouse.migrations' table (schema_migration), one row per applied
version. Version 1 is the first released schema (commit a69b887): user, category, idea, vote,
comment and statuschange with their indexes, and no history table; a board from then is
adopted at version 1. Each later version is a plain function in this package, run once, in
order, in a transaction of its own. Add one by writing `def vN(migrator, database)` in a module
here and listing it in VERSIONS; describe new tables with frozen copies, not the models, which
keep changing. Every version must be safe to run twice (tests/test_health.py does).
"""

from types import SimpleNamespace

from playhouse.migrations import Migration, Runner

from ideaboard.db import db
from ideaboard.migrations.store import (
    V1_TABLES,
    VERSION_SEQUENCE,
    VERSION_TABLE,
    create_version_store,
)
from ideaboard.migrations.v2_to_v10 import v2, v3, v4, v5, v6, v7, v8, v9, v10
from ideaboard.migrations.v11_curation import create_extras, v11
from ideaboard.migrations.v12_search import create_search_index, v12
from ideaboard.migrations.v13_webhooks import v13
from ideaboard.migrations.v14_access import v14
from ideaboard.models import ALL_MODELS

__all__ = ["VERSION_SEQUENCE", "VERSION_TABLE", "create_version_store"]


class SchemaError(Exception):
    """The database cannot be brought to this code's schema; the message says why."""


VERSIONS = {
    2: v2,
    3: v3,
    4: v4,
    5: v5,
    6: v6,
    7: v7,
    8: v8,
    9: v9,
    10: v10,
    11: v11,
    12: v12,
    13: v13,
    14: v14,
}
LATEST = max(VERSIONS)


class _Version(Migration):
    __slots__ = ()

    def load(self) -> SimpleNamespace:
        return SimpleNamespace(up=VERSIONS[self.idx])


class _Runner(Runner):
    """playhouse.migrations' runner, reading the functions above instead of script files."""

    def migrations(self) -> list[Migration]:
        return [_Version(n, f"{n:04d}", __name__, None) for n in sorted(VERSIONS)]


def _runner() -> _Runner:
    return _Runner(db.obj)


def schema_version() -> int:
    """The version the connected database is at: 0 when it has no IdeaBoard tables."""
    applied = _runner().applied()
    if applied:
        return max(int(name) for name in applied)
    return 1 if set(db.get_tables()) >= V1_TABLES else 0


def upgrade() -> tuple[int, int]:
    """Create the current schema on an empty database, or bring an older one up to LATEST.

    Returns the version before and after; safe to run again at any time. Pages rendered from
    an older schema's data are stale afterwards: the caller bumps the board version.
    """
    database, runner = db.obj, _runner()
    before = schema_version()
    if before > LATEST:
        raise SchemaError(
            f"The database is at schema version {before}, newer than this code ({LATEST}): "
            "deploy the newer code instead."
        )
    if before == 0:
        if set(database.get_tables()) - {runner.History._meta.table_name}:
            raise SchemaError(
                "This database has tables, but not those of an IdeaBoard board: "
                "point IDEABOARD_DATABASE_URL at an IdeaBoard database or an empty one."
            )
        # Tables and the stamp together: a crash cannot leave a schema without its version.
        with database.atomic():
            database.create_tables(ALL_MODELS)
            create_extras(database)
            create_search_index(database)
            create_version_store(database)
            runner.fake()
        return 0, LATEST
    if not runner.applied():
        # A board from the first release, from before versions were recorded.
        with database.atomic():
            runner.History.create_table()
            runner.History.create(name="0001")
    runner.up()
    return before, schema_version()
