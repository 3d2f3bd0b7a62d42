"""The flask commands a deployer uses: init-db, create-user, seed-demo."""

from ideaboard.db import db
from ideaboard.models import Category, Idea, StatusChange, User


def test_init_db_creates_default_categories_once(runner):
    assert "Database ready." in runner.invoke(args=["init-db"]).output
    runner.invoke(args=["init-db"])
    with db.connection_context():
        assert Category.select().count() == 4


def test_create_user_with_role(runner):
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "PM@Example.com",
            "--name",
            "Pat PM",
            "--password",
            "a long password",
            "--role",
            "staff",
        ]
    )
    assert result.exit_code == 0, result.output
    with db.connection_context():
        user = User.get(User.email == "pm@example.com")
    assert (user.name, user.role) == ("Pat PM", "staff")


def test_create_user_refuses_duplicates_and_short_passwords(runner, users):
    duplicate = runner.invoke(
        args=[
            "create-user",
            "--email",
            "member@example.com",
            "--name",
            "X",
            "--password",
            "a long password",
        ]
    )
    assert duplicate.exit_code != 0
    assert "already exists" in duplicate.output
    short = runner.invoke(
        args=["create-user", "--email", "n@example.com", "--name", "N", "--password", "short"]
    )
    assert short.exit_code != 0
    assert "8 to 128" in short.output


def test_create_user_rejects_unknown_role(runner):
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "r@example.com",
            "--name",
            "R",
            "--password",
            "a long password",
            "--role",
            "root",
        ]
    )
    assert result.exit_code != 0


def test_seed_demo_is_idempotent(runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    with db.connection_context():
        counts = (Idea.select().count(), StatusChange.select().count())
        assert counts[0] == 6 and counts[1] > 0
        for idea in Idea.select():
            assert idea.vote_count == idea.votes.count()
            assert idea.comment_count == idea.comments.count()
    assert "already there" in runner.invoke(args=["seed-demo"]).output
    with db.connection_context():
        assert (Idea.select().count(), StatusChange.select().count()) == counts
