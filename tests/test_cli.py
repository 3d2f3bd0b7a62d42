"""The flask commands a deployer uses: init-db, create-user, seed-demo, create-token."""

from ideaboard.board.api_tokens import hash_secret
from ideaboard.db import db
from ideaboard.models import ApiToken, Category, Idea, StatusChange, User


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


def test_create_token_prints_a_token_that_the_api_accepts(app, runner, users):
    result = runner.invoke(
        args=["create-token", "--email", "Staff@Example.com", "--scopes", "read,write,staff"]
    )
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    # Standard output holds the secret alone, for `TOKEN=$(flask … create-token …)`.
    assert secret.startswith("ib_") and "\n" not in secret
    me = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert (me.status_code, me.json["email"]) == (200, "staff@example.com")
    assert me.json["scopes"] == ["read", "write", "staff"]
    with db.connection_context():
        token = ApiToken.get()
    assert (token.name, token.token_hash) == ("Command line", hash_secret(secret))


def test_create_token_refuses_unknown_people_and_staff_scope_for_members(runner, users):
    unknown = runner.invoke(args=["create-token", "--email", "nobody@example.com"])
    assert unknown.exit_code != 0 and "no account" in unknown.output
    member = runner.invoke(
        args=["create-token", "--email", "member@example.com", "--scopes", "staff"]
    )
    assert member.exit_code == 2 and "Only staff accounts" in member.output
    typo = runner.invoke(args=["create-token", "--email", "member@example.com", "--scopes", "rad"])
    assert typo.exit_code == 2 and "Choose at least one scope" in typo.output
    with db.connection_context():
        assert ApiToken.select().count() == 0
