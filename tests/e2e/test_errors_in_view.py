"""A form sent back with errors shows its first error on screen, with the cursor in that field.

On a phone (390 × 844) the comment and status forms sit far below the top of an idea's page:
the failed page must not open at the top, where nothing says what went wrong.
"""

import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import LiveServer
from tests.e2e.helpers import IDEA_URL, log_in, new_context

PHONE = {"width": 390, "height": 844}
# Enough text that the forms under it start well below the first screen.
LONG_BODY = "\n\n".join(
    f"Paragraph {n}: most mornings the queue is long, and a quicker way would help."
    for n in range(12)
)


def assert_first_error_in_view(page: Page, field_id: str) -> None:
    error = page.locator(f"#{field_id}-error")
    expect(error).to_be_visible()
    box = error.bounding_box()
    height = page.viewport_size["height"]
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, (box, height)
    assert page.evaluate("document.activeElement.id") == field_id
    assert page.evaluate("document.activeElement.getAttribute('aria-invalid')") == "true"


@pytest.mark.browser
def test_errors_are_in_view_on_a_phone(browser: Browser, live_server: LiveServer, javascript):
    context = new_context(browser, viewport=PHONE, java_script_enabled=javascript)
    page = context.new_page()
    page.goto(live_server.url + "/login")
    # A wrong password: the page marks no field autofocus, so only app.js moves the cursor.
    log_in(page, live_server.staff_email, "not the password")
    expect(page.locator("#password-error")).to_be_visible()
    focused = page.evaluate("document.activeElement.id")
    assert focused == ("password" if javascript else ""), focused
    log_in(page, live_server.staff_email, live_server.staff_password)

    # An idea without a title.
    page.get_by_role("link", name="Post an idea", exact=True).click()
    page.get_by_label("Details").fill("No title this time.")
    page.get_by_role("button", name="Post idea").click()
    assert_first_error_in_view(page, "title")

    # Fixed on the same form, with enough text to push the forms below far down.
    page.get_by_label("Title").fill(f"Shorter queues at 8am {uuid.uuid4().hex[:6]}")
    page.get_by_label("Details").fill(LONG_BODY)
    page.get_by_role("button", name="Post idea").click()
    expect(page).to_have_url(IDEA_URL)
    idea_url = page.url

    # An empty comment.
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator("#body-error")).to_have_text("This field is required.")
    assert page.evaluate("window.scrollY") > 0  # the form is far down: the page moved to it
    assert_first_error_in_view(page, "body")

    # A status change without its public note.
    page.goto(idea_url)
    panel = page.get_by_role("region", name="Change status")
    panel.get_by_label("New status").select_option(label="Accepted")
    panel.get_by_role("button", name="Change status and publish note").click()
    expect(page.locator("#note-error")).to_be_visible()
    assert_first_error_in_view(page, "note")
    context.close()
