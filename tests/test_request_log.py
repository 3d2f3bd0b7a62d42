"""Each request logs one line; an unexpected error logs its traceback under the same id."""

import logging

import pytest


@pytest.fixture
def log_lines(caplog):
    caplog.set_level(logging.INFO, logger="ideaboard.requests")
    # The logger does not propagate (it writes to stderr itself); let caplog see it too.
    logger = logging.getLogger("ideaboard.requests")
    logger.addHandler(caplog.handler)
    yield caplog
    logger.removeHandler(caplog.handler)


def test_one_line_per_request(client, users, log_lines):
    client.login("member@example.com")
    log_lines.clear()
    response = client.get("/roadmap")
    lines = [r.getMessage() for r in log_lines.records]
    assert len(lines) == 1
    rid = response.headers["X-Request-ID"]
    method, path, status, duration, user, rid_field, client, size = lines[0].split()
    assert (method, path, status) == ("GET", "/roadmap", "200")
    assert client == "client=127.0.0.1"
    assert size == f"bytes={len(response.data)}"
    assert duration.endswith("ms") and float(duration[:-2]) >= 0
    assert user == f"user={users['member'].id}"
    assert rid_field == f"rid={rid}"


def test_anonymous_requests_log_a_dash(client, log_lines):
    client.get("/")
    assert log_lines.records[-1].getMessage().split()[4] == "user=-"


def test_error_logs_traceback_with_the_id_the_page_shows(app, log_lines):
    @app.route("/_test/explode")
    def explode():
        raise ValueError("kaboom")

    app.testing = False
    response = app.test_client().get("/_test/explode")
    assert response.status_code == 500
    rid = response.headers["X-Request-ID"]
    assert rid in response.get_data(as_text=True)
    [error] = [r for r in log_lines.records if r.levelno == logging.ERROR]
    assert f"rid={rid}" in error.getMessage()
    assert error.exc_info and "kaboom" in str(error.exc_info[1])


def test_request_ids_differ(client):
    first = client.get("/").headers["X-Request-ID"]
    second = client.get("/").headers["X-Request-ID"]
    assert first != second and len(first) == 16
