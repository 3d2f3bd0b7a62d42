"""Browser tests: the real app under gunicorn, driven by the system Chromium through Playwright."""

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.e2e.audit import AXE_JS, VNU_JAR, PageAudit
from tests.servers import PROJECT_ROOT, free_port, gunicorn, run_flask

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


@dataclass(frozen=True)
class LiveServer:
    url: str
    staff_email: str
    staff_password: str
    # The server's environment: commands such as the worker run against the same board.
    env: dict = field(default_factory=dict, repr=False)

    def work(self) -> str:
        """What the background worker would do now: fan-out, digests, mail (to .eml files)."""
        return run_flask(self.env, "worker", "--once")

    @property
    def mail_folder(self) -> Path:
        return Path(self.env["IDEABOARD_INSTANCE_PATH"]) / "mail"


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
    run_flask(env, "init-db")
    run_flask(
        env,
        "create-user",
        *("--email", STAFF_EMAIL, "--name", STAFF_NAME),
        *("--password", password, "--role", "staff"),
    )

    port = free_port()
    with gunicorn(env, port, tmp / "gunicorn.log", "--workers", "2"):
        yield LiveServer(f"http://127.0.0.1:{port}", STAFF_EMAIL, password, env)


@pytest.fixture(params=[True, False], ids=["js", "no-js"])
def javascript(request) -> bool:
    """Each journey twice: with JavaScript, and without (every page must work without)."""
    return request.param


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
