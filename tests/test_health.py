"""GET /healthz: 200 when the database answers at the current schema, 503 saying what is wrong."""

import uuid

import pytest
from flask_limiter import ExemptionScope

from ideaboard import create_app
from ideaboard.db import db
from ideaboard.migrations import LATEST
from ideaboard.web.throttling import limiter
from tests.servers import free_port


def test_healthy(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "schema_version": LATEST}
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_schema_behind_is_503_until_upgraded(app, client, runner):
    with db.connection_context():
        db.execute_sql(f"DELETE FROM schema_migration WHERE name = '{LATEST:04d}'")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "ok"
    assert response.json["schema_version"] == LATEST - 1
    assert "behind" in response.json["error"] and "db-upgrade" in response.json["error"]
    assert response.headers["Cache-Control"] == "no-store"

    assert runner.invoke(args=["db-upgrade"]).exit_code == 0
    assert client.get("/healthz").status_code == 200


def test_schema_ahead_keeps_old_machines_in_the_pool(app, client):
    """During a rolling deploy the database is upgraded before every machine has new code."""
    newer = f"{LATEST + 1:04d}"
    with db.connection_context():
        db.execute_sql(
            f"INSERT INTO schema_migration (name, applied) VALUES ({db.param}, CURRENT_TIMESTAMP)",
            (newer,),
        )
    try:
        response = client.get("/healthz")
    finally:
        # The PostgreSQL database outlives this test; leave its history as it was.
        with db.connection_context():
            db.execute_sql(f"DELETE FROM schema_migration WHERE name = {db.param}", (newer,))
    assert response.status_code == 200
    assert response.json["schema_version"] == LATEST + 1
    assert "ahead" in response.json["note"]


@pytest.fixture
def make_app(tmp_path, monkeypatch):
    """An app with its own settings, closed again afterwards."""
    monkeypatch.setenv("IDEABOARD_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("IDEABOARD_SECRET_KEY", uuid.uuid4().hex)
    yield lambda **config: create_app({"TESTING": True, **config})
    if not db.is_closed():
        db.close()
    if hasattr(db.obj, "close_all"):
        db.obj.close_all()


@pytest.fixture(params=["postgres", "sqlite"])
def unreachable_url(request, tmp_path) -> str:
    if request.param == "postgres":
        return f"postgresql://postgres@127.0.0.1:{free_port()}/ideaboard?connect_timeout=2"
    return f"sqlite:///{tmp_path / 'no-such-folder' / 'ideaboard.db'}"


def test_database_unreachable_is_503(make_app, unreachable_url):
    response = make_app(DATABASE_URL=unreachable_url).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {
        "status": "error",
        "database": "unreachable",
        "error": "the database did not answer",
    }
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_not_rate_limited(make_app, database_url):
    app = make_app(DATABASE_URL=database_url, RATELIMIT_STORAGE_URI="memory://")
    assert app.config["RATELIMIT_ENABLED"]
    scope = limiter.limit_manager.exemption_scope(app, "health.healthz", "health")
    assert scope & ExemptionScope.DEFAULT and scope & ExemptionScope.APPLICATION
    client = app.test_client()
    # A load balancer probes every few seconds from the same address, forever.
    answers = {client.get("/healthz").status_code for _ in range(50)}
    assert 429 not in answers and answers <= {200, 503}
