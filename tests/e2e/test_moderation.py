"""Moderation in a real browser, with and without JavaScript: a member flags, staff hide from the
queue, what the author, another member and a visitor then see, restoring, and a comment edited
and deleted. Every new page goes through the Nu HTML checker and axe-core; phone screenshots
of the queue and the edit page are saved for a human to look at."""

import re
import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.audit import PageAudit
from tests.e2e.conftest import LiveServer
from tests.e2e.helpers import log_in, new_context, post_idea, sign_up, unique_email
from tests.e2e.test_journey import SCREENSHOTS
from tests.e2e.test_phone_layout import PHONE, assert_no_sideways_scroll

PLACEHOLDER = "This idea was hidden by the moderators"


def comment(page: Page, body: str) -> None:
    page.get_by_label("Your comment").fill(body)
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator(".flash")).to_contain_text("Your comment is posted.")


def flag(page: Page, link_name: str, reason: str, details: str, javascript: bool) -> None:
    """Follow a Flag link, choose a reason, send. With JavaScript the form opens in place."""
    page.get_by_role("link", name=link_name).click()
    if javascript:
        form = page.locator("[data-inline-flag] form")
        expect(form).to_be_visible()
        assert "/flag" not in page.url  # still on the idea page
    else:
        expect(page.get_by_role("heading", level=1)).to_contain_text("Flag this")
        form = page.locator("form.flag-form")
    form.get_by_label(reason).check()
    form.get_by_label("Anything to add? (optional)").fill(details)
    form.get_by_role("button", name="Send to the moderators").click()
    expect(page.locator(".flash")).to_contain_text("the moderators will look at it")


@pytest.mark.browser
def test_flag_hide_restore_and_edit(
    browser: Browser, live_server: LiveServer, javascript, tmp_path
):
    audit = PageAudit(browser, tmp_path)
    contexts = []

    def person(**options) -> Page:
        context = new_context(browser, java_script_enabled=javascript, **options)
        contexts.append(context)
        return context.new_page()

    def check(page: Page, name: str) -> None:
        audit.check(page, name, javascript)

    try:
        tag = uuid.uuid4().hex[:6]
        title = f"Cheap watches here {tag}"
        author = person()
        author.goto(live_server.url + "/")
        sign_up(author, unique_email("author"), "Arlo Author")
        idea_url = post_idea(author, title, "Visit my shop for **watches**.")
        comment(author, f"Frist comment {tag}")

        member = person()
        member.goto(idea_url)
        sign_up(member, unique_email("member"), "Mona Member")
        member.goto(idea_url)
        # The form alone: its own page, or in place with JavaScript (Escape closes it).
        member.get_by_role("link", name="Flag this idea for the moderators").click()
        check(member, "idea, flag form in place" if javascript else "flag form")
        if javascript:
            member.keyboard.press("Escape")
            expect(member.locator("[data-inline-flag]")).to_have_count(0)
        else:
            member.go_back()
        flag(member, "Flag this idea for the moderators", "Spam or advertising", "Ads", javascript)
        flag(member, "Flag this comment for the moderators", "Something else", "Noise", javascript)
        # Flagging twice says so; nothing new reaches the queue.
        member.get_by_role("link", name="Flag this idea for the moderators").click()
        expect(member.locator(".flag-refusal")).to_contain_text("already flagged")

        staff = person()
        staff.goto(live_server.url + "/login")
        log_in(staff, live_server.staff_email, live_server.staff_password)
        hide_from_the_queue(staff, title, tag, check)

        who_sees_what(browser, live_server, author, member, idea_url, title, javascript, check)
        restore_from_the_idea(staff, idea_url, title, member)
        edit_and_delete_a_comment(author, idea_url, tag, check)
        staff_hide_a_comment(staff, member, idea_url, check)
    finally:
        for context in contexts:
            context.close()
    problems = audit.problems()
    audit.close()
    assert not problems, "\n".join(problems)


def hide_from_the_queue(staff: Page, title: str, tag: str, check) -> None:
    link = staff.get_by_role("navigation", name="Main").get_by_role(
        "link", name=re.compile(r"^Moderation \d+ waiting$")
    )
    link.click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("Moderation")
    kind = staff.locator(".badge-kind", has_text=re.compile("^Idea$"))
    item = staff.locator(".queue-item", has_text=title).filter(has=kind)
    expect(item).to_contain_text("Spam or advertising")
    expect(item).to_contain_text("Ads")
    expect(staff.locator(".queue-item", has_text=f"Frist comment {tag}")).to_contain_text("Noise")
    check(staff, "moderation queue")
    reason = item.get_by_label("Reason shown to the author")
    expect(reason).to_have_value("Spam or advertising")
    reason.fill("Advertising for a shop")
    item.get_by_role("button", name="Hide idea").click()
    expect(staff.locator(".flash")).to_contain_text("Hidden.")
    expect(staff).to_have_url(re.compile(r"/staff/moderation"))
    expect(item).to_have_count(0)
    staff.get_by_role("link", name="Hidden", exact=True).click()
    expect(staff.locator(".queue-item", has_text=title)).to_be_visible()
    check(staff, "moderation queue, hidden")


