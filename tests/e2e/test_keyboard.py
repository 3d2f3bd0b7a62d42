"""Keyboard only: post an idea, vote and comment with Tab, Enter and Space."""

import re
import uuid

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.conftest import LiveServer
from tests.e2e.helpers import IDEA_URL, new_context, sign_up, unique_email, vote_button

# Enough for the longest way from the top of a page to the element we look for.
MAX_TABS = 40
FOCUS_STYLE = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {
    element: el.outerHTML.slice(0, 80),
    keyboard: el.matches(':focus-visible'),
    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
    shadow: style.boxShadow !== 'none',
  };
}"""


def tab_to(page: Page, target: Locator) -> None:
    """Press Tab until the target has focus; every element passed on the way shows focus."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS_STYLE)
        assert focus["keyboard"] and (focus["outline"] or focus["shadow"]), focus
        if target.evaluate("el => el === document.activeElement"):
            return
    pytest.fail(f"{target} not reached in {MAX_TABS} presses of Tab")


def expect_field_error(field: Locator, message: str) -> None:
    """The field is marked invalid and its description, read out with it, is the error."""
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile(re.escape(message)))
    error_ids = field.get_attribute("aria-describedby").split()
    page = field.page
    assert message in [page.locator(f"#{error_id}").inner_text() for error_id in error_ids]


@pytest.mark.browser
def test_post_vote_and_comment_with_the_keyboard(browser: Browser, live_server: LiveServer):
    """Tab, Enter and Space alone post an idea (after a form error), vote, unvote and comment."""
    context = new_context(browser)
    page = context.new_page()
    page.goto(live_server.url + "/")
    sign_up(page, unique_email("keys"), "Kai Keyboard")
    title = f"Bigger print on receipts {uuid.uuid4().hex[:6]}"
    body = "Hard to read without glasses."

    tab_to(page, page.get_by_role("link", name="Post an idea", exact=True))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Post an idea")
    # The title field takes focus on arrival, so typing starts there.
    expect(page.get_by_label("Title")).to_be_focused()
    tab_to(page, page.get_by_label("Details"))
    page.keyboard.type(body)
    tab_to(page, page.get_by_role("button", name="Post idea"))
    page.keyboard.press("Enter")
    expect_field_error(page.get_by_label("Title"), "This field is required.")
    expect(page.get_by_label("Details")).to_have_value(body)

    # The first invalid field has the focus when the form comes back: typing fixes it.
    expect(page.get_by_label("Title")).to_be_focused()
    page.keyboard.type(title)
    tab_to(page, page.get_by_role("button", name="Post idea"))
    page.keyboard.press("Space")
    expect(page).to_have_url(IDEA_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text(title)

    button = vote_button(page)
    expect(button).to_have_accessible_name(f"0 Vote for: {title}")
    tab_to(page, button)
    page.keyboard.press("Space")
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button.locator("[data-vote-count]")).to_have_text("1")
    # Voting happens in place: the keyboard user is still on the button to undo it.
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(button.locator("[data-vote-count]")).to_have_text("0")

    comment = page.get_by_label("Your comment")
    tab_to(page, page.get_by_role("button", name="Post comment"))
    page.keyboard.press("Enter")
    expect_field_error(comment, "This field is required.")
    expect(comment).to_be_focused()
    page.keyboard.type("Yes, and a larger font on the app too.")
    tab_to(page, page.get_by_role("button", name="Post comment"))
    page.keyboard.press("Enter")
    expect(page.locator(".flash")).to_contain_text("Your comment is posted.")
    expect(page.locator(".comment .prose")).to_have_text("Yes, and a larger font on the app too.")
    context.close()
