"""Sign in with OpenID Connect in Chromium, against the tests' own provider: a new person
continues with it from the login page and lands logged in (with and without JavaScript); on a
phone, the owner of an existing account links it only after entering their password. Every
page is checked with vnu and axe; screenshots go to /tmp for a look."""

import os
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.audit import PageAudit
from tests.e2e.helpers import PASSWORD, log_out, new_context, unique_email
from tests.oidc_provider import Person, Provider, running_provider
from tests.servers import free_port, gunicorn, run_flask

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 800}
SCREENSHOTS = Path("/tmp")
LABEL = "Acme ID"


@dataclass(frozen=True)
class OidcBoard:
    url: str
    provider: Provider
    env: dict = field(repr=False)


@pytest.fixture(scope="module")
def board(tmp_path_factory) -> Iterator[OidcBoard]:
    """The app under gunicorn, configured with the provider the way an operator would."""
    tmp = tmp_path_factory.mktemp("oidc")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with running_provider(url + "/oidc/acme/callback") as provider:
        env = {
            **os.environ,
            "IDEABOARD_DATABASE_URL": f"sqlite:///{tmp / 'ib.db'}",
            "IDEABOARD_INSTANCE_PATH": str(tmp / "instance"),
            "IDEABOARD_SECRET_KEY": secrets.token_hex(32),
            "IDEABOARD_RATELIMIT_ENABLED": "0",
            # The callback address registered at the provider starts with it.
            "IDEABOARD_BASE_URL": url,
            "IDEABOARD_OIDC_PROVIDERS": "acme",
            "IDEABOARD_OIDC_ACME_ISSUER": provider.issuer,
            "IDEABOARD_OIDC_ACME_CLIENT_ID": provider.client_id,
            "IDEABOARD_OIDC_ACME_CLIENT_SECRET": provider.client_secret,
            "IDEABOARD_OIDC_ACME_LABEL": LABEL,
        }
        run_flask(env, "init-db")
        with gunicorn(env, port, tmp / "gunicorn.log", "--workers", "2"):
            yield OidcBoard(url, provider, env)


def assert_fits(page: Page, width: int) -> None:
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, (page.url, scroll_width)


def continue_button(page: Page):
    return page.get_by_role("button", name=f"Continue with {LABEL}")


def judge(audit: PageAudit) -> None:
    problems = audit.problems()
    assert not problems, "\n".join(problems)


@pytest.mark.browser
def test_a_new_person_continues_with_the_provider(
    browser: Browser, board: OidcBoard, javascript, tmp_path
):
    mode = "js" if javascript else "no-js"
    uid = uuid.uuid4().hex[:6]
    name = f"Noor New {uid}"
    board.provider.person = Person(f"noor-{uid}", f"noor-{uid}@example.com", True, name)
    audit = PageAudit(browser, tmp_path)
    context = new_context(browser, viewport=DESKTOP, java_script_enabled=javascript)
    page = context.new_page()
    try:
        page.goto(board.url + "/login?next=/roadmap")
        expect(continue_button(page)).to_be_visible()
        audit.check(page, "login with a provider", javascript)
        page.screenshot(path=SCREENSHOTS / f"oidc-login-desktop-{mode}.png", full_page=True)

        # The browser goes to the provider and back (the page's CSP must let it).
        continue_button(page).click()
        expect(page).to_have_url(board.url + "/roadmap")
        expect(page.locator(".flash")).to_contain_text(f"Welcome, {name}!")
        expect(page.locator(".site-header .who")).to_have_text(name)

        page.get_by_role("link", name="Account", exact=True).click()
        section = page.get_by_role("region", name="Linked accounts")
        expect(section).to_contain_text(f"{LABEL} (noor-{uid}@example.com)")
        # No password yet: the only way in stays linked.
        expect(section).to_contain_text("This is your only way to log in")
        expect(section.get_by_role("button", name=f"Unlink {LABEL}")).to_have_count(0)
        audit.check(page, "account with a linked provider", javascript)
        section.screenshot(path=SCREENSHOTS / f"oidc-account-desktop-{mode}.png")

        # Back another day: straight in.
        log_out(page)
        page.goto(board.url + "/login")
        continue_button(page).click()
        expect(page.locator(".flash")).to_contain_text(f"Welcome back, {name}.")

        # An answer this browser never asked for: a page that says so, not an error.
        log_out(page)
        page.goto(board.url + "/oidc/acme/callback?code=stolen&state=forged")
        heading = page.get_by_role("heading", name=f"Signing in with {LABEL} did not work")
        expect(heading).to_be_visible()
        audit.check(page, "sign-in refused", javascript)
        page.screenshot(path=SCREENSHOTS / f"oidc-refused-desktop-{mode}.png")
    finally:
        context.close()
    judge(audit)
    audit.close()


@pytest.mark.browser
def test_an_existing_account_is_linked_after_its_password_on_a_phone(
    browser: Browser, board: OidcBoard, tmp_path
):
    email, name = unique_email("lee"), "Lee Longname-Lindqvist"
    run_flask(board.env, "create-user", "--email", email, "--name", name, "--password", PASSWORD)
    board.provider.person = Person(f"lee-{uuid.uuid4().hex[:6]}", email, True, "Lee at Acme")
    audit = PageAudit(browser, tmp_path)
    context = new_context(browser, viewport=PHONE)
    page = context.new_page()

    def check(page_name: str, screenshot: str) -> None:
        assert_fits(page, PHONE["width"])
        audit.check(page, page_name, True)
        page.screenshot(path=SCREENSHOTS / f"oidc-{screenshot}-phone.png", full_page=True)

    try:
        page.goto(board.url + "/register")
        expect(continue_button(page)).to_be_visible()
        check("sign-up with a provider", "register")
        page.goto(board.url + "/login")
        continue_button(page).click()

        expect(page).to_have_url(board.url + "/oidc/confirm")
        expect(page.get_by_role("heading", name=f"Link your {LABEL} account")).to_be_visible()
        expect(page.get_by_label("Account")).to_have_value(email)
        check("link confirmation", "confirm")

        page.get_by_label("Password", exact=True).fill("not my password at all")
        page.get_by_role("button", name="Link and log in").click()
        error = page.locator("#password-error")
        expect(error).to_contain_text("That is not the password of this account.")
        check("link confirmation with an error", "confirm-error")
        expect(page.get_by_role("link", name="Log in", exact=True)).to_be_visible()

        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Link and log in").click()
        expect(page.locator(".flash")).to_contain_text(f"{LABEL} is linked")
        expect(page.locator(".site-header .who")).to_have_text(name)

        page.get_by_role("link", name="Account", exact=True).click()
        section = page.get_by_role("region", name="Linked accounts")
        expect(section.get_by_role("button", name=f"Unlink {LABEL}")).to_be_visible()
        check("account with an unlink button", "account")
        section.screenshot(path=SCREENSHOTS / "oidc-account-section-phone.png")

        log_out(page)
        page.goto(board.url + "/login")
        continue_button(page).click()
        expect(page.locator(".flash")).to_contain_text(f"Welcome back, {name}.")
    finally:
        context.close()
    judge(audit)
    audit.close()
