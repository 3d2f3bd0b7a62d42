"""At 390 px: a long display name shows whole in the header, and no page scrolls sideways."""

import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import LiveServer
from tests.e2e.helpers import log_in, new_context, post_idea, sign_up, unique_email

PHONE = {"width": 390, "height": 844}
LONG_NAME = "Maximiliana Papadopoulou-Smythe"


def assert_no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width


@pytest.mark.browser
def test_signed_in_header_and_triage_fit_a_phone(browser: Browser, live_server: LiveServer):
    context = new_context(browser, viewport=PHONE)
    page = context.new_page()
    page.goto(live_server.url + "/")
    sign_up(page, unique_email("maxi"), LONG_NAME)
    assert_no_sideways_scroll(page)
    who = page.locator(".site-header .who")
    expect(who).to_have_text(LONG_NAME)
    # Shown whole: nothing clipped, nothing cut off with an ellipsis.
    assert who.evaluate("el => el.scrollWidth <= el.clientWidth")
    header = page.locator(".site-header").bounding_box()
    box = who.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= header["width"]
    # "Log out" stays on one line, beside "Account".
    log_out = page.get_by_role("button", name="Log out")
    line = log_out.evaluate("el => parseFloat(getComputedStyle(el).lineHeight)")
    assert log_out.bounding_box()["height"] < 1.5 * line
    account = page.get_by_role("link", name="Account", exact=True).bounding_box()
    assert abs(account["y"] - log_out.bounding_box()["y"]) < line
    context.close()

    staff = new_context(browser, viewport=PHONE)
    page = staff.new_page()
    page.goto(live_server.url + "/login")
    log_in(page, live_server.staff_email, live_server.staff_password)
    post_idea(page, f"A very long idea title about receipts by email {uuid.uuid4().hex}", "")
    page.goto(live_server.url + "/staff/triage")
    expect(page.locator(".triage-wait").first).to_contain_text("waiting")
    assert_no_sideways_scroll(page)
    table = page.locator(".table-wrap")
    assert table.evaluate("el => el.scrollWidth <= el.clientWidth")
    staff.close()
