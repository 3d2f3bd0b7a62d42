"""Serving in production: fingerprinted static files, ETags on pages, gzip, gunicorn settings."""

import gzip
import hashlib
import re
import runpy
import time
from pathlib import Path

import pytest
from flask import url_for
from gunicorn.config import Config
from itsdangerous import TimestampSigner

import ideaboard.gunicorn_conf
from ideaboard import create_app
from ideaboard.board.ideas import create_idea
from ideaboard.board.pipeline import change_status
from ideaboard.board.version import bump_version
from ideaboard.db import db
from ideaboard.models import ACCEPTED
from ideaboard.web.assets import fingerprint
from tests.conftest import CSRF_INPUT

STATIC = Path(__file__).resolve().parents[1] / "static"
ASSET_LINK = re.compile(r'(?:href|src)="(/static/[^"]+)"')
YEAR_IMMUTABLE = "public, max-age=31536000, immutable"
GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def asset_urls(client) -> dict[str, str]:
    """The static URLs the layout links to, by file suffix."""
    page = client.get("/").get_data(as_text=True)
    return {Path(url).suffix: url for url in ASSET_LINK.findall(page)}


def csrf_token(response) -> str:
    return CSRF_INPUT.search(response.get_data(as_text=True)).group(1)


class Clock:
    """The second that itsdangerous signs CSRF tokens and session cookies with."""

    def __init__(self):
        self.now = int(time.time())


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda signer: clock.now)
    return clock


# Fingerprinted static files


@pytest.mark.parametrize(
    ("name", "mimetype"), [("css/app.css", "text/css"), ("js/app.js", "text/javascript")]
)
def test_layout_links_fingerprinted_files_cached_for_a_year(client, name, mimetype):
    content = (STATIC / name).read_bytes()
    digest = hashlib.sha256(content).hexdigest()[:8]
    stem, suffix = name.rsplit(".", 1)
    url = asset_urls(client)["." + suffix]
    assert url == f"/static/{stem}.{digest}.{suffix}"
    response = client.get(url, buffered=True)
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert response.headers["Cache-Control"] == YEAR_IMMUTABLE
    assert response.data == content


def test_plain_name_still_served_but_only_briefly_cached(client):
    response = client.get("/static/css/app.css", buffered=True)
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert response.data == (STATIC / "css/app.css").read_bytes()
    assert response.cache_control.max_age == 300
    assert not response.cache_control.immutable


def test_outdated_fingerprint_redirects_to_the_current_one(client):
    current = asset_urls(client)[".css"]
    response = client.get("/static/css/app.00000000.css")
    assert response.status_code == 302
    assert response.headers["Location"] == current
    assert "immutable" not in response.headers.get("Cache-Control", "")
    assert client.get("/static/css/missing.00000000.css").status_code == 404
    assert client.get("/static/css/missing.css").status_code == 404


def test_fingerprint_follows_the_content(tmp_path):
    (tmp_path / "css").mkdir()
    style = tmp_path / "css" / "site.css"
    style.write_text("body { color: black }")
    first = fingerprint(str(tmp_path))["css/site.css"]
    assert re.fullmatch(r"css/site\.[0-9a-f]{8}\.css", first)
    style.write_text("body { color: navy }")
    assert fingerprint(str(tmp_path))["css/site.css"] != first


def test_debug_mode_keeps_plain_urls(tmp_path, monkeypatch):
    """`flask run --debug` serves edited files at once, so nothing may be cached for a year."""
    monkeypatch.setenv("IDEABOARD_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"DEBUG": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'debug.db'}"})
    with app.test_request_context():
        assert url_for("static", filename="css/app.css") == "/static/css/app.css"


# ETags and 304s for pages


