"""`flask bench-seed`: the generated board is the size asked for, consistent and reproducible."""

import hashlib
import statistics
from datetime import timedelta
from itertools import pairwise

from peewee import fn

from ideaboard.benchseed.plan import (
    BENCH_EMAIL,
    BENCH_PASSWORD,
    BENCH_PASSWORD_HASH,
    STAFF_EMAIL,
    distribute,
)
from ideaboard.board.passwords import check_password
from ideaboard.db import db, is_sqlite
from ideaboard.models import (
    ACCEPTED_OR_LATER,
    STATUS_LABELS,
    UNDER_REVIEW,
    Category,
    Comment,
    Idea,
    StatusChange,
    User,
    Vote,
    hot_score,
)

SIZE = {"ideas": 120, "votes": 1500, "comments": 400, "users": 400}


def seed(runner, seed: int = 7, **size):
    args = ["bench-seed", "--seed", str(seed), "--end", "2026-01-01"]
    for name, value in {**SIZE, **size}.items():
        args += [f"--{name}", str(value)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    return result


def index_names() -> set[str]:
    return {
        index.name
        for model in (User, Idea, Vote, Comment, StatusChange)
        for index in db.get_indexes(model._meta.table_name)
    }


def snapshot() -> str:
    """A digest of every row the command writes, in id order."""
    digest = hashlib.sha256()
    for model in (User, Idea, Vote, Comment, StatusChange):
        for row in model.select().order_by(model.id).tuples():
            digest.update(repr(row).encode())
    return digest.hexdigest()


def clear_board() -> None:
    for model in (StatusChange, Comment, Vote, Idea, User):
        model.delete().execute()


def test_sizes_counters_and_spread(app, runner):
    with db.connection_context():
        indexes_before = index_names()
    output = seed(runner).output
    with db.connection_context():
        assert User.select().count() == SIZE["users"]
        assert Idea.select().count() == SIZE["ideas"]
        assert Vote.select().count() == SIZE["votes"]
        assert Comment.select().count() == SIZE["comments"]

        # Every index and constraint dropped for the load is back.
        assert index_names() == indexes_before
        if is_sqlite():
            assert db.execute_sql("PRAGMA foreign_key_check").fetchall() == []
            assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"

        votes = dict(Vote.select(Vote.idea, fn.COUNT(Vote.id)).group_by(Vote.idea).tuples())
        comments = dict(
            Comment.select(Comment.idea, fn.COUNT(Comment.id)).group_by(Comment.idea).tuples()
        )
        ideas = list(Idea.select())
        for idea in ideas:
            assert idea.vote_count == votes.get(idea.id, 0)
            assert idea.comment_count == comments.get(idea.id, 0)
            assert idea.hot == hot_score(idea.vote_count, idea.comment_count, idea.created_at)
        pairs = Vote.select(Vote.idea, Vote.user).distinct().count()
        assert pairs == SIZE["votes"]

        assert {idea.status for idea in ideas} == set(STATUS_LABELS)
        categories = {c.id for c in Category.select()}
        assert categories <= {idea.category_id for idea in ideas}
        created = [idea.created_at for idea in ideas]
        assert max(created) - min(created) > timedelta(days=2 * 365)

        # Heavy tails: a few ideas have far more votes than the typical one.
        counts = sorted(idea.vote_count for idea in ideas)
        assert counts[-1] >= 10 * max(1, statistics.median(counts))
        with_fifty = [idea for idea in ideas if idea.comment_count == 50]
        assert with_fifty
        assert f"/ideas/{with_fifty[0].id}" in output

        # History: none under review; otherwise it starts under review and ends at the status.
        history: dict[int, list[StatusChange]] = {}
        for change in StatusChange.select().order_by(StatusChange.id):
            history.setdefault(change.idea_id, []).append(change)
        for idea in ideas:
            steps = history.get(idea.id, [])
            if idea.status == UNDER_REVIEW:
                assert steps == []
                continue
            assert steps[0].from_status == UNDER_REVIEW
            assert steps[-1].to_status == idea.status
            assert {step.category_id for step in steps} == {idea.category_id}
            assert all(a.to_status == b.from_status for a, b in pairwise(steps))
            assert steps[0].created_at >= idea.created_at
            assert idea.updated_at == steps[-1].created_at
            if idea.status in ACCEPTED_OR_LATER:
                assert idea.accepted_at == steps[0].created_at
            else:
                assert idea.accepted_at is None

        assert User.get(User.email == STAFF_EMAIL).role == "staff"
        assert User.get(User.email == BENCH_EMAIL).role == "member"


def test_password_hash_matches_password():
    assert check_password(BENCH_PASSWORD_HASH, BENCH_PASSWORD)


def test_bench_account_logs_in(app, runner, client):
    seed(runner)
    response = client.login(BENCH_EMAIL, BENCH_PASSWORD)
    assert response.status_code == 302
    assert "Bench User" in client.get("/").get_data(as_text=True)


def test_same_seed_same_rows(app, runner):
    seed(runner, seed=3)
    with db.connection_context():
        first = snapshot()
        clear_board()
    seed(runner, seed=3)
    with db.connection_context():
        assert snapshot() == first
        clear_board()
    seed(runner, seed=4)
    with db.connection_context():
        assert snapshot() != first


def test_refuses_a_board_with_data(runner, users):
    result = runner.invoke(
        args=["bench-seed", *sum(([f"--{k}", str(v)] for k, v in SIZE.items()), [])]
    )
    assert result.exit_code != 0
    assert "already has users or ideas" in result.output
    with db.connection_context():
        assert Idea.select().count() == 0


def test_refuses_more_votes_than_voters(runner):
    result = runner.invoke(
        args=["bench-seed", "--ideas", "10", "--users", "5", "--votes", "60", "--comments", "50"]
    )
    assert result.exit_code != 0
    assert "at most 5 per idea" in result.output


def test_distribute_is_exact_and_capped():
    weights = [1000.0, 1.0, 1.0, 0.5, 0.0]
    counts = distribute(100, weights, cap=40)
    assert sum(counts) == 100
    assert max(counts) == 40
    assert counts[-1] == 0
