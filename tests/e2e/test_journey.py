"""What customers and staff do in a real browser, with and without JavaScript."""

import re
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import feedparser
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import LiveServer

PASSWORD = "correct horse battery staple"
SCREENSHOTS = Path(__file__).parent / "screenshots"
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
IDEA_URL = re.compile(r"/ideas/(\d+)/[a-z0-9-]+$")
# Fail in seconds, not after Playwright's default 30 s, when a page lacks what we look for.
TIMEOUT_MS = 10_000


def new_context(browser: Browser, **options) -> BrowserContext:
    context = browser.new_context(**options)
    context.set_default_timeout(TIMEOUT_MS)
    return context


def unique_email(prefix: str) -> str:
    # One server serves the whole session, so every test signs up its own people.
    return f"{prefix}-{uuid.uuid4().hex[:8]}@example.com"


def sign_up(page: Page, email: str, name: str) -> None:
    """From any page, through the header's "Sign up" link."""
    page.get_by_role("link", name="Sign up", exact=True).click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Display name").fill(name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator(".flash")).to_contain_text(f"Welcome, {name}!")


def log_in(page: Page, email: str, password: str) -> None:
    """Fill the login form the page is on."""
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()


def post_idea(page: Page, title: str, body: str) -> str:
    """Post from the front page; return the idea page's URL."""
    page.get_by_role("link", name="Post an idea", exact=True).click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Details").fill(body)
    page.get_by_role("button", name="Post idea").click()
    expect(page).to_have_url(IDEA_URL)
    return page.url


def vote_button(page: Page):
    return page.locator("form[data-vote-form] button")


def accept_idea(page: Page, note: str) -> None:
    """As staff, on the idea page: move it to Accepted with a public note."""
    panel = page.get_by_role("region", name="Change status")
    panel.get_by_label("New status").select_option(label="Accepted")
    panel.get_by_label("Public note").fill(note)
    panel.get_by_role("button", name="Change status and publish note").click()
    expect(page.locator(".flash")).to_contain_text("Status changed to “Accepted”")


@pytest.mark.browser
def test_customer_and_staff_journey(browser: Browser, live_server: LiveServer):
    context = new_context(browser)
    page = context.new_page()
    title = f"Oat milk at every counter {uuid.uuid4().hex[:6]}"
    body = "Please stock **oat milk** everywhere.\n\n- kinder to cows\n- lasts longer"

    page.goto(live_server.url + "/")
    sign_up(page, unique_email("cleo"), "Cleo Customer")

    page.get_by_role("link", name="Post an idea", exact=True).click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Details").fill(body)
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("region", name="Preview")
    expect(preview.locator(".prose strong")).to_have_text("oat milk")
    expect(preview.locator(".prose li")).to_have_text(["kinder to cows", "lasts longer"])
    expect(preview).not_to_contain_text("**")
    # The preview keeps what was typed, so posting needs no retyping.
    expect(page.get_by_label("Title")).to_have_value(title)
    page.get_by_role("button", name="Post idea").click()

    expect(page).to_have_url(IDEA_URL)
    idea_url = page.url
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator("article .prose strong")).to_have_text("oat milk")

    # With JavaScript the vote is a fetch: the page must not navigate or reload.
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    page.evaluate("window.sameDocument = true")
    button = vote_button(page)
    expect(button.locator("[data-vote-count]")).to_have_text("0")
    expect(button).to_have_attribute("aria-pressed", "false")
    with page.expect_response(lambda r: r.url.endswith("/vote")) as vote_response:
        button.click()
    assert vote_response.value.headers["content-type"].startswith("application/json")
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button.locator("[data-vote-count]")).to_have_text("1")
    expect(button.locator(".vote-label")).to_have_text("Voted")
    assert page.url == idea_url
    assert navigations == []
    assert page.evaluate("window.sameDocument") is True

    # The server kept the vote: a fresh load shows it too.
    page.reload()
    expect(vote_button(page)).to_have_attribute("aria-pressed", "true")
    expect(vote_button(page).locator("[data-vote-count]")).to_have_text("1")

    page.get_by_role("button", name="Log out").click()
    expect(page.locator(".flash")).to_contain_text("You are logged out.")
    page.get_by_role("link", name="Log in", exact=True).click()
    log_in(page, live_server.staff_email, live_server.staff_password)
    expect(page.locator(".flash")).to_contain_text("Welcome back, Priya PM.")

    page.get_by_role("link", name=title).click()
    expect(page).to_have_url(idea_url)
    note = "Yes! Oat milk arrives in **March**, starting with the city stores."
    accept_idea(page, note)

    entry = page.locator("#history li.official")
    expect(entry).to_have_count(1)
    expect(entry.locator("strong").first).to_have_text("Priya PM")
    expect(entry.locator(".badge-staff")).to_have_text("Official")
    expect(entry.locator(".prose")).to_have_text(
        "Yes! Oat milk arrives in March, starting with the city stores."
    )
    expect(entry.locator(".prose strong")).to_have_text("March")
    expect(page.locator(".idea .meta .badge").first).to_have_text("Accepted")

    page.goto(live_server.url + "/roadmap")
    accepted = page.locator("section.column", has=page.locator("h2#col-accepted"))
    expect(accepted.get_by_role("link", name=title)).to_be_visible()
    expect(page.locator("section.column", has_text=title)).to_have_count(1)

    response = page.request.get(live_server.url + "/feeds/accepted.rss")
    assert response.ok
    feed = feedparser.parse(response.body())
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert title in [entry.title for entry in feed.entries]
    context.close()