def test_repeat_visit_gets_304_until_the_page_changes(client, idea, users):
    first = client.get("/", headers=GZIP)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    assert first.headers["Cache-Control"] == "private, no-cache"

    again = client.get("/", headers={**GZIP, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert "Content-Encoding" not in again.headers
    assert again.headers["ETag"] == etag

    with db.connection_context():
        create_idea(users["other"], "Oat milk", "At no extra charge.", idea.category_id)
        bump_version()  # as the POST that posts an idea does
    changed = client.get("/", headers={**GZIP, "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert "Oat milk" in gzip.decompress(changed.data).decode()


def test_etag_ignores_the_per_second_signature_of_the_csrf_token(client, idea, clock):
    client.login("other@example.com")
    client.get("/")  # shows and so uses up the welcome message
    first = client.get(f"/ideas/{idea.id}")
    clock.now += 5
    later = client.get(f"/ideas/{idea.id}")
    # The pages differ in their signed tokens, yet count as the same page...
    assert csrf_token(later) != csrf_token(first)
    assert later.headers["ETag"] == first.headers["ETag"]
    revisit = client.get(f"/ideas/{idea.id}", headers={"If-None-Match": first.headers["ETag"]})
    assert revisit.status_code == 304
    # ...because the cached page's form still works.
    vote = client.post(
        f"/ideas/{idea.id}/vote", data={"vote": "1", "csrf_token": csrf_token(first)}
    )
    assert vote.status_code == 302
    assert client.get(f"/ideas/{idea.id}").headers["ETag"] != first.headers["ETag"]


def test_csrf_signatures_never_expire(app):
    """Page ETags leave the signature out, which is only right while no signature expires."""
    assert app.config["WTF_CSRF_TIME_LIMIT"] is None


def test_new_session_never_revalidates_a_page_with_a_dead_token(client, idea):
    before = client.get("/login")
    client.login("member@example.com")
    client.logout()
    client.get("/")  # shows and so uses up any goodbye message
    # Logging out started a new session; the old page's token is no longer accepted...
    stale = {"email": "member@example.com", "password": "x", "csrf_token": csrf_token(before)}
    assert client.post("/login", data=stale).status_code == 400
    # ...so the browser must not be told to keep showing that page.
    after = client.get("/login", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]


def test_only_successful_page_views_get_a_page_etag(client):
    assert "ETag" not in client.get("/no-such-page").headers
    invalid = client.post_form("/login", {"email": "nobody@example.com", "password": "x"})
    assert invalid.mimetype == "text/html"
    assert "ETag" not in invalid.headers


# Compression


@pytest.fixture
def accepted_ideas(users, category):
    """Enough accepted ideas for the Atom feed to be worth compressing."""
    with db.connection_context():
        for number in range(3):
            idea = create_idea(users["member"], f"Idea {number}", "Some words.", category.id)
            change_status(idea, ACCEPTED, users["staff"], "We will do this next quarter.")


@pytest.mark.parametrize("path", ["/", "/feeds/accepted.atom", "/static/js/app.js"])
def test_gzip_when_the_client_accepts_it(client, accepted_ideas, clock, path):
    plain = client.get(path, buffered=True)
    packed = client.get(path, headers=GZIP, buffered=True)
    assert len(plain.data) >= 1024
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert "Accept-Encoding" in plain.headers["Vary"]
    assert gzip.decompress(packed.data) == plain.data
    assert len(packed.data) < len(plain.data)
    assert packed.mimetype == plain.mimetype


def test_compressed_file_gets_a_weak_etag_that_still_revalidates(client):
    url = asset_urls(client)[".css"]
    plain = client.get(url, buffered=True)
    packed = client.get(url, headers=GZIP, buffered=True)
    assert not plain.headers["ETag"].startswith("W/")
    assert packed.headers["ETag"] == "W/" + plain.headers["ETag"]
    assert "Accept-Ranges" not in packed.headers
    revisit = client.get(
        url, headers={**GZIP, "If-None-Match": packed.headers["ETag"]}, buffered=True
    )
    assert revisit.status_code == 304
    assert revisit.data == b""


@pytest.mark.parametrize("accept", [None, "identity", "gzip;q=0", "br"])
def test_no_gzip_unless_accepted(client, accept):
    response = client.get("/", headers={"Accept-Encoding": accept} if accept else {})
    assert "Content-Encoding" not in response.headers
    assert "<html" in response.get_data(as_text=True)


def test_small_answers_stay_uncompressed(client, idea):
    client.login("other@example.com")
    token = client.csrf_token()
    response = client.post(
        f"/ideas/{idea.id}/vote",
        data={"vote": "1", "csrf_token": token},
        headers={**GZIP, "Accept": "application/json"},
    )
    assert response.json == {"voted": True, "votes": 1}
    assert "Content-Encoding" not in response.headers
    assert "Accept-Encoding" not in response.headers.get("Vary", "")


# gunicorn


def gunicorn_config(monkeypatch, **env) -> Config:
    """The config module's settings as gunicorn would load them, with the given environment."""
    for name in ("IDEABOARD_WORKERS", "IDEABOARD_THREADS", "IDEABOARD_TRUST_PROXY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    module = runpy.run_path(ideaboard.gunicorn_conf.__file__)
    settings = {k: v for k, v in module.items() if not k.startswith("_") and k != "os"}
    config = Config()
    for name, value in settings.items():
        # Raises on a misspelt setting or a value gunicorn would refuse.
        config.set(name, value)
    return config


def test_gunicorn_defaults_follow_the_core_count(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 3)
    config = gunicorn_config(monkeypatch)
    assert config.workers == 7
    assert config.threads == 1
    assert config.worker_class_str == "sync"
    assert config.timeout == 30 and config.graceful_timeout == 30
    assert config.preload_app is False
    assert config.forwarded_allow_ips == []
    assert config.worker_tmp_dir in ("/dev/shm", None)
    # One line per request, written by the app (it knows the user and the request id).
    assert config.accesslog is None


def test_gunicorn_settings_from_the_environment(monkeypatch):
    config = gunicorn_config(
        monkeypatch, IDEABOARD_WORKERS="3", IDEABOARD_THREADS="4", IDEABOARD_TRUST_PROXY="1"
    )
    assert config.workers == 3
    assert config.threads == 4
    # gunicorn switches to threaded workers by itself when threads are asked for.
    assert config.worker_class_str == "gthread"
    assert config.forwarded_allow_ips == ["*"]
