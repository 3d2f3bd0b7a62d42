"""Merging in a real browser, with and without JavaScript: a staff member merges a duplicate,
its address lands on the original, its comments stay readable, and an unmerge restores both.
The new pages pass the Nu HTML checker and axe-core; a wrong number on a phone shows its error
in view."""

import re
import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.audit import PageAudit
from tests.e2e.conftest import LiveServer
from tests.e2e.helpers import log_in, new_context, post_idea, sign_up, unique_email, vote_button
from tests.e2e.test_errors_in_view import PHONE, assert_first_error_in_view


def idea_id(url: str) -> str:
    return re.search(r"/ideas/(\d+)", url).group(1)


def vote_count(page: Page) -> str:
    return page.locator(".idea-head .vote-count").first.inner_text()


def customer_posts_and_votes(browser: Browser, live_server: LiveServer, title: str) -> str:
    """A new customer posts an idea and votes for it; its URL."""
    context = new_context(browser)
    page = context.new_page()
    page.goto(live_server.url + "/")
    sign_up(page, unique_email("merge"), "Mo Merge")
    url = post_idea(page, title, "Same thing, other words.")
    vote_button(page).click()
    expect(vote_button(page)).to_have_attribute("aria-pressed", "true")
    context.close()
    return url


@pytest.mark.browser
def test_merge_and_unmerge(browser: Browser, live_server: LiveServer, javascript, tmp_path):
    audit = PageAudit(browser, tmp_path)
    tag = uuid.uuid4().hex[:6]
    original_url = customer_posts_and_votes(browser, live_server, f"Oat milk at no charge {tag}")
    duplicate_url = customer_posts_and_votes(browser, live_server, f"Free plant milk {tag}")
    original, duplicate = idea_id(original_url), idea_id(duplicate_url)

    context = new_context(browser, java_script_enabled=javascript)
    page = context.new_page()

    def check(name: str) -> None:
        audit.check(page, name, javascript)

    try:
        page.goto(live_server.url + "/login")
        log_in(page, live_server.staff_email, live_server.staff_password)
        page.goto(duplicate_url)
        panel = page.get_by_role("region", name="Merge into another idea")
        panel.get_by_label("Original idea").fill("the oat milk one")
        panel.get_by_role("button", name="Review the merge").click()
        expect(page.locator("#original-error")).to_contain_text("Give the idea's number")
        check("merge form with an error")
        page.get_by_label("Original idea").fill(original_url)
        page.get_by_role("button", name="Review the merge").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            f"Merge #{duplicate} into another idea"
        )
        expect(page.locator(".consequences")).to_contain_text("goes from 1 to 2 votes")
        check("merge review")
        page.get_by_role("button", name=f"Merge #{duplicate} into #{original}").click()
        expect(page.locator(".flash")).to_contain_text(f"Merged #{duplicate}")
        expect(page).to_have_url(re.compile(rf"/ideas/{original}/"))
        assert vote_count(page) == "2"
        merged_here = page.get_by_role("region", name="Merged here")
        expect(merged_here).to_contain_text(f"#{duplicate} Free plant milk {tag}")
        check("original with merged ideas")

        # Anyone following the duplicate's address lands on the original, told why.
        visitor = new_context(browser, java_script_enabled=javascript)
        visit = visitor.new_page()
        visit.goto(duplicate_url)
        expect(visit).to_have_url(re.compile(rf"/ideas/{original}/.*merged_from={duplicate}"))
        expect(visit.locator(".merged-banner")).to_contain_text("which is merged into this idea")
        visit.get_by_role("link", name="Read its comments").click()
        expect(visit.locator(".merged-banner")).to_contain_text(f"Merged into #{original}")
        expect(visit.locator("form[data-vote-form]")).to_have_count(0)
        audit.check(visit, "merged duplicate, read-only", javascript)
        visitor.close()

        page.goto(live_server.url + "/staff/merges")
        expect(page.locator(".merge-table")).to_contain_text(f"Free plant milk {tag}")
        check("merge history")
        page.get_by_role("link", name=f"Unmerge… #{duplicate}").first.click()
        expect(page.locator(".consequences")).to_contain_text("1 vote the merge copied leave")
        check("unmerge review")
        page.get_by_role("button", name=f"Unmerge #{duplicate} from #{original}").click()
        expect(page.locator(".flash")).to_contain_text("Unmerged")
        expect(page).to_have_url(re.compile(rf"/ideas/{duplicate}/"))
        page.goto(duplicate_url)
        expect(page).to_have_url(duplicate_url)
        assert vote_count(page) == "1"
        page.goto(original_url)
        assert vote_count(page) == "1"
        expect(page.get_by_role("region", name="Merged here")).to_have_count(0)
    finally:
        context.close()
    problems = audit.problems()
    audit.close()
    assert not problems, "\n".join(problems)


@pytest.mark.browser
def test_a_wrong_number_on_a_phone_shows_its_error_in_view(
    browser: Browser, live_server: LiveServer, javascript
):
    url = customer_posts_and_votes(browser, live_server, f"Bigger cups {uuid.uuid4().hex[:6]}")
    context = new_context(browser, viewport=PHONE, java_script_enabled=javascript)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/login")
        log_in(page, live_server.staff_email, live_server.staff_password)
        page.goto(url)
        panel = page.get_by_role("region", name="Merge into another idea")
        panel.get_by_label("Original idea").fill(idea_id(url))
        panel.get_by_role("button", name="Review the merge").click()
        expect(page.locator("#original-error")).to_contain_text("cannot be merged into itself")
        assert_first_error_in_view(page, "original")
    finally:
        context.close()
