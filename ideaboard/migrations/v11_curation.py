"""Version 11: curation (merges, flags, hiding, suspension, staff notes, the audit log)."""

from peewee import (
    SQL,
    BooleanField,
    CharField,
    Database,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)
from playhouse.migrate import SchemaMigrator

from ideaboard.db import is_sqlite


def _add_missing_columns(migrator: SchemaMigrator, database: Database, table: str, **fields):
    present = {c.name for c in database.get_columns(table)}
    missing = [
        migrator.add_column(table, name, field)
        for name, field in fields.items()
        if (field.column_name or name) not in present
    ]
    migrator.migrate(*missing)


def v11(migrator: SchemaMigrator, database: Database) -> None:
    """Curation: merges, flags, hiding, suspension, staff notes, votes recorded on behalf,
    edited comments, ordered and archivable categories unique whatever their capitals, and
    the append-only audit log."""

    class User(database.Model):
        class Meta:
            table_name = "user"

    class Idea(database.Model):
        class Meta:
            table_name = "idea"

    class Comment(database.Model):
        class Meta:
            table_name = "comment"

    def reference(model, **kwargs):
        return ForeignKeyField(model, field=model.id, null=True, on_delete="SET NULL", **kwargs)

    _add_missing_columns(migrator, database, "user", suspended_at=DateTimeField(null=True))
    _add_missing_columns(
        migrator,
        database,
        "category",
        position=IntegerField(default=0, constraints=[SQL("DEFAULT 0")]),
        archived_at=DateTimeField(null=True),
    )
    _add_missing_columns(
        migrator,
        database,
        "idea",
        hidden_at=DateTimeField(null=True),
        merged_into_id=reference(Idea, column_name="merged_into_id", index=False),
        pending_review=BooleanField(default=False, constraints=[SQL("DEFAULT FALSE")]),
    )
    database.execute_sql(
        "CREATE INDEX IF NOT EXISTS idea_merged_into_id ON idea (merged_into_id)"
        " WHERE merged_into_id IS NOT NULL"
    )
    # The moderation queue's lists: first posts awaiting review, and hidden ideas.
    database.execute_sql(
        "CREATE INDEX IF NOT EXISTS idea_pending_review ON idea (created_at, id, pending_review)"
        " WHERE pending_review"
    )
    database.execute_sql(
        "CREATE INDEX IF NOT EXISTS idea_hidden_at ON idea (hidden_at, id)"
        " WHERE hidden_at IS NOT NULL"
    )
    _add_missing_columns(
        migrator,
        database,
        "vote",
        recorded_by_id=reference(User, column_name="recorded_by_id", index=False),
        merged_from_id=reference(Idea, column_name="merged_from_id", index=False),
    )
    database.execute_sql(
        "CREATE INDEX IF NOT EXISTS vote_recorded_idea_id ON vote (idea_id, recorded_by_id)"
        " WHERE recorded_by_id IS NOT NULL"
    )
    _add_missing_columns(
        migrator,
        database,
        "comment",
        edited_at=DateTimeField(null=True),
        hidden_at=DateTimeField(null=True),
    )
    database.execute_sql(
        "CREATE INDEX IF NOT EXISTS comment_hidden_at ON comment (hidden_at, id)"
        " WHERE hidden_at IS NOT NULL"
    )
    _add_missing_columns(
        migrator,
        database,
        "follow",
        merged_from_id=reference(Idea, column_name="merged_from_id", index=False),
    )

    class Merge(database.Model):
        duplicate = ForeignKeyField(Idea, on_delete="CASCADE")
        original = ForeignKeyField(Idea, on_delete="CASCADE")
        actor = ForeignKeyField(User, null=True, on_delete="SET NULL")
        created_at = DateTimeField()
        votes_moved = IntegerField()
        followers_moved = IntegerField()
        undone_at = DateTimeField(null=True)
        undone_by = ForeignKeyField(User, null=True, on_delete="SET NULL")

    class Flag(database.Model):
        reporter = ForeignKeyField(User, on_delete="CASCADE")
        idea = ForeignKeyField(Idea, on_delete="CASCADE")
        comment = ForeignKeyField(Comment, null=True, on_delete="CASCADE")
        reason = TextField()
        created_at = DateTimeField()
        resolved_at = DateTimeField(null=True)
        resolved_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        resolution = CharField(max_length=10, null=True)

        class Meta:
            indexes = ((("resolved_at", "id"), False),)

    class StaffNote(database.Model):
        idea = ForeignKeyField(Idea, on_delete="CASCADE", index=False)
        author = ForeignKeyField(User, null=True, on_delete="SET NULL")
        body = TextField()
        created_at = DateTimeField()

        class Meta:
            table_name = "staffnote"
            indexes = ((("idea", "created_at"), False),)

    class AuditEntry(database.Model):
        created_at = DateTimeField()
        actor_id = IntegerField(null=True)
        actor_name = CharField(max_length=60)
        action = CharField(max_length=30)
        idea_id = IntegerField(null=True)
        user_id = IntegerField(null=True)
        category_id = IntegerField(null=True)
        summary = TextField()
        detail = TextField()

        class Meta:
            table_name = "auditentry"
            indexes = (
                (("action", "id"), False),
                (("actor_id", "id"), False),
                (("idea_id", "id"), False),
                (("user_id", "id"), False),
            )

    database.create_tables([Merge, Flag, StaffNote, AuditEntry], safe=True)
    _add_missing_columns(
        migrator,
        database,
        "event",
        merge_id=ForeignKeyField(Merge, field=Merge.id, null=True, on_delete="CASCADE"),
    )
    # "Loyalty" and "loyalty" may both exist: the later one is renamed before the index
    # that forbids it is made.
    rows = database.execute_sql("SELECT id, name FROM category ORDER BY id").fetchall()
    taken: set[str] = set()
    p = database.param
    for category_id, name in rows:
        unique, n = name, 2
        while unique.lower() in taken:
            unique, n = f"{name[:54]} ({n})", n + 1
        taken.add(unique.lower())
        if unique != name:
            database.execute_sql(
                f"UPDATE category SET name = {p} WHERE id = {p}", [unique, category_id]
            )
    database.execute_sql(
        "CREATE UNIQUE INDEX IF NOT EXISTS category_name_lower ON category (lower(name))"
    )
    create_extras(database)


def create_extras(database: Database) -> None:
    """What the models cannot declare: the triggers that keep the audit log append-only.
    Safe to run again."""
    refusal = "the audit log is append-only"
    if is_sqlite(database):
        for event in ("UPDATE", "DELETE"):
            database.execute_sql(
                f"CREATE TRIGGER IF NOT EXISTS auditentry_no_{event.lower()} BEFORE {event}"
                f" ON auditentry BEGIN SELECT RAISE(ABORT, '{refusal}'); END"
            )
        return
    database.execute_sql(
        "CREATE OR REPLACE FUNCTION auditentry_refuse() RETURNS trigger LANGUAGE plpgsql AS"
        f" $$ BEGIN RAISE EXCEPTION '{refusal}'; END $$"
    )
    database.execute_sql("DROP TRIGGER IF EXISTS auditentry_append_only ON auditentry")
    database.execute_sql(
        "CREATE TRIGGER auditentry_append_only BEFORE UPDATE OR DELETE ON auditentry"
        " FOR EACH ROW EXECUTE FUNCTION auditentry_refuse()"
    )