@pytest.mark.browser
def test_voting_without_javascript(browser: Browser, live_server: LiveServer):
    email = unique_email("nojs")
    title = f"Quieter music after 8pm {uuid.uuid4().hex[:6]}"
    member = new_context(browser, java_script_enabled=False)
    page = member.new_page()
    page.goto(live_server.url + "/")
    sign_up(page, email, "Noah NoScript")
    idea_url = post_idea(page, title, "Easier to talk.")
    idea_path = "/ideas/" + IDEA_URL.search(idea_url).group(1)

    # A plain form POST, then the redirect back to the idea shows the new count.
    button = vote_button(page)
    expect(button.locator("[data-vote-count]")).to_have_text("0")
    with page.expect_navigation():
        button.click()
    expect(page).to_have_url(idea_url)
    expect(page.locator(".flash")).to_contain_text("Thanks for your vote!")
    expect(vote_button(page).locator("[data-vote-count]")).to_have_text("1")
    expect(vote_button(page)).to_have_attribute("aria-pressed", "true")
    member.close()

    # Anonymous: voting asks to log in first, then comes back to the idea.
    anonymous = new_context(browser, java_script_enabled=False)
    page = anonymous.new_page()
    page.goto(idea_url)
    vote_button(page).click()
    expect(page).to_have_url(re.compile(r"/login\?"))
    login_url = urlsplit(page.url)
    assert (login_url.path, parse_qs(login_url.query)["next"]) == ("/login", [idea_path])
    expect(page.locator(".flash")).to_contain_text("Please log in to do that.")
    log_in(page, email, PASSWORD)
    expect(page).to_have_url(live_server.url + idea_path)
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    # Logging in does not replay the vote that was refused: the count is still the member's one.
    expect(vote_button(page).locator("[data-vote-count]")).to_have_text("1")
    anonymous.close()


@pytest.mark.browser
def test_screenshots(browser: Browser, live_server: LiveServer):
    """Key pages at phone and desktop widths, saved for a human to look at."""
    staff = new_context(browser)
    page = staff.new_page()
    page.goto(live_server.url + "/login")
    log_in(page, live_server.staff_email, live_server.staff_password)
    idea_url = post_idea(
        page,
        "Let us reorder a past order in one tap, even on a small screen",
        "Most weeks I order **the same three things**.\n\n"
        "A *Reorder* button on each past order would save me a minute every time.",
    )
    accept_idea(page, "Good one. We are building it **this quarter**.")
    staff.close()

    SCREENSHOTS.mkdir(exist_ok=True)
    pages = {"home": "/", "idea": idea_url, "roadmap": "/roadmap", "login": "/login"}
    for size, viewport in VIEWPORTS.items():
        context = new_context(browser, viewport=viewport)
        page = context.new_page()
        for name, url in pages.items():
            path = SCREENSHOTS / f"{name}-{size}.png"
            # A file left over from an earlier run must not pass for this run's.
            path.unlink(missing_ok=True)
            response = page.goto(url if url.startswith("http") else live_server.url + url)
            assert response.status == 200, (url, response.status)
            page.screenshot(path=path, full_page=True)
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path
            assert path.stat().st_size > 1000, path
        context.close()
