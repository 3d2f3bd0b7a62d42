"""The embeddable badge in Chromium, on two other sites: one listed in
IDEABOARD_EMBED_ORIGINS shows it, and its Vote link opens the board in a new tab; one not
listed gets nothing, the browser refusing the frame. The board runs on its own here, since
the setting is read at start."""

import os
import re
import secrets
import threading
import urllib.request
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.audit import PageAudit
from tests.e2e.helpers import new_context
from tests.servers import free_port, gunicorn, run_flask

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def serve_folder(folder: Path, port: int) -> ThreadingHTTPServer:
    """A company's site: static pages from a folder, on a port (an origin) of its own."""
    server = ThreadingHTTPServer(("127.0.0.1", port), partial(QuietHandler, directory=folder))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def sites(tmp_path_factory) -> Iterator[dict]:
    tmp = tmp_path_factory.mktemp("embed")
    allowed, other = free_port(), free_port()
    env = {
        **os.environ,
        "IDEABOARD_DATABASE_URL": f"sqlite:///{tmp / 'ib.db'}",
        "IDEABOARD_INSTANCE_PATH": str(tmp / "instance"),
        "IDEABOARD_SECRET_KEY": secrets.token_hex(32),
        "IDEABOARD_RATELIMIT_ENABLED": "0",
        "IDEABOARD_EMBED_ORIGINS": f"http://127.0.0.1:{allowed}",
    }
    run_flask(env, "init-db")
    run_flask(env, "seed-demo")
    port = free_port()
    board = f"http://127.0.0.1:{port}"
    with gunicorn(env, port, tmp / "gunicorn.log", "--workers", "1"):
        with urllib.request.urlopen(board + "/", timeout=10) as answer:
            home = answer.read().decode()
        idea_id = int(re.search(r'href="/ideas/(\d+)/', home)[1])
        site = tmp / "site"
        site.mkdir()
        (site / "index.html").write_text(
            "<!doctype html><html lang=en><head><meta charset=utf-8>"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<title>Our shop</title></head><body><h1>Our new oat latte</h1>"
            f'<iframe src="{board}/embed/ideas/{idea_id}" title="The idea on our board"'
            ' width="360" height="170" style="border:0"></iframe></body></html>'
        )
        servers = [serve_folder(site, allowed), serve_folder(site, other)]
        try:
            yield {
                "board": board,
                "idea_id": idea_id,
                "allowed": f"http://127.0.0.1:{allowed}/",
                "other": f"http://127.0.0.1:{other}/",
            }
        finally:
            for server in servers:
                server.shutdown()
                server.server_close()


@pytest.mark.browser
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_listed_site_shows_the_badge_and_its_vote_link_opens_the_board(
    browser: Browser, sites: dict, viewport, tmp_path
):
    context = new_context(browser, viewport=viewport)
    page = context.new_page()
    page.goto(sites["allowed"])
    badge = page.frame_locator("iframe")
    expect(badge.locator(".embed-title")).to_be_visible()
    expect(badge.locator(".embed-votes")).to_contain_text(re.compile(r"\d+ votes?"))
    vote = badge.get_by_role("link", name=re.compile("Vote for this idea"))
    expect(vote).to_be_visible()
    page.screenshot(path=str(tmp_path / "embedded.png"))
    # The card fits the frame: no scrolling inside it.
    frame = page.frames[1]
    assert frame.evaluate("document.documentElement.scrollHeight <= window.innerHeight + 1")
    with context.expect_page() as opened:
        vote.click()
    board_tab = opened.value
    board_tab.wait_for_load_state()
    # On the board itself, top-level: a visitor logs in, then comes back to vote.
    assert board_tab.url == sites["board"] + f"/login?next=/ideas/{sites['idea_id']}/vote"
    expect(board_tab.get_by_role("button", name="Log in")).to_be_visible()
    context.close()


@pytest.mark.browser
def test_a_site_not_listed_gets_nothing(browser: Browser, sites: dict):
    context = new_context(browser)
    page = context.new_page()
    refused = []
    page.on("console", lambda message: refused.append(message.text))
    page.goto(sites["other"])
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", name="Our new oat latte")).to_be_visible()
    assert page.frame_locator("iframe").locator(".embed-card").count() == 0
    assert any("frame-ancestors" in text for text in refused), refused
    context.close()


@pytest.mark.browser
def test_the_badge_is_valid_and_accessible(browser: Browser, sites: dict, tmp_path):
    audit = PageAudit(browser, tmp_path)
    context = new_context(browser)
    page = context.new_page()
    for path, name in (
        (f"/embed/ideas/{sites['idea_id']}", "badge"),
        ("/embed/ideas/9999", "gone"),
    ):
        page.goto(sites["board"] + path)
        audit.check(page, name, javascript=True)
    problems = audit.problems()
    assert problems == []
    context.close()
    audit.close()