def who_sees_what(browser, live_server, author, member, idea_url, title, javascript, check):
    visitor = new_context(browser, java_script_enabled=javascript)
    page = visitor.new_page()
    response = page.goto(idea_url)
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text(PLACEHOLDER)
    assert title not in page.content()
    check(page, "hidden idea, visitor")
    page.goto(live_server.url + "/?sort=new&show=all")
    expect(page.get_by_text(title)).to_have_count(0)
    visitor.close()

    member.goto(idea_url)
    expect(member.get_by_role("heading", level=1)).to_have_text(PLACEHOLDER)

    author.goto(idea_url)
    banner = author.get_by_role("region", name="Hidden by the moderators")
    expect(banner).to_contain_text("Advertising for a shop")
    expect(author.get_by_role("heading", level=1, name=title)).to_be_visible()
    check(author, "hidden idea, author")


def restore_from_the_idea(staff: Page, idea_url: str, title: str, member: Page) -> None:
    staff.goto(idea_url)
    staff.get_by_role("button", name="Restore this idea").click()
    expect(staff.locator(".flash")).to_contain_text("back on the board")
    member.goto(idea_url)
    expect(member.get_by_role("heading", level=1, name=title)).to_be_visible()


def edit_and_delete_a_comment(author: Page, idea_url: str, tag: str, check) -> None:
    author.goto(idea_url)
    own = author.locator(".comment", has_text=f"Frist comment {tag}")
    own.get_by_role("link", name="Edit your comment").click()
    expect(author.get_by_role("heading", level=1)).to_have_text("Edit your comment")
    check(author, "edit comment")
    author.get_by_label("Your comment").fill("")
    author.get_by_role("button", name="Save changes").click()
    expect(author.locator(".field-error .error")).to_be_in_viewport()
    author.get_by_label("Your comment").fill(f"First comment, *fixed* {tag}")
    author.get_by_role("button", name="Save changes").click()
    edited = author.locator(".comment", has_text=f"First comment, fixed {tag}")
    expect(edited.locator(".edited")).to_contain_text("edited")
    expect(edited.locator("em")).to_have_text("fixed")
    count = author.locator("#comments-title")
    before = int(count.inner_text().split()[0])

    edited.get_by_role("link", name="Delete this comment").click()
    expect(author.get_by_role("heading", level=1)).to_have_text("Delete your comment?")
    check(author, "delete comment")
    author.get_by_role("button", name="Delete comment").click()
    expect(author.locator(".flash")).to_contain_text("The comment is deleted.")
    expect(author.locator(".comment", has_text=tag)).to_have_count(0)
    expect(count).to_have_text(f"{before - 1} comment{'' if before - 1 == 1 else 's'}")


def staff_hide_a_comment(staff: Page, member: Page, idea_url: str, check) -> None:
    member.goto(idea_url)
    comment(member, "Buy followers at example dot com")
    staff.goto(idea_url)
    spam = staff.locator(".comment", has_text="Buy followers")
    spam.get_by_role("link", name="Hide this comment").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("Hide this comment")
    check(staff, "hide comment")
    staff.get_by_label("Reason shown to the author").fill("Advertising")
    staff.get_by_role("button", name="Hide this comment").click()
    expect(staff.locator(".flash")).to_contain_text("Hidden.")
    expect(staff.locator(".comment.is-hidden")).to_contain_text("Buy followers")
    member.goto(idea_url)
    expect(member.locator(".comment.is-hidden")).to_contain_text("Only you and the team see")


@pytest.mark.browser
def test_queue_and_edit_pages_on_a_phone(browser: Browser, live_server: LiveServer):
    """At 390 px: nothing scrolls sideways; a wrong edit shows its error in view; screenshots."""
    context = new_context(browser, viewport=PHONE)
    page = context.new_page()
    page.goto(live_server.url + "/")
    sign_up(page, unique_email("phone"), "Pat Phone")
    idea_url = post_idea(page, f"Lids that click shut on every cup {uuid.uuid4().hex[:6]}", "")
    comment(page, "A long comment " * 30)
    page.locator(".comment").last.get_by_role("link", name="Edit your comment").click()
    assert_no_sideways_scroll(page)
    SCREENSHOTS.mkdir(exist_ok=True)
    shot(page, "comment-edit-phone.png")
    page.get_by_label("Your comment").fill("")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".field-error .error")).to_be_in_viewport()
    page.goto(idea_url)  # one's own idea has no Flag link
    expect(page.get_by_role("link", name="Flag this idea for the moderators")).to_have_count(0)
    context.close()

    staff = new_context(browser, viewport=PHONE)
    page = staff.new_page()
    other = new_context(browser, viewport=PHONE)
    flagger = other.new_page()
    flagger.goto(idea_url)
    sign_up(flagger, unique_email("flagger"), "Fay Flagger")
    flagger.goto(idea_url)
    flagger.get_by_role("link", name="Flag this idea for the moderators").click()
    flagger.get_by_role("button", name="Send to the moderators").click()
    expect(flagger.locator(".field-error .error")).to_be_in_viewport()
    shot(flagger, "flag-form-phone.png")
    flagger.get_by_label("Duplicate of another idea").check()
    flagger.get_by_role("button", name="Send to the moderators").click()
    expect(flagger.locator(".flash")).to_contain_text("the moderators will look at it")
    other.close()
    page.goto(live_server.url + "/login")
    log_in(page, live_server.staff_email, live_server.staff_password)
    page.goto(live_server.url + "/staff/moderation?view=hidden")
    assert_no_sideways_scroll(page)
    page.goto(live_server.url + "/staff/moderation")
    assert_no_sideways_scroll(page)
    shot(page, "moderation-queue-phone.png")
    staff.close()


def shot(page: Page, filename: str) -> None:
    path = SCREENSHOTS / filename
    path.unlink(missing_ok=True)
    page.screenshot(path=path, full_page=True)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path
