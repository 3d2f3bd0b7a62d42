"""The database's schema: is it the one this code was written for, and bringing it there."""

from dataclasses import dataclass

from ideaboard.board.listening_rebuild import rebuild as rebuild_listening
from ideaboard.board.version import bump_version
from ideaboard.db import db, ping
from ideaboard.migrations import LATEST, schema_version, upgrade


@dataclass(frozen=True)
class SchemaState:
    version: int
    expected: int = LATEST

    @property
    def is_behind(self) -> bool:
        return self.version < self.expected

    @property
    def is_ahead(self) -> bool:
        return self.version > self.expected


def schema_state() -> SchemaState:
    """The connected database's schema version; raises a peewee error if it does not answer."""
    ping()
    return SchemaState(schema_version())


def upgrade_schema() -> tuple[int, int]:
    """Create or upgrade the schema on a connection of its own; the versions before and after.

    Raises migrations.SchemaError when the database cannot be brought to this code's schema.
    """
    with db.connection_context():
        before, after = upgrade()
        if before != after:
            # Counts that a version adds are computed by the rules once the schema is complete
            # (the data layer cannot call them): version 9's for /listening.
            rebuild_listening()
        if before not in (0, after):
            # Pages rendered from the old schema's data (v3 rescored every idea) go.
            bump_version()
    return before, after
