"""Search in a real browser, with and without JavaScript: the header's box on a phone and on a
desktop, the results and nothing-found pages (Nu checker and axe), and the ideas like the one
being posted, voted for from the suggestion instead of posting a duplicate."""

import re
import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.audit import PageAudit
from tests.e2e.conftest import LiveServer
from tests.e2e.helpers import IDEA_URL, new_context, post_idea, sign_up, unique_email

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def posted(browser: Browser, live_server: LiveServer) -> dict:
    """Two ideas by one customer, with a word nobody else uses."""
    word = f"quokka{uuid.uuid4().hex[:6]}"
    context = new_context(browser)
    page = context.new_page()
    page.goto(live_server.url + "/")
    sign_up(page, unique_email("poster"), "Pat Poster")
    first = post_idea(page, f"Oat milk for the {word}", "Creamy and cold.")
    page.goto(live_server.url + "/")
    second = post_idea(page, "Longer opening hours", f"Our {word} club meets at 7.")
    context.close()
    return {"word": word, "first": first, "second": second}


def audit_problems(audit: PageAudit) -> list[str]:
    return [
        f"{name}: {kind} {message}"
        for name, messages in audit.validate_html().items()
        for kind, found in (("vnu", messages), ("axe", audit.axe.get(name, [])))
        for message in found
    ]


def search_from_header(page: Page, text: str) -> None:
    box = page.get_by_role("searchbox", name="Search ideas")
    expect(box).to_be_visible()
    box.fill(text)
    box.press("Enter")


@pytest.mark.browser
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_searching_from_the_header(
    browser: Browser, live_server: LiveServer, posted: dict, javascript: bool, viewport, tmp_path
):
    audit = PageAudit(browser, tmp_path)
    context = new_context(browser, java_script_enabled=javascript, viewport=viewport)
    page = context.new_page()
    size = "phone" if viewport is PHONE else "desktop"
    try:
        page.goto(live_server.url + "/?status=under_review")
        box = page.get_by_role("searchbox", name="Search ideas").bounding_box()
        # On a phone the box has a row of its own, wide enough to type in, and on screen.
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
        assert box["width"] >= (250 if viewport is PHONE else 150)
        search_from_header(page, f"{posted['word']} -zzz")
        expect(page).to_have_url(re.compile(r"status=under_review"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Search results")
        rows = page.locator(".idea-row")
        expect(rows).to_have_count(2)
        # Best match: the title match first, then the description's, each word marked.
        expect(rows.nth(0).locator(".idea-title mark")).to_have_text(posted["word"])
        expect(rows.nth(1).locator(".excerpt mark")).to_have_text(posted["word"])
        audit.check(page, f"{size} search results", javascript)

        page.get_by_role("link", name="New", exact=True).click()
        expect(page).to_have_url(re.compile(r"sort=new"))
        expect(rows.nth(0).locator(".idea-title")).to_have_text("Longer opening hours")

        search_from_header(page, '*** AND ( " -')
        expect(page.get_by_role("heading", name="Nothing to search for")).to_be_visible()
        search_from_header(page, f"{posted['word']} walrus")
        expect(page.get_by_role("heading", level=2)).to_contain_text("No ideas match")
        audit.check(page, f"{size} nothing found", javascript)
        page.get_by_role("link", name="Search all ideas").click()
        expect(page).to_have_url(re.compile(r"show=all"))
        assert "status=" not in page.url
    finally:
        context.close()
    problems = audit_problems(audit)
    audit.close()
    assert not problems, "\n".join(problems)


@pytest.mark.browser
def test_similar_ideas_while_typing_and_voting_from_one(
    browser: Browser, live_server: LiveServer, posted: dict
):
    context = new_context(browser, viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/")
        sign_up(page, unique_email("typist"), "Tia Typist")
        page.get_by_role("link", name="Post an idea", exact=True).click()
        suggestions = page.locator("#similar-live")
        expect(suggestions).to_be_hidden()
        page.get_by_label("Title").press_sequentially(f"{posted['word']} oat drinks", delay=20)
        expect(suggestions).to_be_visible()
        item = suggestions.locator(".similar-item").filter(has_text="Oat milk for the")
        expect(item).to_have_count(1)
        expect(page.locator("[data-similar-status]")).to_contain_text("like yours")
        # Right under the title, where the eye is, even on a phone.
        title_box = page.get_by_label("Title").bounding_box()
        assert 0 < suggestions.bounding_box()["y"] - title_box["y"] < 200
        expect(item.get_by_role("button", name=re.compile("Vote for: Oat milk"))).to_be_visible()
        button = item.locator("button.vote-button")
        button.click()
        expect(button).to_have_attribute("aria-pressed", "true")
        expect(item.locator("[data-vote-count]")).to_have_text("1")
        # Still on the form, with what was typed: nothing was posted.
        expect(page.get_by_label("Title")).to_have_value(f"{posted['word']} oat drinks")
        page.goto(posted["first"])
        expect(page.locator("form[data-vote-form] button")).to_have_attribute(
            "aria-pressed", "true"
        )
    finally:
        context.close()


@pytest.mark.browser
def test_similar_ideas_on_the_preview_without_javascript(
    browser: Browser, live_server: LiveServer, posted: dict, tmp_path
):
    audit = PageAudit(browser, tmp_path)
    context = new_context(browser, java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/")
        sign_up(page, unique_email("nojs"), "Noa Nojs")
        page.get_by_role("link", name="Post an idea", exact=True).click()
        title = f"oat MILK for the   {posted['word']}"
        page.get_by_label("Title").fill(title)
        page.get_by_role("button", name="Preview").click()
        warning = page.get_by_role("region", name="This idea is already on the board")
        expect(warning).to_contain_text(f"Oat milk for the {posted['word']}")
        suggestions = page.get_by_role("region", name="Already suggested?")
        # Other tests' oat milk ideas may be listed too (the server is shared): this one, once.
        ours = suggestions.locator(".similar-item").filter(has_text=posted["word"])
        expect(ours).to_have_count(1)
        expect(ours).to_contain_text("Same title")
        audit.check(page, "preview with similar ideas", False)

        # Posting the same title anyway needs a tick; the error is in view on a phone.
        page.get_by_role("button", name="Post idea").click()
        error = page.locator("#title-error")
        expect(error).to_contain_text("An open idea already has this title")
        expect(error).to_be_in_viewport()
        audit.check(page, "duplicate refused", False)

        # Voting from the warning instead: the idea's page says so.
        warning.get_by_role("button", name=re.compile("Vote for: Oat milk")).click()
        expect(page).to_have_url(IDEA_URL)
        expect(page.locator(".flash")).to_contain_text("Thanks for your vote!")
        assert page.url.split("/ideas/")[1] == posted["first"].split("/ideas/")[1]

        # Or posting it anyway, once ticked.
        page.goto(live_server.url + "/ideas/new")
        page.get_by_label("Title").fill(title)
        page.get_by_role("button", name="Post idea").click()
        page.get_by_label("Post mine anyway").check()
        page.get_by_role("button", name="Post idea").click()
        expect(page).to_have_url(IDEA_URL)
        assert page.url != posted["first"]
    finally:
        context.close()
    problems = audit_problems(audit)
    audit.close()
    assert not problems, "\n".join(problems)
