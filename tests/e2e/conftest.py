"""Browser tests: the real app under gunicorn, driven by the system Chromium through Playwright."""

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.e2e.audit import AXE_JS, VNU_JAR, PageAudit

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# The venv's own tools, whichever venv runs pytest (CI and local runs differ).
BIN = Path(sys.executable).parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    # Nothing but the app under test should use the network or the disk's profile.
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
STAFF_EMAIL = "pm@example.com"
STAFF_NAME = "Priya PM"
STARTUP_SECONDS = 20
STOP_SECONDS = 10


@dataclass(frozen=True)
class LiveServer:
    url: str
    staff_email: str
    staff_password: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _run_flask(env: dict, *args: str) -> None:
    result = subprocess.run(
        [str(BIN / "flask"), "--app", "ideaboard", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if result.returncode != 0:
        pytest.fail(f"flask {args[0]} failed:\n{result.stdout}\n{result.stderr}")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_SECONDS)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    """A fresh SQLite database with one staff account, served by two gunicorn workers."""
    tmp = tmp_path_factory.mktemp("live")
    password = secrets.token_urlsafe(16)
    env = {
        **os.environ,
        "IDEABOARD_DATABASE_URL": f"sqlite:///{tmp / 'ib.db'}",
        "IDEABOARD_INSTANCE_PATH": str(tmp / "instance"),
        "IDEABOARD_SECRET_KEY": secrets.token_hex(32),
        # The journeys sign up, log in and post far faster than any person would.
        "IDEABOARD_RATELIMIT_ENABLED": "0",
    }
    _run_flask(env, "init-db")
    _run_flask(
        env,
        "create-user",
        *("--email", STAFF_EMAIL, "--name", STAFF_NAME),
        *("--password", password, "--role", "staff"),
    )

    port = _free_port()
    log_path = tmp / "gunicorn.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                *(str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "2"),
                # Gunicorn 27 otherwise takes over ~/.gunicorn/gunicorn.ctl, and deletes it on
                # exit, from under any other gunicorn on the machine (e.g. `make run`).
                *("--no-control-socket", "wsgi:app"),
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _port_answers(port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not start on port {port}:\n{log_path.read_text()}")
            time.sleep(0.1)
        yield LiveServer(f"http://127.0.0.1:{port}", STAFF_EMAIL, password)
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install the Debian package chromium"
        if os.environ.get("IDEABOARD_TEST_SKIP_BROWSER") == "1":
            pytest.skip(message)
        pytest.fail(message + " (or set IDEABOARD_TEST_SKIP_BROWSER=1 to skip locally)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def page_audit(browser: Browser, tmp_path_factory) -> Iterator[PageAudit]:
    """Shared by the journeys, which add pages, and the test that judges them all at once."""
    for tool in (AXE_JS, VNU_JAR):
        if not tool.exists():
            pytest.fail(f"{tool} is missing: run `npm ci --ignore-scripts` in {PROJECT_ROOT}")
    audit = PageAudit(browser, tmp_path_factory.mktemp("pages"))
    yield audit
    audit.close()
