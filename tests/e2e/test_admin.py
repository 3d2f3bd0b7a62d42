"""Staff and admin tools in a real browser on a phone, with and without JavaScript: an admin
finds a person, changes their role and suspends them (their browser is logged out at once);
categories are added, refused in other capitals, reordered, archived and deleted; an internal
note and a vote recorded for a customer on an idea; the audit log, filtered. Every page is
checked with vnu and axe, and none scrolls sideways at 390 px."""

import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.audit import PageAudit
from tests.e2e.conftest import LiveServer
from tests.e2e.helpers import PASSWORD, log_in, new_context, post_idea, unique_email, vote_button
from tests.servers import run_flask

PHONE = {"width": 390, "height": 844}


def assert_fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], (page.url, width)


def assert_error_in_view(page: Page, field_id: str, message: str) -> None:
    """A form sent back with an error shows it on screen, with the cursor in its field."""
    error = page.locator(f"#{field_id}-error")
    expect(error).to_contain_text(message)
    box = error.bounding_box()
    assert box and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], box
    assert page.evaluate("document.activeElement.id") == field_id


def flash(page: Page):
    return page.locator(".flash")


@pytest.mark.browser
def test_staff_and_admin_tools(browser: Browser, live_server: LiveServer, javascript, tmp_path):
    uid = uuid.uuid4().hex[:6]
    admin_email, customer_email = unique_email("admin"), unique_email("cora")
    customer = f"Cora Customer {uid}"
    run_flask(live_server.env, "create-user", "--email", admin_email, "--name", "Ada Admin",
              "--password", PASSWORD, "--role", "admin")  # fmt: skip
    run_flask(live_server.env, "create-user", "--email", customer_email, "--name", customer,
              "--password", PASSWORD)  # fmt: skip

    audit = PageAudit(browser, tmp_path)
    contexts = [new_context(browser, viewport=PHONE, java_script_enabled=javascript) for _ in "ab"]
    cora, page = (context.new_page() for context in contexts)

    def check(name: str) -> None:
        assert_fits(page)
        audit.check(page, name, javascript)

    try:
        # The customer posts an idea and votes for it.
        cora.goto(live_server.url + "/login")
        log_in(cora, customer_email, PASSWORD)
        idea_url = post_idea(cora, f"Refill app {uid}", "Order ahead.")
        vote_button(cora).click()
        expect(vote_button(cora)).to_have_attribute("aria-pressed", "true")

        page.goto(live_server.url + "/login")
        log_in(page, admin_email, PASSWORD)
        find_change_role_and_suspend(page, cora, customer, customer_email, check)
        manage_categories(page, uid, check)
        staff_tools_on_an_idea(page, browser, idea_url, uid, check)
        read_the_audit_log(page, customer, customer_email, check)
    finally:
        for context in contexts:
            context.close()
    problems = audit.problems()
    audit.close()
    assert not problems, "\n".join(problems)


def find_change_role_and_suspend(
    page: Page, cora: Page, customer: str, customer_email: str, check
) -> None:
    page.get_by_role("link", name="Admin", exact=True).click()
    check("admin")
    page.get_by_role("link", name="People", exact=True).click()
    # Any capitals find them.
    page.get_by_label("Name or email").fill(customer.lower())
    page.get_by_role("button", name="Find").click()
    expect(page.locator(".people-table tbody tr")).to_have_count(1)
    check("people, found")
    page.get_by_role("link", name=customer).click()
    check("person")
    page.get_by_role("combobox", name="Role").select_option(label="Staff")
    page.get_by_role("button", name="Change role").click()
    expect(flash(page)).to_have_text(f"{customer} is now staff.")
    page.get_by_role("combobox", name="Role").select_option(label="Member")
    page.get_by_role("button", name="Change role").click()
    expect(flash(page)).to_have_text(f"{customer} is now member.")

    page.get_by_role("link", name=f"Suspend {customer}…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Suspend {customer}?")
    check("suspend, confirm")
    page.get_by_label("Remove their votes from open ideas").check()
    page.get_by_role("button", name=f"Suspend {customer}").click()
    expect(flash(page)).to_have_text(
        f"{customer} is suspended and logged out everywhere. 1 vote removed."
    )
    expect(page.locator(".badge-suspended")).to_be_visible()

    # The customer's browser is logged out at once, and cannot log back in.
    cora.reload()
    header = cora.get_by_role("banner")
    expect(header.get_by_role("link", name="Log in", exact=True)).to_be_visible()
    expect(cora.locator(".vote-count").first).to_have_text("0")
    header.get_by_role("link", name="Log in", exact=True).click()
    log_in(cora, customer_email, PASSWORD)
    expect(cora.locator("#email-error")).to_contain_text("This account is suspended")


