"""Shared fixtures: every app-level test runs once on SQLite and once on PostgreSQL."""

import logging
import re
import uuid

import pytest
from flask.testing import FlaskClient

from ideaboard import create_app
from ideaboard.board.ideas import create_idea
from ideaboard.board.passwords import hash_password
from ideaboard.board.schema import upgrade_schema
from ideaboard.board.search_plans import forget_statistics
from ideaboard.db import db, is_sqlite
from ideaboard.models import ALL_MODELS, Category, Idea, User
from tests.mail_support import start_smtp
from tests.servers import free_port, fresh_postgres_database

PASSWORD = "correct horse battery staple"
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture(scope="session")
def postgres_database():
    """A database of its own for this run on the PostgreSQL server, dropped afterwards."""
    with fresh_postgres_database("ideaboard_test") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ideaboard.db'}"
    return request.getfixturevalue("postgres_database")


class Client(FlaskClient):
    """A test client that sends the CSRF token the way a browser form would."""

    def csrf_token(self) -> str:
        # /login carries a form when logged out; logged in, it redirects to a page whose
        # log-out form carries one.
        page = self.get("/login", follow_redirects=True).get_data(as_text=True)
        return CSRF_INPUT.search(page).group(1)

    def post_form(self, url: str, data: dict | None = None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        return self.post(url, data=data, **kwargs)

    def login(self, email: str, password: str = PASSWORD):
        return self.post_form("/login", {"email": email, "password": password})

    def logout(self):
        return self.post_form("/logout")


@pytest.fixture
def app(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("IDEABOARD_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("IDEABOARD_SECRET_KEY", uuid.uuid4().hex)
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "RATELIMIT_ENABLED": False})
    app.test_client_class = Client
    upgrade_schema()
    # A new board, maybe under an earlier test's name: no estimates of how common words are.
    forget_statistics()
    if not is_sqlite():
        # One database per run; each test starts from empty tables.
        tables = ", ".join(f'"{model._meta.table_name}"' for model in ALL_MODELS)
        with db.connection_context():
            db.execute_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    yield app
    if not db.is_closed():
        db.close()
    if hasattr(db.obj, "close_all"):
        db.obj.close_all()


@pytest.fixture
def client(app) -> Client:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def password_hash() -> str:
    # argon2id is slow on purpose; hash the shared test password once per run.
    return hash_password(PASSWORD)


@pytest.fixture
def users(app, password_hash) -> dict:
    """One account per role, plus a second member to test other people's things."""
    accounts = {
        "member": ("member@example.com", "Mia Member"),
        "other": ("other@example.com", "Otto Other"),
        "staff": ("staff@example.com", "Sasha Staff"),
        "admin": ("admin@example.com", "Ada Admin"),
    }
    with db.connection_context():
        return {
            role: User.create(
                email=email,
                name=name,
                password_hash=password_hash,
                role="member" if role == "other" else role,
            )
            for role, (email, name) in accounts.items()
        }


@pytest.fixture
def category(app) -> Category:
    with db.connection_context():
        return Category.create(name="Drinks")


@pytest.fixture
def idea(users, category) -> Idea:
    """A member's idea, under review, in a category: listings then carry a vote form."""
    with db.connection_context():
        return create_idea(users["member"], "Free refills", "On every cup.", category.id)


@pytest.fixture
def smtp_port() -> int:
    """A free port for a mail server (nothing listens there until a test starts one)."""
    return free_port()


@pytest.fixture
def inbox(app, smtp_port):
    """A real SMTP server (aiosmtpd) that the app sends to; what it received."""
    controller, inbox = start_smtp(smtp_port)
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{smtp_port}"
    yield inbox
    controller.stop()


class _SqlCapture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.statements: list[tuple[str, tuple]] = []

    def emit(self, record):
        # peewee logs every statement it runs as the tuple (sql, params).
        if isinstance(record.msg, tuple):
            self.statements.append(record.msg)


@pytest.fixture
def sql_log():
    """Collect the SQL statements peewee runs while the test goes on."""
    logger = logging.getLogger("peewee")
    capture = _SqlCapture()
    previous = logger.level
    logger.addHandler(capture)
    logger.setLevel(logging.DEBUG)
    yield capture.statements
    logger.removeHandler(capture)
    logger.setLevel(previous)
