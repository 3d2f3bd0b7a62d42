"""Closing the loop in a real browser, with and without JavaScript: the mailed links, following
an idea, the bell, notifications, mail settings and the changelog. Mail is read from the .eml
files the worker writes when no SMTP server is configured, as a newcomer would."""

import email
import re
import uuid
from email.policy import default as email_policy
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.audit import PageAudit
from tests.e2e.conftest import LiveServer
from tests.e2e.helpers import (
    PASSWORD,
    accept_idea,
    log_in,
    log_out,
    new_context,
    post_idea,
    sign_up,
    unique_email,
)

LINK = re.compile(r"http://127\.0\.0\.1:8000(/\S+)")
NEW_PASSWORD = "a fresh and long passphrase"


def mail_to(live_server: LiveServer, address: str, subject_has: str) -> email.message.Message:
    """The newest .eml the worker wrote to this address with this in its subject."""
    live_server.work()
    found = []
    for path in Path(live_server.mail_folder).glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email_policy)
        if message["To"] == address and subject_has in message["Subject"]:
            found.append((path.stat().st_mtime, message))
    assert found, f"no mail to {address} about {subject_has!r}"
    return max(found, key=lambda pair: pair[0])[1]


def link_in(message) -> str:
    return LINK.search(message.get_body(preferencelist=("plain",)).get_content()).group(1)


@pytest.mark.browser
def test_closing_the_loop(browser: Browser, live_server: LiveServer, javascript: bool, tmp_path):
    audit = PageAudit(browser, tmp_path)
    context = new_context(browser, java_script_enabled=javascript)
    page = context.new_page()

    def check(name: str) -> None:
        audit.check(page, name, javascript)

    try:
        customer, name = unique_email("loop"), "Lou Loop"
        page.goto(live_server.url + "/")
        sign_up(page, customer, name)
        expect(page.locator(".flash")).to_contain_text("open the link we sent")
        confirm_the_address(page, live_server, customer, check)
        page.goto(live_server.url + "/")
        idea_url = post_idea(page, f"Refills at the door {uuid.uuid4().hex[:6]}", "Please.")
        reset_a_forgotten_password(page, live_server, customer, check)

        staff = new_context(browser, java_script_enabled=javascript)
        staff_page = staff.new_page()
        staff_page.goto(live_server.url + "/login")
        log_in(staff_page, live_server.staff_email, live_server.staff_password)
        staff_page.goto(idea_url)
        accept_idea(staff_page, "Coming to **ten stores** first.")

        hear_about_it(page, live_server, idea_url, check)
        ship_it(staff_page, page, live_server, idea_url, check)
        choose_mail(page, check)
        staff.close()
    finally:
        context.close()
    problems = audit.problems()
    audit.close()
    assert not problems, "\n".join(problems)


def confirm_the_address(page: Page, live_server: LiveServer, customer: str, check) -> None:
    page.get_by_role("link", name="Account", exact=True).click()
    expect(page.locator(".notice")).to_contain_text("is not confirmed yet")
    check("account, unconfirmed")
    message = mail_to(live_server, customer, "Confirm your email address")
    page.goto(live_server.url + link_in(message))
    check("confirm email")
    page.get_by_role("button", name="Confirm my email address").click()
    expect(page.locator(".flash")).to_contain_text(f"{customer} is confirmed")
    expect(page.locator(".notice")).to_have_count(0)


def reset_a_forgotten_password(page: Page, live_server: LiveServer, customer: str, check):
    log_out(page)
    page.get_by_role("link", name="Log in", exact=True).click()
    page.get_by_role("link", name="Forgot your password?").click()
    check("forgot password")
    page.get_by_label("Email").fill(customer)
    page.get_by_role("button", name="Mail me a link").click()
    expect(page.locator(".flash")).to_contain_text("a link to choose a new password is on its way")
    message = mail_to(live_server, customer, "Reset your")
    page.goto(live_server.url + link_in(message))
    check("reset password")
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_label("Repeat password").fill("not the same")
    page.get_by_role("button", name="Set my new password").click()
    expect(page.locator(".field-error .error")).to_have_text("The passwords do not match.")
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_label("Repeat password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set my new password").click()
    expect(page.locator(".flash")).to_contain_text("Your new password is set")
    # The link worked once.
    page.goto(live_server.url + link_in(message))
    expect(page.get_by_role("heading", level=1)).to_have_text("That link cannot be used")
    page.goto(live_server.url + "/")
    log_out(page)
    page.get_by_role("link", name="Log in", exact=True).click()
    log_in(page, customer, NEW_PASSWORD)
    expect(page.locator(".flash")).to_contain_text("Welcome back")
    assert PASSWORD != NEW_PASSWORD


def hear_about_it(page: Page, live_server: LiveServer, idea_url: str, check) -> None:
    page.goto(idea_url)
    # The author follows without asking; unfollow and follow again, without JavaScript too.
    follow = page.locator(".follow-form button")
    expect(follow).to_have_text("Following ✓")
    follow.click()
    expect(page.locator(".flash")).to_contain_text("You no longer follow this idea.")
    page.locator(".follow-form button").click()
    expect(page.locator(".follow-form button")).to_have_text("Following ✓")
    check("idea, following")

    live_server.work()
    page.goto(live_server.url + "/")
    bell = page.get_by_role("link", name=re.compile(r"^Notifications: \d+ unread$"))
    expect(bell).to_be_visible()
    bell.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    expect(page.locator(".notification.unread").first).to_contain_text("moved")
    check("notifications")
    page.get_by_role("button", name="Mark all read").click()
    expect(page.locator(".notification.unread")).to_have_count(0)
    expect(page.get_by_role("link", name="Notifications", exact=True)).to_be_visible()


