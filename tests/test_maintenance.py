"""Operator commands: rebuild-counters finds and fixes drift; backup copies a live SQLite file."""

import os
import re
import secrets
import sqlite3
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import closing
from datetime import datetime, timedelta
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from ideaboard import create_app
from ideaboard.board.backup import backup_sqlite
from ideaboard.board.comments import add_comment
from ideaboard.board.counters import rebuild_counters
from ideaboard.board.ideas import create_idea
from ideaboard.board.votes import set_vote
from ideaboard.db import db
from ideaboard.models import Comment, Idea, Vote, hot_score, utcnow
from tests.conftest import PASSWORD
from tests.servers import free_port, gunicorn

CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
postgres_only = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


@pytest.fixture
def board(app, users) -> list[int]:
    """Four ideas whose votes and comments went through the app's own write paths."""
    with db.connection_context():
        ideas = [create_idea(users["member"], f"Idea {n}").id for n in range(4)]
        for voter in ("member", "other", "staff"):
            set_vote(ideas[0], users[voter], True)
        set_vote(ideas[1], users["other"], True)
        add_comment(ideas[1], users["staff"], "Thanks, noted.")
        add_comment(ideas[3], users["other"], "Me too")
    return ideas


def stored() -> dict[int, tuple]:
    return {i.id: (i.vote_count, i.comment_count, i.hot) for i in Idea.select().order_by(Idea.id)}


def test_rebuild_counters_reports_drift_then_fixes_it(runner, board):
    with db.connection_context():
        right = stored()
        Idea.update(vote_count=Idea.vote_count + 5).where(Idea.id == board[0]).execute()
        Idea.update(comment_count=-2).where(Idea.id == board[1]).execute()
        Idea.update(hot=0).where(Idea.id == board[3]).execute()
        wrong = stored()
    report = (
        f"Checked 4 ideas: 3 were wrong (ideas {board[0]}, {board[1]}, {board[3]}): "
        "vote counts off by 5 in total, comment counts off by 3, hot score stale on 1."
    )

    # Batches of two: the wrong ideas sit in different batches.
    check = runner.invoke(args=["rebuild-counters", "--check", "--batch-size", "2"])
    assert check.exit_code == 1
    assert report in check.output and "Run without --check" in check.output
    with db.connection_context():
        assert stored() == wrong

    fix = runner.invoke(args=["rebuild-counters", "--batch-size", "2"])
    assert fix.exit_code == 0, fix.output
    assert report in fix.output and "Fixed 3 ideas." in fix.output
    with db.connection_context():
        fixed = stored()
    for idea_id, (votes, comments, hot) in right.items():
        assert fixed[idea_id][:2] == (votes, comments)
        assert fixed[idea_id][2] == pytest.approx(hot, abs=1e-6)

    again = runner.invoke(args=["rebuild-counters", "--check"])
    assert again.exit_code == 0
    assert "Checked 4 ideas: every counter matches the rows." in again.output


def test_rebuild_counters_agrees_with_the_app_on_every_hot_score(app, users):
    """The SQL formula gives models.hot_score() across engagement levels and ages."""
    with db.connection_context():
        for n in range(30):
            created = datetime(2019, 1, 1) + timedelta(days=n * 97, microseconds=n * 33_333)
            comments = n * n
            idea = Idea.create(
                title=f"Idea {n}",
                author=users["member"],
                comment_count=comments,
                created_at=created,
                updated_at=created,
                hot=hot_score(0, comments, created),
            )
            row = {"idea": idea.id, "author": users["other"].id, "body": "+1"}
            Comment.insert_many([row] * comments).execute()
        assert rebuild_counters(fix=False).wrong_ids == []
        Idea.update(hot=Idea.hot + 0.001).where(Idea.title == "Idea 29").execute()
        assert len(rebuild_counters(fix=False).wrong_ids) == 1


@postgres_only
def test_backup_refuses_postgresql_and_names_pg_dump(runner, tmp_path):
    result = runner.invoke(args=["backup", str(tmp_path / "copy.db")])
    assert result.exit_code == 1
    assert "pg_dump -Fc" in result.output
    assert not (tmp_path / "copy.db").exists()


@sqlite_only
def test_backup_refuses_to_overwrite_the_live_database(runner):
    with db.connection_context():
        live = db.obj.database
    result = runner.invoke(args=["backup", live])
    assert result.exit_code == 1
    assert "live database itself" in result.output


def read_backup(path: Path, sql: str) -> list[tuple]:
    with closing(sqlite3.connect(path)) as copy:
        return copy.execute(sql).fetchall()


@sqlite_only
def test_backup_is_the_database_as_it_began_while_writes_go_on(app, users, tmp_path):
    """In steps, the source stays writable, and what is written meanwhile is not copied."""
    with db.connection_context():
        idea = create_idea(users["member"], "Oat milk").id
        set_vote(idea, users["member"], True)
        filler = [{"title": f"Filler {n}", "author": users["other"].id} for n in range(300)]
        Idea.insert_many([{**row, "body": "x" * 2000} for row in filler]).execute()
        steps = []

        def write_meanwhile(status: int, remaining: int, total: int) -> None:
            if not steps:
                # Through the app's connection, not the one the backup reads from.
                set_vote(idea, users["other"], True)
                add_comment(idea, users["staff"], "Written during the backup")
            steps.append(remaining)

        target = tmp_path / "copy.db"
        size = backup_sqlite(db.obj.database, str(target), step_pages=16, progress=write_meanwhile)
        assert Vote.select().where(Vote.idea == idea).count() == 2
        assert Comment.select().count() == 1

    assert len(steps) > 5 and steps[-1] == 0
    assert size == target.stat().st_size
    assert read_backup(target, "PRAGMA integrity_check") == [("ok",)]
    assert read_backup(target, "PRAGMA journal_mode") == [("delete",)]
    assert read_backup(target, "SELECT user_id FROM vote") == [(users["member"].id,)]
    assert read_backup(target, "SELECT COUNT(*) FROM comment") == [(0,)]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


