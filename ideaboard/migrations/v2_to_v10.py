"""Versions 2 to 10: logins, counters, hot scores, mail and notifications, listening, feeds."""

from peewee import (
    SQL,
    BooleanField,
    CharField,
    CompositeKey,
    Database,
    DateTimeField,
    DoubleField,
    ForeignKeyField,
    IntegerField,
    TextField,
)
from playhouse.migrate import SchemaMigrator
from playhouse.schema_diff import diff_models

from ideaboard.db import is_sqlite
from ideaboard.migrations.store import V1_TABLES, create_version_store
from ideaboard.models import ALL_MODELS, hot_sql


def v2(migrator: SchemaMigrator, database: Database) -> None:
    """Server-side logins: the usersession table (the cookie holds a key, the row its hash)."""

    class User(database.Model):
        class Meta:
            table_name = "user"

    class UserSession(database.Model):
        key_hash = CharField(max_length=64, unique=True)
        user = ForeignKeyField(User, on_delete="CASCADE")
        created_at = DateTimeField()
        last_seen_at = DateTimeField()

    database.create_tables([UserSession], safe=True)


def v3(migrator: SchemaMigrator, database: Database) -> None:
    """idea.hot in double precision: PostgreSQL's REAL kept ~7 digits, so close scores tied."""
    # SQLite's REAL is already a double; only PostgreSQL's column changes.
    if not is_sqlite(database):
        # The stored scores lost their last digits in REAL: computed again in the same rewrite.
        hot = hot_sql("GREATEST(vote_count, 0)", "GREATEST(comment_count, 0)", "created_at")
        migrator.migrate(migrator.alter_column_type("idea", "hot", DoubleField(), cast=hot))


def v4(migrator: SchemaMigrator, database: Database) -> None:
    """Indexes for the filtered sorts: make the indexes exactly those the models declare."""
    # Reads today's models, unlike other versions: an index on a column that a later version
    # adds belongs in that later version. A superseded index (a prefix of a new one) goes, as
    # it would only slow down writes; the new ones are created IF NOT EXISTS.
    for index in diff_models(database, ALL_MODELS).drop_indexes:
        migrator.migrate(migrator.drop_index(index.table, index.name))
    for model in ALL_MODELS:
        table = model._meta.table_name
        if table not in V1_TABLES:
            continue
        # Never an index over a column that does not exist yet: SQLite would read the quoted
        # name as a string and index that constant.
        present = {column.name for column in database.get_columns(table)}
        for index in model._meta.fields_to_index():
            if {field.column_name for field in index._expressions} <= present:
                database.execute(model._schema._create_index(index, safe=True))


def v5(migrator: SchemaMigrator, database: Database) -> None:
    """The board version that tells every worker its cached pages are out of date."""
    create_version_store(database)


def v6(migrator: SchemaMigrator, database: Database) -> None:
    """Mail: the outbox table, and whether each account's email address is verified."""

    class User(database.Model):
        class Meta:
            table_name = "user"

    class OutgoingMail(database.Model):
        message_id = CharField(max_length=200, unique=True)
        kind = CharField(max_length=30)
        user = ForeignKeyField(User, null=True, on_delete="SET NULL")
        to_address = CharField(max_length=254)
        subject = CharField(max_length=200)
        text_body = TextField()
        html_body = TextField()
        unsubscribe_url = TextField(null=True)
        status = CharField(max_length=10)
        attempts = IntegerField()
        next_attempt_at = DateTimeField()
        last_error = TextField()
        created_at = DateTimeField()
        sent_at = DateTimeField(null=True)

        class Meta:
            table_name = "outgoingmail"
            indexes = ((("status", "next_attempt_at"), False),)

    database.create_tables([OutgoingMail], safe=True)
    migrator.migrate(migrator.add_column("user", "email_verified_at", DateTimeField(null=True)))