def manage_categories(page: Page, uid: str, check) -> None:
    name = f"Loyalty {uid}"
    page.get_by_role("link", name="Categories", exact=True).click()
    page.get_by_label("Category name").fill(name)
    page.get_by_role("button", name="Add category").click()
    expect(flash(page)).to_have_text(f"Category “{name}” added.")
    # The same name in other capitals: an error beside the field, in view on a phone.
    page.get_by_label("Category name").fill(name.upper())
    page.get_by_role("button", name="Add category").click()
    assert_error_in_view(page, "name", "A category with this name already exists.")
    check("categories, name taken")

    # Added last; one place up, it is second to last.
    page.get_by_role("button", name=f"Up: {name}").click()
    expect(flash(page)).to_have_text(f"Moved “{name}” up.")
    names = page.locator(".category-list").first.locator("input[name=name]")
    assert [field.input_value() for field in names.all()][-2] == name
    page.get_by_role("button", name=f"Archive: {name}").click()
    expect(flash(page)).to_contain_text(f"Archived “{name}”")
    expect(page.locator(".category-archived")).to_contain_text(name)
    check("categories, archived")
    # No longer offered for new ideas.
    page.get_by_role("link", name="Ideas", exact=True).click()
    page.get_by_role("link", name="Post an idea", exact=True).click()
    expect(page.get_by_label("Category").locator("option", has_text=name)).to_have_count(0)
    page.get_by_role("link", name="Categories", exact=True).click()
    page.get_by_role("link", name=f"Delete: {name}…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Delete “{name}”?")
    check("category, delete")
    page.get_by_role("button", name=f"Delete “{name}”").click()
    expect(flash(page)).to_have_text(f"Deleted “{name}”: 0 ideas now have no category.")


def staff_tools_on_an_idea(page: Page, browser: Browser, idea_url: str, uid: str, check) -> None:
    page.goto(idea_url)
    notes = page.get_by_role("region", name="Internal notes")
    notes.get_by_role("button", name="Add internal note").click()
    assert_error_in_view(page, "staff_note", "This field is required.")
    page.get_by_label("New internal note").fill(f"Ops say **May** ({uid}).")
    page.get_by_role("button", name="Add internal note").click()
    expect(flash(page)).to_have_text("Your internal note is saved. Only staff see it.")
    expect(page.locator(".staff-note").first).to_contain_text(f"Ops say May ({uid}).")

    walk_in = unique_email("walkin")
    page.get_by_label("Customer’s email").fill(walk_in)
    page.get_by_role("button", name="Record vote").click()
    assert_error_in_view(page, "customer_name", f"Nobody has an account with {walk_in} yet.")
    page.get_by_label("Their name, for a new account").fill("Walt Walkin")
    page.get_by_role("button", name="Create account and record vote").click()
    expect(flash(page)).to_have_text(
        f"Vote recorded for Walt Walkin ({walk_in}). A new account was made for them."
    )
    expect(page.locator(".recorded-votes")).to_contain_text("Walt Walkin: recorded by Ada Admin")
    check("idea, staff tools")

    # Visitors see how many votes staff recorded, and nothing of the notes.
    visitor = new_context(browser, viewport=PHONE)
    public = visitor.new_page()
    public.goto(idea_url)
    expect(public.locator(".vote-note")).to_have_text(
        "1 of the 1 vote was recorded by staff for customers who asked by phone or mail."
    )
    expect(public.get_by_text("Internal notes")).to_have_count(0)
    visitor.close()


def read_the_audit_log(page: Page, customer: str, customer_email: str, check) -> None:
    page.get_by_role("link", name="Admin", exact=True).click()
    page.get_by_role("link", name="Audit log", exact=True).click()
    page.get_by_label("Action").select_option(label="Suspension")
    page.get_by_role("button", name="Filter").click()
    entries = page.locator(".audit-entry")
    expect(entries.first).to_contain_text(f"Suspended {customer}")
    assert all(
        "Suspension" in text for text in entries.locator(".badge-action").all_text_contents()
    )
    check("audit log, suspensions")
    page.get_by_role("link", name="Clear filters").click()
    page.get_by_label("Person (number or email)").fill(customer_email.upper())
    page.get_by_role("button", name="Filter").click()
    expect(entries).to_have_count(3)
    expect(entries.nth(2)).to_contain_text("Member → Staff")
    entries.first.get_by_role("link", name="Person").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(customer)
