"""Steps the browser tests share: sign up, log in, post, vote, change a status."""

import re
import uuid

from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

PASSWORD = "correct horse battery staple"
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
    fill_sign_up(page, email, name)


def fill_sign_up(page: Page, email: str, name: str) -> None:
    """Fill and send the sign-up form the page is on."""
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


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.locator(".flash")).to_contain_text("You are logged out.")


def post_idea(page: Page, title: str, body: str) -> str:
    """Post from the front page; return the idea page's URL."""
    page.get_by_role("link", name="Post an idea", exact=True).click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Details").fill(body)
    page.get_by_role("button", name="Post idea").click()
    expect(page).to_have_url(IDEA_URL)
    return page.url


def vote_button(page: Page) -> Locator:
    return page.locator("form[data-vote-form] button")


def accept_idea(page: Page, note: str) -> None:
    """As staff, on the idea page: move it to Accepted with a public note."""
    panel = page.get_by_role("region", name="Change status")
    panel.get_by_label("New status").select_option(label="Accepted")
    panel.get_by_label("Public note").fill(note)
    panel.get_by_role("button", name="Change status and publish note").click()
    expect(page.locator(".flash")).to_contain_text("Status changed to “Accepted”")