class _KeepRedirects(urllib.request.HTTPRedirectHandler):
    """A 302 after a form post is the server's acknowledgement: keep it as the answer."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class Writer(threading.Thread):
    """A signed-in member voting and commenting as fast as the server answers."""

    def __init__(self, base_url: str, idea_ids: list[int]):
        super().__init__(daemon=True)
        self.base_url, self.idea_ids = base_url, idea_ids
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),
            urllib.request.HTTPCookieProcessor(CookieJar()),
            _KeepRedirects,
        )
        self.acknowledged: list[tuple[str, int, str]] = []
        self.failures: list[str] = []
        self.stop = threading.Event()

    def post(self, path: str, form: dict) -> int:
        data = urllib.parse.urlencode(form).encode()
        try:
            with self.opener.open(self.base_url + path, data=data, timeout=15) as response:
                return response.status
        except urllib.error.HTTPError as answer:  # the 302 we kept, or an error
            return answer.code

    def csrf_token(self, path: str) -> str:
        with self.opener.open(self.base_url + path, timeout=15) as page:
            return CSRF_INPUT.search(page.read().decode()).group(1)

    def run(self) -> None:
        login = {"email": "member@example.com", "password": PASSWORD}
        if self.post("/login", {**login, "csrf_token": self.csrf_token("/login")}) != 302:
            self.failures.append("login")
            return
        # Logging in starts a new session, and with it a new CSRF token.
        token = self.csrf_token("/")
        n = 0
        while not self.stop.is_set():
            idea = self.idea_ids[n // 2 % len(self.idea_ids)]
            if n % 2 == 0 and n // 2 < len(self.idea_ids):
                write = ("vote", idea, "")
                status = self.post(f"/ideas/{idea}/vote", {"vote": "1", "csrf_token": token})
            else:
                write = ("comment", idea, f"Write {n}")
                status = self.post(
                    f"/ideas/{idea}/comments", {"body": write[2], "csrf_token": token}
                )
            if status == 302:
                self.acknowledged.append(write)
            else:
                self.failures.append(f"{write}: {status}")
            n += 1


def wait_for(condition, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@sqlite_only
def test_backup_of_a_live_server_keeps_every_acknowledged_write(
    app, runner, users, database_url, tmp_path
):
    """gunicorn takes votes and comments; `flask backup` runs in the middle; the copy opens."""
    with db.connection_context():
        ideas = [create_idea(users["other"], f"Idea {n}").id for n in range(40)]
        # Some megabytes, so the copy takes several steps while the writes go on.
        now = utcnow()
        filler = {"author": users["other"].id, "body": "x" * 2000, "hot": hot_score(0, 0, now)}
        Idea.insert_many(
            [{**filler, "title": f"Filler {n}", "created_at": now} for n in range(3000)]
        ).execute()
    port = free_port()
    env = {
        **os.environ,
        "IDEABOARD_DATABASE_URL": database_url,
        "IDEABOARD_INSTANCE_PATH": str(tmp_path / "instance"),
        "IDEABOARD_SECRET_KEY": secrets.token_hex(32),
        "IDEABOARD_RATELIMIT_ENABLED": "0",
    }
    writer = Writer(f"http://127.0.0.1:{port}", ideas)
    target = tmp_path / "backups" / "ideaboard.db"
    target.parent.mkdir()
    with gunicorn(env, port, tmp_path / "gunicorn.log", "--workers", "2"):
        writer.start()
        try:
            wait_for(lambda: len(writer.acknowledged) >= 20 or writer.failures)
            before = list(writer.acknowledged)
            result = runner.invoke(args=["backup", str(target)])
            after_backup = len(writer.acknowledged)
            wait_for(lambda: len(writer.acknowledged) >= after_backup + 10 or writer.failures)
        finally:
            writer.stop.set()
            writer.join(timeout=30)

    assert result.exit_code == 0, result.output
    assert re.search(r"\d+\.\d MB in \d+\.\d\d s", result.output)
    # Every write before, during and after the backup was acknowledged: nothing was locked.
    assert writer.failures == []
    assert read_backup(target, "PRAGMA integrity_check") == [("ok",)]
    votes = {idea for (idea,) in read_backup(target, "SELECT idea_id FROM vote")}
    comments = {body for (body,) in read_backup(target, "SELECT body FROM comment")}
    for kind, idea, body in before:
        assert (idea in votes) if kind == "vote" else (body in comments), (kind, idea, body)

    # Restore: the copy is a working board whose counters equal its rows.
    restored = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{target}"})
    client = restored.test_client()
    assert client.get("/healthz").status_code == 200
    assert client.get(f"/ideas/{ideas[0]}").status_code == 200
    with db.connection_context():
        assert rebuild_counters(fix=False).wrong_ids == []
