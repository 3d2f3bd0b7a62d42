"""Schema versions: a first-release board upgraded in place, on SQLite and PostgreSQL."""

import uuid
from datetime import datetime

import pytest
from peewee import (
    SQL,
    BooleanField,
    CharField,
    DateTimeField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)
from playhouse.db_url import connect
from playhouse.schema_diff import diff_models

from ideaboard import create_app, migrations
from ideaboard.db import db, is_sqlite
from ideaboard.migrations import LATEST, schema_version
from ideaboard.models import (
    ALL_MODELS,
    Comment,
    Idea,
    StatusChange,
    User,
    UserSession,
    Vote,
    hot_score,
)
from tests.conftest import Client
from tests.servers import fresh_postgres_database

WHEN = datetime(2025, 3, 1, 12, 0, 0)


@pytest.fixture(params=["sqlite", "postgres"])
def empty_url(request, tmp_path):
    """A database with nothing in it: a new SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'board.db'}"
        return
    with fresh_postgres_database("ideaboard_v1") as url:
        yield url


@pytest.fixture
def make_app(tmp_path, monkeypatch):
    """An app on a given database, leaving its schema alone (unlike the shared app fixture)."""
    monkeypatch.setenv("IDEABOARD_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("IDEABOARD_SECRET_KEY", uuid.uuid4().hex)

    def make(url: str):
        app = create_app({"TESTING": True, "DATABASE_URL": url, "RATELIMIT_ENABLED": False})
        app.test_client_class = Client
        return app

    yield make
    if not db.is_closed():
        db.close()
    if hasattr(db.obj, "close_all"):
        db.obj.close_all()


def first_release_models(database) -> list[type[Model]]:
    """The schema of the first release (commit a69b887), frozen: tables, columns, indexes.

    The class names matter: peewee names the indexes after them.
    """

    class User(Model):
        email = CharField(max_length=254, unique=True)
        name = CharField(max_length=60)
        password_hash = CharField(max_length=255)
        role = CharField(max_length=10, default="member")
        created_at = DateTimeField()

    class Category(Model):
        name = CharField(max_length=60, unique=True)
        created_at = DateTimeField()

    class Idea(Model):
        title = CharField(max_length=120)
        body = TextField(default="")
        author = ForeignKeyField(User, on_delete="CASCADE")
        category = ForeignKeyField(Category, null=True, on_delete="SET NULL")
        status = CharField(max_length=20, default="under_review")
        vote_count = IntegerField(default=0)
        comment_count = IntegerField(default=0)
        hot = FloatField(default=0.0)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        accepted_at = DateTimeField(null=True)

        class Meta:
            indexes = (
                (("hot", "id"), False),
                (("vote_count", "id"), False),
                (("created_at", "id"), False),
                (("comment_count", "id"), False),
                (("status", "hot", "id"), False),
                (("status", "created_at"), False),
                (("category", "hot", "id"), False),
                (("status", "accepted_at"), False),
            )

    class Vote(Model):
        idea = ForeignKeyField(Idea, on_delete="CASCADE")
        user = ForeignKeyField(User, on_delete="CASCADE")
        created_at = DateTimeField()

        class Meta:
            indexes = ((("idea", "user"), True),)

    class Comment(Model):
        idea = ForeignKeyField(Idea, on_delete="CASCADE")
        author = ForeignKeyField(User, on_delete="CASCADE")
        body = TextField()
        is_official = BooleanField(default=False)
        created_at = DateTimeField()

        class Meta:
            indexes = ((("idea", "created_at"), False),)

    class StatusChange(Model):
        idea = ForeignKeyField(Idea, on_delete="CASCADE")
        from_status = CharField(max_length=20)
        to_status = CharField(max_length=20)
        author = ForeignKeyField(User, on_delete="CASCADE")
        note = TextField()
        created_at = DateTimeField()

        class Meta:
            indexes = ((("idea", "created_at"), False),)
            constraints = [SQL("CHECK (from_status <> to_status)")]

    tables = [User, Category, Idea, Vote, Comment, StatusChange]
    database.bind(tables)
    return tables


def build_first_release_board(url: str, password_hash: str) -> dict:
    """Create the v1 tables with their own DDL and fill them; return the ids to look for."""
    database = connect(url)
    tables = first_release_models(database)
    user, category, idea, vote, comment, status_change = tables
    with database:
        database.create_tables(tables)
        member = user.create(
            email="member@example.com", name="Mia", password_hash=password_hash, created_at=WHEN
        )
        staff = user.create(
            email="staff@example.com", name="Sam", password_hash="x", role="staff", created_at=WHEN
        )
        drinks = category.create(name="Drinks", created_at=WHEN)
        ideas = [
            idea.create(
                title=title,
                author=member,
                category=drinks,
                vote_count=votes,
                comment_count=comments,
                hot=hot_score(votes, comments, WHEN),
                created_at=WHEN,
                updated_at=WHEN,
            )
            for title, votes, comments in (("Oat milk", 2, 2), ("Free refills", 1, 0))
        ]
        for voted, voter in ((ideas[0], member), (ideas[0], staff), (ideas[1], staff)):
            vote.create(idea=voted, user=voter, created_at=WHEN)
        comment.create(idea=ideas[0], author=member, body="Please!", created_at=WHEN)
        comment.create(
            idea=ideas[0], author=staff, body="On it.", is_official=True, created_at=WHEN
        )
        status_change.create(
            idea=ideas[0],
            from_status="under_review",
            to_status="accepted",
            author=staff,
            note="Coming in May.",
            created_at=WHEN,
        )
    return {"oat": ideas[0].id, "refills": ideas[1].id}


def idea_hot_type() -> str:
    if is_sqlite():
        return next(c.data_type for c in db.get_columns("idea") if c.name == "hot")
    sql = "SELECT data_type FROM information_schema.columns WHERE table_name = 'idea'"
    return db.execute_sql(sql + " AND column_name = 'hot'").fetchone()[0]


def history() -> list[str]:
    return [row[0] for row in db.execute_sql("SELECT name FROM schema_migration ORDER BY name")]


def test_upgrade_keeps_a_first_release_board_and_the_app_works_on_it(
    empty_url, make_app, password_hash
):
    ids = build_first_release_board(empty_url, password_hash)
    app = make_app(empty_url)
    runner = app.test_cli_runner()

    result = runner.invoke(args=["db-upgrade"])
    assert result.exit_code == 0, result.output
    assert f"from version 1 to {LATEST}" in result.output
    with db.connection_context():
        assert schema_version() == LATEST
        assert history() == [f"{n:04d}" for n in range(1, LATEST + 1)]
        # Every table, column and index the models declare is there, and nothing else.
        diff = diff_models(db.obj, ALL_MODELS)
        assert not diff, str(diff)
        # The one column whose type changed (REAL to double precision on PostgreSQL).
        assert idea_hot_type() == ("REAL" if is_sqlite() else "double precision")
        assert UserSession.select().count() == 0
        assert [u.email for u in User.select().order_by(User.id)] == [
            "member@example.com",
            "staff@example.com",
        ]
        oat = Idea.get_by_id(ids["oat"])
        assert (oat.title, oat.category.name, oat.vote_count, oat.comment_count) == (
            "Oat milk",
            "Drinks",
            2,
            2,
        )
        assert Vote.select().count() == 3
        assert [(c.body, c.is_official) for c in Comment.select().order_by(Comment.id)] == [
            ("Please!", False),
            ("On it.", True),
        ]
        assert StatusChange.get().note == "Coming in May."

    again = runner.invoke(args=["db-upgrade"])
    assert again.exit_code == 0 and "already at version" in again.output
    with db.connection_context():
        assert len(history()) == LATEST
    # Counters and hot scores as the app computes them (PostgreSQL's were recomputed by v3).
    check = runner.invoke(args=["rebuild-counters", "--check"])
    assert check.exit_code == 0, check.output

    client = app.test_client()
    assert client.login("member@example.com").status_code == 302
    posted = client.post_form("/ideas/new", {"title": "Decaf after 4pm", "body": "", "category": 0})
    assert posted.status_code == 302
    assert client.post_form(f"/ideas/{ids['refills']}/vote", {"vote": "1"}).status_code == 302
    assert client.post_form(f"/ideas/{ids['oat']}/comments", {"body": "Yes"}).status_code == 302
    with db.connection_context():
        assert Idea.get(Idea.title == "Decaf after 4pm").author.email == "member@example.com"
        assert Idea.get_by_id(ids["refills"]).vote_count == 2
        assert Idea.get_by_id(ids["oat"]).comment_count == 3
        assert UserSession.select().count() == 1
    assert runner.invoke(args=["rebuild-counters", "--check"]).exit_code == 0


def test_init_db_creates_the_current_schema_and_stamps_it(empty_url, make_app):
    runner = make_app(empty_url).test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    with db.connection_context():
        assert schema_version() == LATEST
        assert history() == [f"{n:04d}" for n in range(2, LATEST + 1)]
        assert not diff_models(db.obj, ALL_MODELS)
    result = runner.invoke(args=["db-upgrade"])
    assert result.exit_code == 0 and "already at version" in result.output


def test_db_upgrade_on_an_empty_database_creates_the_schema(empty_url, make_app):
    result = make_app(empty_url).test_cli_runner().invoke(args=["db-upgrade"])
    assert result.exit_code == 0
    assert f"Created the schema at version {LATEST}" in result.output
    with db.connection_context():
        assert schema_version() == LATEST


def test_each_version_runs_in_its_own_transaction(empty_url, make_app, monkeypatch):
    """A version that fails halfway leaves no trace and is not recorded."""
    runner = make_app(empty_url).test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0

    def broken(migrator, database):
        database.execute_sql("CREATE TABLE half_done (id INTEGER)")
        raise RuntimeError("disk full")

    monkeypatch.setattr(migrations, "VERSIONS", {**migrations.VERSIONS, LATEST + 1: broken})
    monkeypatch.setattr(migrations, "LATEST", LATEST + 1)
    result = runner.invoke(args=["db-upgrade"])
    assert isinstance(result.exception, RuntimeError)
    with db.connection_context():
        assert "half_done" not in db.get_tables()
        assert schema_version() == LATEST


def test_db_upgrade_refuses_a_database_it_does_not_know(empty_url, make_app):
    database = connect(empty_url)
    with database:
        database.execute_sql("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    result = make_app(empty_url).test_cli_runner().invoke(args=["db-upgrade"])
    assert result.exit_code == 1
    assert "not those of an IdeaBoard board" in result.output
    with db.connection_context():
        assert db.get_tables() == ["invoices"]


def test_db_upgrade_refuses_a_schema_newer_than_the_code(empty_url, make_app):
    runner = make_app(empty_url).test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    with db.connection_context():
        db.execute_sql(
            "INSERT INTO schema_migration (name, applied) VALUES (%s, CURRENT_TIMESTAMP)".replace(
                "%s", db.param
            ),
            (f"{LATEST + 1:04d}",),
        )
    result = runner.invoke(args=["db-upgrade"])
    assert result.exit_code == 1
    assert "newer than this code" in result.output


def test_v8_closes_launched_and_declined_ideas(empty_url, make_app, password_hash):
    """is_open is filled from the status, and the open and closed listings read it."""
    ids = build_first_release_board(empty_url, password_hash)
    database = connect(empty_url)
    with database:
        database.execute_sql(
            f"UPDATE idea SET status = {database.param} WHERE id = {database.param}",
            ("declined", ids["refills"]),
        )
    app = make_app(empty_url)
    result = app.test_cli_runner().invoke(args=["db-upgrade"])
    assert result.exit_code == 0, result.output
    with db.connection_context():
        assert not diff_models(db.obj, ALL_MODELS)
        open_by_id = dict(Idea.select(Idea.id, Idea.is_open).tuples())
        assert open_by_id == {ids["oat"]: True, ids["refills"]: False}
        indexes = {index.name for index in db.get_indexes("idea")}
        assert {
            f"idea_is_open_{c}_id" for c in ("hot", "vote_count", "created_at", "comment_count")
        } <= indexes
        # A row written without the column (an older worker mid-deploy) is open.
        db.execute_sql(
            "INSERT INTO idea (title, body, author_id, status, vote_count, comment_count, hot,"
            f" created_at, updated_at) VALUES ({', '.join([db.param] * 9)})",
            ("Later", "", 1, "under_review", 0, 0, 0.0, WHEN, WHEN),
        )
        assert Idea.get(Idea.title == "Later").is_open is True

    client = app.test_client()
    assert client.login("member@example.com").status_code == 302
    listed = client.get("/?sort=new").get_data(as_text=True)
    assert "Oat milk" in listed and "Free refills" not in listed
    assert "Free refills" in client.get("/?show=closed").get_data(as_text=True)
    refused = client.post_form(f"/ideas/{ids['refills']}/vote", {"vote": "0"})
    assert refused.status_code == 302
    with db.connection_context():
        assert Idea.get_by_id(ids["refills"]).vote_count == 1
        assert Vote.select().where(Vote.idea == ids["refills"]).count() == 1