def v7(migrator: SchemaMigrator, database: Database) -> None:
    """Closing the loop: follows, events and notifications, the changelog, profiles and each
    person's choices of what to follow and what to get by mail."""

    def table(name: str):
        class Frozen(database.Model):
            class Meta:
                table_name = name

        return Frozen

    # Names unlike the fields': a class body cannot see a function's local of its own field's name.
    user_table, idea_table = table("user"), table("idea")
    status_change_table, comment_table = table("statuschange"), table("comment")

    class Follow(database.Model):
        user = ForeignKeyField(user_table, on_delete="CASCADE")
        idea = ForeignKeyField(idea_table, on_delete="CASCADE")
        active = BooleanField()
        reason = CharField(max_length=10)
        created_at = DateTimeField()

        class Meta:
            table_name = "follow"
            indexes = ((("idea", "user"), True), (("user", "created_at"), False))

    class ChangelogPost(database.Model):
        author = ForeignKeyField(user_table, on_delete="CASCADE")
        title = CharField(max_length=120)
        body = TextField()
        created_at = DateTimeField()

        class Meta:
            table_name = "changelogpost"
            indexes = ((("created_at", "id"), False),)

    class ChangelogIdea(database.Model):
        post = ForeignKeyField(ChangelogPost, on_delete="CASCADE")
        idea = ForeignKeyField(idea_table, on_delete="CASCADE")

        class Meta:
            table_name = "changelogidea"
            indexes = ((("post", "idea"), True), (("idea",), False))

    class Event(database.Model):
        kind = CharField(max_length=20)
        idea = ForeignKeyField(idea_table, on_delete="CASCADE")
        actor = ForeignKeyField(user_table, null=True, on_delete="SET NULL")
        status_change = ForeignKeyField(status_change_table, null=True, on_delete="CASCADE")
        comment = ForeignKeyField(comment_table, null=True, on_delete="CASCADE")
        changelog_post = ForeignKeyField(ChangelogPost, null=True, on_delete="CASCADE")
        created_at = DateTimeField()
        done_at = DateTimeField(null=True)

        class Meta:
            table_name = "event"
            indexes = ((("done_at", "id"), False),)

    class Notification(database.Model):
        user = ForeignKeyField(user_table, on_delete="CASCADE")
        event = ForeignKeyField(Event, on_delete="CASCADE")
        created_at = DateTimeField()
        read_at = DateTimeField(null=True)
        mailed_at = DateTimeField(null=True)

        class Meta:
            table_name = "notification"
            indexes = (
                (("event", "user"), True),
                (("user", "id"), False),
                (("user", "read_at"), False),
            )

    database.create_tables([Follow, ChangelogPost, ChangelogIdea, Event, Notification], safe=True)
    columns = {
        "bio": TextField(default=""),
        "deleted_at": DateTimeField(null=True),
        "follow_own": BooleanField(default=True),
        "follow_voted": BooleanField(default=True),
        "follow_commented": BooleanField(default=True),
        "mail_status": CharField(max_length=10, default="instant"),
        "mail_answers": CharField(max_length=10, default="instant"),
        "mail_comments": CharField(max_length=10, default="daily"),
        "mail_changelog": CharField(max_length=10, default="instant"),
        "last_digest_at": DateTimeField(null=True),
        "unread_notifications": IntegerField(default=0),
        "feed_token": CharField(max_length=64, null=True),
    }
    migrator.migrate(*(migrator.add_column("user", name, f) for name, f in columns.items()))
    migrator.migrate(migrator.add_index("user", ("feed_token",), unique=True))


def v8(migrator: SchemaMigrator, database: Database) -> None:
    """idea.is_open: launched and declined ideas leave the default listing and take no votes;
    with an index per sort among open (or closed) ideas."""
    # NOT NULL with a database default: one quick ALTER on both engines (PostgreSQL 11+ and
    # SQLite store the default instead of rewriting a million rows); then only the closed
    # ideas are written. The closed statuses are frozen here as they were in version 8.
    is_open = BooleanField(default=True, constraints=[SQL("DEFAULT TRUE")])
    migrator.migrate(migrator.add_column("idea", "is_open", is_open, allow_not_null=True))
    p = database.param
    database.execute_sql(
        f"UPDATE idea SET is_open = {p} WHERE status IN ({p}, {p})", [False, "launched", "declined"]
    )
    migrator.migrate(
        *(
            migrator.add_index("idea", ("is_open", column, "id"))
            for column in ("hot", "vote_count", "created_at", "comment_count")
        )
    )


def v9(migrator: SchemaMigrator, database: Database) -> None:
    """How we listen: when staff first answered each idea, and the counts /listening reads.

    Created empty here; board/schema.upgrade_schema then fills them, and first_response_at,
    from the rows with board/listening_rebuild.rebuild (the data layer cannot call the rules)."""

    class User(database.Model):
        class Meta:
            table_name = "user"

    class ResponseTime(database.Model):
        bucket = IntegerField(primary_key=True)
        ideas = IntegerField()

    class PostingDay(database.Model):
        day = IntegerField(primary_key=True)
        posted = IntegerField()
        answered = IntegerField()
        within_7_days = IntegerField()
        within_30_days = IntegerField()

    class QuarterCount(database.Model):
        quarter = IntegerField()
        category_id = IntegerField()
        accepted = IntegerField()
        launched = IntegerField()

        class Meta:
            primary_key = CompositeKey("quarter", "category_id")

    class StaffAnswers(database.Model):
        user = ForeignKeyField(User, primary_key=True, on_delete="CASCADE")
        answers = IntegerField()

    class ListeningState(database.Model):
        id = IntegerField(primary_key=True)
        closed_before = IntegerField()
        last_idea_id = IntegerField()

    tables = [ResponseTime, PostingDay, QuarterCount, StaffAnswers, ListeningState]
    database.create_tables(tables, safe=True)
    migrator.migrate(migrator.add_column("idea", "first_response_at", DateTimeField(null=True)))


def v10(migrator: SchemaMigrator, database: Database) -> None:
    """Feeds per status and per category read statuschange in order: its category, copied
    from the idea, and an index for each."""

    class Category(database.Model):
        class Meta:
            table_name = "category"

    category = ForeignKeyField(
        Category, field=Category.id, null=True, on_delete="SET NULL", index=False
    )
    # Safe to run again (as every version should be): only what is missing is added.
    if "category_id" not in {c.name for c in database.get_columns("statuschange")}:
        migrator.migrate(migrator.add_column("statuschange", "category_id", category))
    database.execute_sql(
        "UPDATE statuschange SET category_id ="
        " (SELECT category_id FROM idea WHERE idea.id = statuschange.idea_id)"
    )
    # IF NOT EXISTS: v4 already made the first on a board upgraded from version 1 or 2, as it
    # creates the indexes today's models declare over columns that existed then.
    for columns in (("to_status", "created_at", "id"), ("category_id", "created_at", "id")):
        name = "statuschange_" + "_".join(columns)
        database.execute_sql(
            f"CREATE INDEX IF NOT EXISTS {name} ON statuschange ({', '.join(columns)})"
        )