def ship_it(staff_page: Page, page: Page, live_server: LiveServer, idea_url: str, check) -> None:
    idea_id = re.search(r"/ideas/(\d+)", idea_url).group(1)
    staff_page.get_by_role("link", name="Shipped", exact=True).click()
    staff_page.get_by_role("link", name="Write a release note").click()
    title = f"Doorstep refills {uuid.uuid4().hex[:4]}"
    staff_page.get_by_label("Title").fill(title)
    staff_page.get_by_label("Release note").fill("Now in **ten stores**.")
    staff_page.get_by_label("Ideas it delivers").fill(f"{idea_id}, nonsense")
    staff_page.get_by_role("button", name="Publish").click()
    expect(staff_page.locator(".field-error .error")).to_contain_text("is not an idea number")
    staff_page.get_by_label("Ideas it delivers").fill(f"#{idea_id}")
    staff_page.get_by_role("button", name="Publish").click()
    expect(staff_page.get_by_role("heading", level=2, name=title)).to_be_visible()

    page.goto(live_server.url + "/changelog")
    expect(page.get_by_role("link", name=title)).to_be_visible()
    check("changelog")
    page.goto(idea_url)
    expect(page.locator(".shipped")).to_contain_text(f"Shipped in {title}")
    expect(page.locator(".idea .meta .badge").first).to_have_text("Launched")
    check("idea, shipped")
    live_server.work()
    page.goto(live_server.url + "/notifications")
    expect(page.locator(".notification.unread").first).to_contain_text(f"ships in {title}")


def choose_mail(page: Page, check) -> None:
    page.get_by_role("contentinfo").get_by_role("link", name="Mail settings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mail settings")
    check("mail settings")
    page.get_by_label("New comments").select_option(label="Never")
    page.get_by_label("Ideas I vote for").uncheck()
    page.get_by_role("button", name="Save mail settings").click()
    expect(page.locator(".flash")).to_contain_text("Your mail settings are saved.")
    expect(page.get_by_label("New comments")).to_have_value("never")
    expect(page.get_by_label("Ideas I vote for")).not_to_be_checked()


@pytest.mark.browser
def test_a_visitors_vote_survives_signing_up(browser: Browser, live_server: LiveServer, javascript):
    author = new_context(browser)
    page = author.new_page()
    page.goto(live_server.url + "/")
    sign_up(page, unique_email("author"), "Ada Author")
    idea_url = post_idea(page, f"Decaf after six {uuid.uuid4().hex[:6]}", "Please.")
    author.close()

    visitor = new_context(browser, java_script_enabled=javascript)
    page = visitor.new_page()
    page.goto(idea_url)
    page.locator(".idea-head .vote-button").first.click()
    expect(page.locator(".notice")).to_contain_text("your vote for")
    page.get_by_role("link", name="Create an account").click()
    expect(page.locator(".notice")).to_contain_text("Sign up, and your vote for")
    page.get_by_label("Email").fill(unique_email("visitor"))
    page.get_by_label("Display name").fill("Vic Visitor")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(idea_url)
    expect(page.locator(".flash").last).to_contain_text("Thanks for your vote")
    expect(page.locator(".idea-head [data-vote-count]")).to_have_text("1")
    visitor.close()


@pytest.mark.browser
def test_people_listening_export_and_leaving(
    browser: Browser, live_server: LiveServer, javascript: bool, tmp_path
):
    audit = PageAudit(browser, tmp_path)
    context = new_context(browser, java_script_enabled=javascript, accept_downloads=True)
    page = context.new_page()
    name = "Pia Person" if javascript else "Nils NoScript"
    email = unique_email("person")
    page.goto(live_server.url + "/")
    sign_up(page, email, name)
    idea_url = post_idea(page, f"Lids that fit {uuid.uuid4().hex[:6]}", "Please.")

    page.goto(idea_url)
    page.locator(".idea .meta").get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    audit.check(page, "profile", javascript)

    page.get_by_role("contentinfo").get_by_role("link", name="How we listen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How we listen")
    audit.check(page, "listening", javascript)

    page.get_by_role("link", name="Account", exact=True).click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download my data").click()
    exported = Path(download.value.path()).read_text()
    assert email in exported and "Lids that fit" in exported

    page.get_by_role("link", name="Delete my account…").click()
    audit.check(page, "delete account", javascript)
    page.get_by_role("button", name="Delete my account").click()
    expect(page.locator(".field-error .error").first).to_be_visible()
    page.get_by_label("Current password").fill(PASSWORD)
    page.locator("input[name=content][value=keep]").check()
    page.get_by_role("button", name="Delete my account").click()
    expect(page.locator(".flash")).to_contain_text("Your account is deleted")
    page.goto(idea_url)
    expect(page.locator(".idea .meta")).to_contain_text("Deleted user")
    context.close()
    problems = audit.problems()
    audit.close()
    assert not problems, "\n".join(problems)
