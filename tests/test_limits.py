"""Throttling per IP and per account (default SQLite and Redis storage), and the honeypot field."""

import os
import uuid

import pytest
import redis

from ideaboard.config import load_config
from ideaboard.db import db
from ideaboard.models import Comment, Idea, OutgoingMail, User
from ideaboard.ratelimit_store import SQLiteStorage
from ideaboard.web.errors import MESSAGES
from ideaboard.web.throttling import HONEYPOT_FIELD, account_key, ip_key, limiter
from tests.conftest import PASSWORD

REDIS_URL = os.environ.get("IDEABOARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# Every key this run writes to the shared Redis starts with this, so cleaning up is exact.
RUN_PREFIX = f"ideaboard-test-{uuid.uuid4().hex[:12]}"
SMALL_LIMITS = {
    "RATELIMIT_LOGIN_PER_IP": "4 per minute",
    "RATELIMIT_LOGIN_PER_ACCOUNT": "2 per minute",
    "RATELIMIT_REGISTER_PER_IP": "2 per minute",
    "RATELIMIT_REGISTER_PER_ACCOUNT": "1 per minute",
    "RATELIMIT_ACCOUNT_PER_IP": "4 per minute",
    "RATELIMIT_ACCOUNT_PER_ACCOUNT": "2 per minute",
    "RATELIMIT_IDEA_PER_IP": "4 per minute",
    "RATELIMIT_IDEA_PER_ACCOUNT": "2 per minute",
    "RATELIMIT_COMMENT_PER_IP": "4 per minute",
    "RATELIMIT_COMMENT_PER_ACCOUNT": "2 per minute",
    "RATELIMIT_VOTE_PER_IP": "4 per minute",
    "RATELIMIT_VOTE_PER_ACCOUNT": "2 per minute",
    "RATELIMIT_MAIL_PER_IP": "4 per minute",
    "RATELIMIT_MAIL_PER_ACCOUNT": "2 per minute",
}


@pytest.fixture(scope="session")
def redis_client():
    """The Redis server the suite needs (IDEABOARD_TEST_SKIP_REDIS=1 skips it locally)."""
    if os.environ.get("IDEABOARD_TEST_SKIP_REDIS") == "1":
        pytest.skip("Redis tests switched off by IDEABOARD_TEST_SKIP_REDIS=1")
    client = redis.Redis.from_url(REDIS_URL)
    yield client
    delete_run_keys(client)
    client.close()


def delete_run_keys(client) -> None:
    keys = list(client.scan_iter(match=f"*{RUN_PREFIX}*"))
    if keys:
        client.delete(*keys)


@pytest.fixture(params=["default", "redis"])
def storage_uri(request):
    if request.param == "default":
        # The app's own default: a SQLite file in this test's instance folder.
        yield None
        return
    client = request.getfixturevalue("redis_client")
    # Both database runs of a test share the prefix: each starts from zero.
    delete_run_keys(client)
    yield REDIS_URL
    delete_run_keys(client)


@pytest.fixture
def limited(app, storage_uri):
    """The test app with throttling on (conftest turns it off) and small numbers."""
    app.config.update(RATELIMIT_ENABLED=True, RATELIMIT_KEY_PREFIX=RUN_PREFIX, **SMALL_LIMITS)
    if storage_uri:
        app.config["RATELIMIT_STORAGE_URI"] = storage_uri
    limiter.init_app(app)
    return app


def from_ip(ip: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": ip}}


def assert_throttled(response) -> None:
    """A 429 on the site's error page, saying when to try again."""
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 60
    page = response.get_data(as_text=True)
    assert 'class="site-header"' in page
    assert "Slow down a little" in page and MESSAGES[429] in page


def login(client, email: str, password: str, ip: str):
    return client.post_form("/login", {"email": email, "password": password}, **from_ip(ip))


def test_failed_logins_are_limited_per_email_from_any_ip(limited, client, users):
    assert login(client, "member@example.com", "wrong!", "10.0.0.1").status_code == 400
    assert login(client, "MEMBER@example.com", "wrong!", "10.0.0.2").status_code == 400
    # Even the right password waits: the attacker must not learn it by trying on.
    assert_throttled(login(client, "member@example.com", PASSWORD, "10.0.0.3"))
    # Another account from that same address is not affected.
    assert login(client, "other@example.com", PASSWORD, "10.0.0.3").status_code == 302


def test_failed_logins_are_limited_per_ip_across_emails(limited, client, users):
    for number in range(4):
        response = login(client, f"nobody{number}@example.com", "wrong!", "10.0.0.1")
        assert response.status_code == 400
    assert_throttled(login(client, "member@example.com", PASSWORD, "10.0.0.1"))
    assert login(client, "member@example.com", PASSWORD, "10.0.0.2").status_code == 302


def test_successful_logins_do_not_count(limited, client, users):
    for _ in range(5):
        assert login(client, "member@example.com", PASSWORD, "10.0.0.1").status_code == 302
        client.logout()


def register(client, email: str, ip: str, **extra):
    data = {"email": email, "name": "Nora New", "password": PASSWORD, "confirm": PASSWORD}
    return client.post_form("/register", {**data, **extra}, **from_ip(ip))


def test_sign_ups_are_limited_per_ip(limited, app):
    for number in range(2):
        assert register(app.test_client(), f"n{number}@example.com", "10.0.0.1").status_code == 302
    assert_throttled(register(app.test_client(), "n2@example.com", "10.0.0.1"))
    assert register(app.test_client(), "n2@example.com", "10.0.0.2").status_code == 302
    with db.connection_context():
        assert User.select().count() == 3


def test_sign_ups_are_limited_per_email(limited, app):
    assert register(app.test_client(), "n@example.com", "10.0.0.1").status_code == 302
    assert_throttled(register(app.test_client(), "N@example.com", "10.0.0.2"))


def vote(client, idea_id: int, ip: str, **kwargs):
    return client.post_form(f"/ideas/{idea_id}/vote", {"vote": "1"}, **from_ip(ip), **kwargs)


def test_votes_are_limited_per_account_from_any_ip(limited, client, users, idea):
    client.login("member@example.com")
    assert vote(client, idea.id, "10.0.0.1").status_code == 302
    assert vote(client, idea.id, "10.0.0.2").status_code == 302
    assert_throttled(vote(client, idea.id, "10.0.0.3"))


def test_votes_are_limited_per_ip_across_accounts(limited, app, users, idea):
    clients = {role: app.test_client() for role in ("member", "other", "staff")}
    for role, client in clients.items():
        client.login(f"{role}@example.com")
    for role in ("member", "other"):
        for _ in range(2):
            assert vote(clients[role], idea.id, "10.0.0.1").status_code == 302
    assert_throttled(vote(clients["staff"], idea.id, "10.0.0.1"))
    assert vote(clients["staff"], idea.id, "10.0.0.2").status_code == 302


def test_json_client_gets_a_json_429_with_retry_after(limited, client, users, idea):
    client.login("member@example.com")
    json = {"headers": {"Accept": "application/json"}}
    for _ in range(2):
        assert vote(client, idea.id, "10.0.0.1", **json).status_code == 200
    response = vote(client, idea.id, "10.0.0.1", **json)
    assert response.status_code == 429
    assert response.json["status"] == 429
    assert int(response.headers["Retry-After"]) > 0


def test_comments_are_limited_per_account(limited, client, users, idea):
    client.login("member@example.com")
    url = f"/ideas/{idea.id}/comments"
    for number in range(2):
        response = client.post_form(url, {"body": f"Yes {number}"}, **from_ip(f"10.0.0.{number}"))
        assert response.status_code == 302
    assert_throttled(client.post_form(url, {"body": "Once more"}, **from_ip("10.0.0.9")))
    with db.connection_context():
        assert Comment.select().count() == 2


def test_ideas_are_limited_per_account_but_previews_are_free(limited, client, users):
    client.login("member@example.com")
    data = {"title": "Oat milk", "body": "Please.", "category": "0"}
    for _ in range(3):
        assert client.post_form("/ideas/new", {**data, "preview": "1"}).status_code == 200
    for n in range(2):
        # Titles of their own: the same title again would first ask "post mine anyway?".
        assert client.post_form("/ideas/new", {**data, "title": f"Oat milk {n}"}).status_code == 302
    assert_throttled(client.post_form("/ideas/new", data, **from_ip("10.0.0.2")))
    with db.connection_context():
        assert Idea.select().count() == 2


def test_wrong_current_passwords_on_the_account_page_are_limited(limited, client, users):
    client.login("member@example.com")
    data = {"current_password": "guess", "password": "x" * 20, "confirm": "x" * 20}
    for _ in range(2):
        assert client.post_form("/account/password", data).status_code == 400
    assert_throttled(client.post_form("/account/password", {**data, "current_password": PASSWORD}))


@pytest.mark.parametrize("storage_uri", ["redis"], indirect=True)
def test_password_reset_mail_is_limited_per_address_and_per_ip(limited, app, users):
    def forgot(email: str, ip: str):
        return app.test_client().post_form("/forgot-password", {"email": email}, **from_ip(ip))

    for ip in ("10.0.0.1", "10.0.0.2"):
        assert forgot("member@example.com", ip).status_code == 302
    # A third link to the same inbox waits, whatever the address it is asked from.
    assert_throttled(forgot("MEMBER@example.com", "10.0.0.3"))
    # One address asking for many inboxes is stopped too.
    for number in range(4):
        assert forgot(f"nobody{number}@example.com", "10.0.0.9").status_code == 302
    assert_throttled(forgot("other@example.com", "10.0.0.9"))
    with db.connection_context():
        # The two links to the member that were let through; none to the others.
        assert [m.to_address for m in OutgoingMail.select()] == ["member@example.com"] * 2


def test_redis_holds_the_counts_under_the_key_prefix(app, client, users, redis_client):
    # Redis storage whatever `limited` would pick: the keys must come from this very request.
    delete_run_keys(redis_client)
    app.config.update(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=REDIS_URL,
        RATELIMIT_KEY_PREFIX=RUN_PREFIX,
        **SMALL_LIMITS,
    )
    limiter.init_app(app)
    login(client, "member@example.com", "wrong!", "10.0.0.1")
    keys = list(redis_client.scan_iter(match=f"*{RUN_PREFIX}*"))
    assert keys
    assert not any(b"member@example.com" in key for key in keys)


def test_throttling_can_be_switched_off(client, users):
    # conftest's app runs with RATELIMIT_ENABLED off, as IDEABOARD_RATELIMIT_ENABLED=0 gives.
    for _ in range(12):
        assert login(client, "member@example.com", "wrong!", "10.0.0.1").status_code == 400


def test_config_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("IDEABOARD_SECRET_KEY", "x")
    config = load_config(str(tmp_path))
    assert config["RATELIMIT_ENABLED"] is True
    # Shared by every worker on the machine, not memory:// (one count per worker process).
    assert config["RATELIMIT_STORAGE_URI"] == f"sqlite:///{tmp_path / 'ratelimits.sqlite'}"
    assert config["RATELIMIT_KEY_PREFIX"] == ""
    monkeypatch.setenv("IDEABOARD_RATELIMIT_ENABLED", "0")
    monkeypatch.setenv("IDEABOARD_RATELIMIT_STORAGE_URL", "redis://cache:6379/1")
    monkeypatch.setenv("IDEABOARD_RATELIMIT_KEY_PREFIX", "board-2")
    config = load_config(str(tmp_path))
    assert config["RATELIMIT_ENABLED"] is False
    assert config["RATELIMIT_STORAGE_URI"] == "redis://cache:6379/1"
    assert config["RATELIMIT_KEY_PREFIX"] == "board-2"


@pytest.mark.parametrize("storage_uri", ["default"], indirect=True)
def test_the_default_storage_is_a_file_every_worker_shares(limited):
    assert isinstance(limiter.storage, SQLiteStorage)
    assert limiter.storage.path == os.path.join(limited.instance_path, "ratelimits.sqlite")


def test_keys_group_ipv6_by_64_and_hide_emails(app):
    def keys(ip: str, email: str = "") -> tuple[str, str]:
        with app.test_request_context(
            method="POST", data={"email": email}, environ_base={"REMOTE_ADDR": ip}
        ):
            return ip_key(), account_key()

    assert keys("2001:db8::1")[0] == keys("2001:db8::ffff")[0] != keys("2001:db8:0:1::1")[0]
    assert keys("10.0.0.1")[0] == "ip:10.0.0.1"
    assert keys("10.0.0.1", " A@Example.com")[1] == keys("10.0.0.2", "a@example.com")[1]
    assert "example" not in keys("10.0.0.1", "a@example.com")[1]


# The honeypot: a hidden field people leave empty and form-filling bots do not.


def test_honeypot_field_is_hidden_from_people(app, client, users):
    pages = [client.get("/register").get_data(as_text=True)]
    client.login("member@example.com")
    pages.append(client.get("/ideas/new").get_data(as_text=True))
    for page in pages:
        assert f'name="{HONEYPOT_FIELD}"' in page
        assert 'class="hp" aria-hidden="true"' in page
        assert 'tabindex="-1" autocomplete="off"' in page
        assert f'<label for="{HONEYPOT_FIELD}">Leave this empty</label>' in page


def test_filled_honeypot_refuses_sign_up(client):
    response = register(client, "bot@example.com", "10.0.0.1", **{HONEYPOT_FIELD: "http://x"})
    assert response.status_code == 400
    assert "could not be understood" in response.get_data(as_text=True)
    with db.connection_context():
        assert User.select().count() == 0


def test_filled_honeypot_refuses_a_new_idea(client, users):
    client.login("member@example.com")
    data = {"title": "Buy pills", "body": "Cheap", "category": "0", HONEYPOT_FIELD: "spam"}
    response = client.post_form("/ideas/new", data)
    assert response.status_code == 400
    assert "could not be understood" in response.get_data(as_text=True)
    with db.connection_context():
        assert Idea.select().count() == 0
