"""Throttling counts once per machine, however many gunicorn workers serve the requests.

First the SQLite storage itself (several processes at once, expiry, clearing), then the
README's numbers against real gunicorn with several sync workers: on the default storage and
on Redis, with memory:// as the control that shows the check can fail.
"""

import multiprocessing
import os
import re
import secrets
import sqlite3
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
import redis
from limits import parse, parse_many
from limits.errors import ConfigurationError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from ideaboard.config import RATE_LIMITS
from ideaboard.ratelimit_store import SQLiteStorage, path_of
from tests.conftest import CSRF_INPUT, PASSWORD
from tests.servers import free_port, gunicorn, run_flask

REDIS_URL = os.environ.get("IDEABOARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def read_one(path: Path, sql: str):
    """One value straight from a SQLite file, bypassing the app."""
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute(sql).fetchone()[0]


def sqlite_storage(tmp_path: Path, **options) -> SQLiteStorage:
    return storage_from_string(f"sqlite:///{tmp_path / 'limits.sqlite'}", **options)


class Clock:
    """A "now" that moves only when the test says so."""

    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clocked(tmp_path) -> tuple[SQLiteStorage, Clock]:
    store = sqlite_storage(tmp_path)
    store.clock = Clock()
    return store, store.clock


# The storage


def test_the_uri_names_a_file_as_the_database_url_does():
    absolute = "sqlite:////var/lib/ideaboard/ratelimits.sqlite"
    assert path_of(absolute) == "/var/lib/ideaboard/ratelimits.sqlite"
    assert path_of("sqlite:///instance/ratelimits.sqlite") == "instance/ratelimits.sqlite"
    for wrong in ("sqlite://", "sqlite:///", "sqlite://host/limits.sqlite", "sqlite:///:memory:"):
        with pytest.raises(ConfigurationError):
            path_of(wrong)


def test_registered_with_limits_and_opened_only_when_used(tmp_path):
    store = sqlite_storage(tmp_path)
    assert isinstance(store, SQLiteStorage)
    # Nothing is opened before gunicorn forks its workers (the app is made in each worker,
    # but a command that never throttles should not make the file either).
    assert not (tmp_path / "limits.sqlite").exists()
    assert store.check()
    assert read_one(tmp_path / "limits.sqlite", "PRAGMA journal_mode") == "wal"


def test_moving_window_refuses_past_the_limit_until_the_oldest_hit_leaves(clocked):
    store, clock = clocked
    limiter = MovingWindowRateLimiter(store)
    three_a_minute = parse("3 per minute")
    start = clock.now
    for _ in range(3):
        assert limiter.hit(three_a_minute, "member")
        clock.now += 10
    assert not limiter.hit(three_a_minute, "member")
    # Free again when the first hit is a minute old: that is what Retry-After says.
    assert limiter.get_window_stats(three_a_minute, "member") == (start + 60, 0)
    clock.now = start + 60.5
    assert limiter.hit(three_a_minute, "member")
    assert not limiter.hit(three_a_minute, "member")
    # Other keys count on their own; a cost above the limit never fits.
    assert not limiter.hit(three_a_minute, "other", cost=4)
    assert limiter.hit(three_a_minute, "other", cost=3)
    assert not limiter.hit(three_a_minute, "other")


def test_fixed_window_counter(clocked):
    store, clock = clocked
    assert store.get("counter") == 0
    assert [store.incr("counter", 10) for _ in range(3)] == [1, 2, 3]
    assert store.get("counter") == 3
    assert store.get_expiry("counter") == clock.now + 10
    clock.now += 5
    # Counting on keeps the counter's first expiry, as the memory storage does.
    assert store.incr("counter", 10, amount=2) == 5
    assert store.get_expiry("counter") == clock.now + 5
    clock.now += 5
    assert store.get("counter") == 0
    assert store.get_expiry("counter") == clock.now
    assert store.incr("counter", 10) == 1


def test_expired_entries_are_deleted_so_the_file_stays_small(clocked):
    store, clock = clocked
    limiter = MovingWindowRateLimiter(store)
    per_minute = parse("2 per minute")
    # Keys used once and never again (a passing IP address): the sweep removes them.
    for number in range(500):
        assert limiter.hit(per_minute, f"ip:10.0.{number // 256}.{number % 256}")
    store.incr("counter", 60)
    assert store.entries() == 501
    clock.now += 59
    assert limiter.hit(per_minute, "member")
    assert store.entries() == 502
    clock.now += 2  # a minute after the first hits, and after the last sweep
    assert limiter.hit(per_minute, "member")
    assert store.entries() == 2
    # A busy key keeps no more than its window holds, sweep or not.
    store.sweep_seconds = float("inf")
    clock.now += 60
    for _ in range(50):
        clock.now += 31
        assert limiter.hit(per_minute, "member")
        assert store.entries() <= 2


def test_clear_one_key_and_reset_all(clocked):
    store, _ = clocked
    limiter = MovingWindowRateLimiter(store)
    once_an_hour = parse("1 per hour")
    assert limiter.hit(once_an_hour, "a") and limiter.hit(once_an_hour, "b")
    store.incr("counter", 60)
    assert not limiter.hit(once_an_hour, "a")
    limiter.clear(once_an_hour, "a")
    assert limiter.hit(once_an_hour, "a")
    assert not limiter.hit(once_an_hour, "b")
    assert store.reset() == 3
    assert store.entries() == 0
    assert limiter.hit(once_an_hour, "b")
    assert store.get("counter") == 0


PROCESSES = 6
# Every process runs through the same keys in the same order, trying each more often than its
# limit allows: each key is a fresh race at its limit (a storage that read and wrote in separate
# steps lets a few too many through in almost every run).
KEYS = 100
LIMIT = 3
TRIES = 6
INCREMENTS = 40


def hammer(uri: str, start, results) -> None:
    """One worker process: its own storage on the shared file, trying as fast as it can."""
    store = storage_from_string(uri)
    start.wait()
    won = [
        sum(store.acquire_entry(f"k{key}", LIMIT, 3600) for _ in range(TRIES))
        for key in range(KEYS)
    ]
    for _ in range(INCREMENTS):
        store.incr("counter", 3600)
    results.put(won)


def test_processes_counting_at_once_never_pass_the_limit(tmp_path):
    uri = f"sqlite:///{tmp_path / 'fresh' / 'limits.sqlite'}"
    # Forked, as gunicorn makes its workers; each opens the file itself (and they all create it
    # at the same moment).
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(PROCESSES), context.Queue()
    workers = [context.Process(target=hammer, args=(uri, start, results)) for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    try:
        won = [results.get(timeout=60) for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=30)
    assert [worker.exitcode for worker in workers] == [0] * PROCESSES
    assert [sum(per_key) for per_key in zip(*won, strict=True)] == [LIMIT] * KEYS
    store = storage_from_string(uri)
    assert store.get_moving_window("k0", LIMIT, 3600)[1] == LIMIT
    # No increment was lost either.
    assert store.get("counter") == PROCESSES * INCREMENTS


def hit_twice(store: SQLiteStorage) -> None:
    ok = store.acquire_entry("k", 3, 3600) and store.acquire_entry("k", 3, 3600)
    os._exit(0 if ok else 1)


def test_a_connection_is_not_carried_across_a_fork(tmp_path):
    store = sqlite_storage(tmp_path)
    assert store.acquire_entry("k", 3, 3600)  # the parent opens its connection
    child = multiprocessing.get_context("fork").Process(target=hit_twice, args=(store,))
    child.start()
    child.join(timeout=30)
    assert child.exitcode == 0
    assert not store.acquire_entry("k", 3, 3600)
    assert store.get_moving_window("k", 3, 3600)[1] == 3


# Real gunicorn workers

WORKERS = 3
# The README's numbers, which are config.py's: ideas per account, sign-ups per address.
IDEA_LIMIT = parse_many(RATE_LIMITS["RATELIMIT_IDEA_PER_ACCOUNT"])[0].amount
SIGN_UP_LIMIT = parse_many(RATE_LIMITS["RATELIMIT_REGISTER_PER_IP"])[0].amount
# As many ideas as the issue saw one account post in 10 seconds.
IDEAS_SENT = 18
SIGN_UPS_SENT = SIGN_UP_LIMIT + 6
CONCURRENCY = 8
MEMBER = "member@example.com"
# Every request's line in gunicorn's access log names the worker (pid) that answered it.
ACCESS_FORMAT = "served-by %(p)s %(m)s %(U)s %(s)s"
SERVED = re.compile(r"served-by <(\d+)> (\w+) (\S+) (\d+)")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Keep a 302 as the answer: for a form post it is the server's acknowledgement."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


@dataclass
class Answer:
    status: int
    headers: dict
    body: str


class Visitor:
    """A browser: cookies and form tokens, loopback only."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),
            urllib.request.HTTPCookieProcessor(self.jar),
            NoRedirect,
        )

    def send(self, path: str, form: dict | None = None, cookie: str | None = None) -> Answer:
        data = None if form is None else urllib.parse.urlencode(form).encode()
        request = urllib.request.Request(self.base_url + path, data=data)
        opener = self.opener
        if cookie is not None:
            # A fixed cookie, as a script replaying one session would send it.
            request.add_header("Cookie", cookie)
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect)
        try:
            response = opener.open(request, timeout=30)
        except urllib.error.HTTPError as answer:  # 3xx (not followed), 4xx and 5xx
            response = answer
        with response:
            return Answer(response.status, dict(response.headers), response.read().decode())

    def token(self, path: str) -> str:
        return CSRF_INPUT.search(self.send(path).body).group(1)

    def cookie(self) -> str:
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.jar)

    def burst(self, path: str, forms: list[dict]) -> list[Answer]:
        """Post every form at once over separate connections, with this visitor's cookie."""
        cookie = self.cookie()
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            return list(pool.map(lambda form: self.send(path, form, cookie), forms))


@dataclass
class Server:
    url: str
    storage: str
    log_path: Path
    database: Path
    instance: Path

    def served_by(self, method: str, path: str) -> set[int]:
        """The workers that answered these requests, from the access log."""
        lines = SERVED.findall(self.log_path.read_text())
        return {int(pid) for pid, m, p, _ in lines if (m, p) == (method, path)}

    def count(self, sql: str) -> int:
        return read_one(self.database, sql)


@pytest.fixture(scope="module")
def redis_prefix() -> Iterator[str]:
    """A key prefix of these tests' own on the suite's Redis, deleted afterwards."""
    if os.environ.get("IDEABOARD_TEST_SKIP_REDIS") == "1":
        pytest.skip("Redis tests switched off by IDEABOARD_TEST_SKIP_REDIS=1")
    client = redis.Redis.from_url(REDIS_URL)
    prefix = f"ideaboard-test-{uuid.uuid4().hex[:12]}"
    try:
        yield prefix
        assert list(client.scan_iter(match=f"*{prefix}*")), "nothing was counted in Redis"
    finally:
        keys = list(client.scan_iter(match=f"*{prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()


def storage_env(request) -> dict:
    """How the server is told where to count: nothing for the default."""
    if request.param == "redis":
        return {
            "IDEABOARD_RATELIMIT_STORAGE_URL": REDIS_URL,
            "IDEABOARD_RATELIMIT_KEY_PREFIX": request.getfixturevalue("redis_prefix"),
        }
    if request.param == "memory":
        return {"IDEABOARD_RATELIMIT_STORAGE_URL": "memory://"}
    return {}


# Shared by the tests of one storage: they post to different limits and count their own rows.
@pytest.fixture(scope="module", params=["default", "redis"])
def server(request, tmp_path_factory) -> Iterator[Server]:
    """A fresh board with one member, served by several workers of the production settings."""
    tmp_path = tmp_path_factory.mktemp(f"shared-limits-{request.param}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("IDEABOARD_RATELIMIT")}
    env |= {
        "IDEABOARD_DATABASE_URL": f"sqlite:///{tmp_path / 'ideaboard.db'}",
        "IDEABOARD_INSTANCE_PATH": str(tmp_path / "instance"),
        "IDEABOARD_SECRET_KEY": secrets.token_hex(32),
        "IDEABOARD_WORKERS": str(WORKERS),
        **storage_env(request),
    }
    run_flask(env, "init-db")
    run_flask(env, "create-user", "--email", MEMBER, "--name", "Mia", "--password", PASSWORD)
    port, log_path = free_port(), tmp_path / "gunicorn.log"
    options = ("--config", "python:ideaboard.gunicorn_conf", "--access-logfile", "-")
    with gunicorn(env, port, log_path, *options, "--access-logformat", ACCESS_FORMAT):
        server = Server(
            f"http://127.0.0.1:{port}",
            request.param,
            log_path,
            tmp_path / "ideaboard.db",
            tmp_path / "instance",
        )
        wait_until_every_worker_answers(server)
        yield server


def wait_until_every_worker_answers(server: Server) -> None:
    """Each worker loads the app after the fork: a burst now would find only the first."""
    visitor = Visitor(server.url)
    deadline = time.monotonic() + 30
    while len(server.served_by("GET", "/healthz")) < WORKERS:
        assert time.monotonic() < deadline, server.log_path.read_text()
        with ThreadPoolExecutor(2 * WORKERS) as pool:
            list(pool.map(lambda _: visitor.send("/healthz"), range(2 * WORKERS)))


def assert_exactly(answers: list[Answer], limit: int, success: int = 302) -> None:
    statuses = Counter(answer.status for answer in answers)
    assert statuses == {success: limit, 429: len(answers) - limit}, statuses
    for answer in answers:
        if answer.status == 429:
            # Try again when the oldest counted request leaves the hour's window.
            assert 0 < int(answer.headers["Retry-After"]) <= 3600


def post_ideas(server: Server) -> list[Answer]:
    """One account posts IDEAS_SENT ideas at once, as the issue's script did."""
    member = Visitor(server.url)
    login = {"email": MEMBER, "password": PASSWORD, "csrf_token": member.token("/login")}
    assert member.send("/login", login).status == 302
    token = member.token("/ideas/new")  # logging in started a new session
    forms = [
        {"title": f"Idea {n}", "body": "", "category": "0", "csrf_token": token}
        for n in range(IDEAS_SENT)
    ]
    return member.burst("/ideas/new", forms)


def test_ideas_per_account_hold_across_workers(server):
    assert IDEA_LIMIT < IDEAS_SENT < parse_many(RATE_LIMITS["RATELIMIT_IDEA_PER_IP"])[0].amount
    answers = post_ideas(server)
    assert len(server.served_by("POST", "/ideas/new")) > 1, "one worker served every post"
    assert_exactly(answers, IDEA_LIMIT)
    assert server.count("SELECT COUNT(*) FROM idea") == IDEA_LIMIT
    if server.storage == "default":
        # Counted in the instance folder's file, which every worker shares.
        assert read_one(server.instance / "ratelimits.sqlite", "SELECT COUNT(*) FROM ratelimit_hit")


def test_sign_ups_per_address_hold_across_workers(server):
    visitor = Visitor(server.url)
    token = visitor.token("/register")
    forms = [
        {
            "email": f"new{n}@example.com",
            "name": f"New {n}",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "csrf_token": token,
        }
        for n in range(SIGN_UPS_SENT)
    ]
    answers = visitor.burst("/register", forms)
    assert len(server.served_by("POST", "/register")) > 1, "one worker served every sign-up"
    assert_exactly(answers, SIGN_UP_LIMIT)
    assert server.count('SELECT COUNT(*) FROM "user"') == 1 + SIGN_UP_LIMIT


@pytest.mark.parametrize("server", ["memory"], indirect=True)
def test_control_memory_storage_counts_per_worker(server):
    """What the tests above catch: each worker counting alone lets several times through."""
    answers = post_ideas(server)
    posted = sum(answer.status == 302 for answer in answers)
    assert IDEA_LIMIT < posted <= WORKERS * IDEA_LIMIT
    assert server.count("SELECT COUNT(*) FROM idea") == posted
