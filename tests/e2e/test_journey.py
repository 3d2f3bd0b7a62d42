"""What customers and staff do in a real browser, with and without JavaScript."""

import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import feedparser
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.audit import PageAudit
from tests.e2e.conftest import LiveServer
from tests.e2e.helpers import (
    IDEA_URL,
    PASSWORD,
    accept_idea,
    fill_sign_up,
    log_in,
    log_out,
    new_context,
    post_idea,
    sign_up,
    unique_email,
    vote_button,
)

SCREENSHOTS = Path(__file__).parent / "screenshots"
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
SORT_TABS = {"Top": "top", "New": "new", "Most discussed": "discussed", "Hot": "hot"}


@pytest.mark.browser
def test_customer_and_staff_journey(browser: Browser, live_server: LiveServer):
    context = new_context(browser)
    page = context.new_page()
    title = f"Oat milk at every counter {uuid.uuid4().hex[:6]}"
    body = "Please stock **oat milk** everywhere.\n\n- kinder to cows\n- lasts longer"

    page.goto(live_server.url + "/")
    sign_up(page, unique_email("cleo"), "Cleo Customer")

    page.get_by_role("link", name="Post an idea", exact=True).click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Details").fill(body)
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("region", name="Preview")
    expect(preview.locator(".prose strong")).to_have_text("oat milk")
    expect(preview.locator(".prose li")).to_have_text(["kinder to cows", "lasts longer"])
    expect(preview).not_to_contain_text("**")
    # The preview keeps what was typed, so posting needs no retyping.
    expect(page.get_by_label("Title")).to_have_value(title)
    page.get_by_role("button", name="Post idea").click()

    expect(page).to_have_url(IDEA_URL)
    idea_url = page.url
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator("article .prose strong")).to_have_text("oat milk")

    # With JavaScript the vote is a fetch: the page must not navigate or reload.
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    page.evaluate("window.sameDocument = true")
    button = vote_button(page)
    expect(button.locator("[data-vote-count]")).to_have_text("0")
    expect(button).to_have_attribute("aria-pressed", "false")
    with page.expect_response(lambda r: r.url.endswith("/vote")) as vote_response:
        button.click()
    assert vote_response.value.headers["content-type"].startswith("application/json")
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button.locator("[data-vote-count]")).to_have_text("1")
    expect(button.locator(".vote-label")).to_have_text("Voted")
    assert page.url == idea_url
    assert navigations == []
    assert page.evaluate("window.sameDocument") is True

    # The server kept the vote: a fresh load shows it too.
    page.reload()
    expect(vote_button(page)).to_have_attribute("aria-pressed", "true")
    expect(vote_button(page).locator("[data-vote-count]")).to_have_text("1")

    page.get_by_role("button", name="Log out").click()
    expect(page.locator(".flash")).to_contain_text("You are logged out.")
    page.get_by_role("link", name="Log in", exact=True).click()
    log_in(page, live_server.staff_email, live_server.staff_password)
    expect(page.locator(".flash")).to_contain_text("Welcome back, Priya PM.")

    page.get_by_role("link", name=title, exact=True).click()
    expect(page).to_have_url(idea_url)
    note = "Yes! Oat milk arrives in **March**, starting with the city stores."
    accept_idea(page, note)

    entry = page.locator("#history li.official")
    expect(entry).to_have_count(1)
    expect(entry.locator("strong").first).to_have_text("Priya PM")
    expect(entry.locator(".badge-staff")).to_have_text("Official")
    expect(entry.locator(".prose")).to_have_text(
        "Yes! Oat milk arrives in March, starting with the city stores."
    )
    expect(entry.locator(".prose strong")).to_have_text("March")
    expect(page.locator(".idea .meta .badge").first).to_have_text("Accepted")

    page.goto(live_server.url + "/roadmap")
    accepted = page.locator("section.column", has=page.locator("h2#col-accepted"))
    expect(accepted.get_by_role("link", name=title, exact=True)).to_be_visible()
    expect(page.locator("section.column", has_text=title)).to_have_count(1)

    response = page.request.get(live_server.url + "/feeds/accepted.rss")
    assert response.ok
    feed = feedparser.parse(response.body())
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert title in [entry.title for entry in feed.entries]
    context.close()


@pytest.mark.browser
def test_voting_without_javascript(browser: Browser, live_server: LiveServer):
    email = unique_email("nojs")
    title = f"Quieter music after 8pm {uuid.uuid4().hex[:6]}"
    member = new_context(browser, java_script_enabled=False)
    page = member.new_page()
    page.goto(live_server.url + "/")
    sign_up(page, email, "Noah NoScript")
    idea_url = post_idea(page, title, "Easier to talk.")
    idea_path = "/ideas/" + IDEA_URL.search(idea_url).group(1)

    # A plain form POST, then the redirect back to the idea shows the new count.
    button = vote_button(page)
    expect(button.locator("[data-vote-count]")).to_have_text("0")
    with page.expect_navigation():
        button.click()
    expect(page).to_have_url(idea_url)
    expect(page.locator(".flash")).to_contain_text("Thanks for your vote!")
    expect(vote_button(page).locator("[data-vote-count]")).to_have_text("1")
    expect(vote_button(page)).to_have_attribute("aria-pressed", "true")
    member.close()

    # Anonymous: voting asks to log in first, then comes back to the idea.
    anonymous = new_context(browser, java_script_enabled=False)
    page = anonymous.new_page()
    page.goto(idea_url)
    # A visitor's vote button is a link (no form, so no session until they act).
    page.get_by_role("link", name=re.compile(r"Vote for:")).click()
    expect(page).to_have_url(re.compile(r"/login\?"))
    login_url = urlsplit(page.url)
    next_path = [idea_path + "/vote"]
    assert (login_url.path, parse_qs(login_url.query)["next"]) == ("/login", next_path)
    expect(page.locator(".flash")).to_contain_text("Please log in to do that.")
    log_in(page, email, PASSWORD)
    expect(page).to_have_url(idea_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    # Logging in does not replay the vote that was refused: the count is still the member's one.
    expect(vote_button(page).locator("[data-vote-count]")).to_have_text("1")
    anonymous.close()


@pytest.mark.browser
def test_screenshots(browser: Browser, live_server: LiveServer):
    """Key pages at phone and desktop widths, saved for a human to look at."""
    staff = new_context(browser)
    page = staff.new_page()
    page.goto(live_server.url + "/login")
    log_in(page, live_server.staff_email, live_server.staff_password)
    idea_url = post_idea(
        page,
        "Let us reorder a past order in one tap, even on a small screen",
        "Most weeks I order **the same three things**.\n\n"
        "A *Reorder* button on each past order would save me a minute every time.",
    )
    accept_idea(page, "Good one. We are building it **this quarter**.")
    staff.close()

    SCREENSHOTS.mkdir(exist_ok=True)
    anonymous = {"home": "/", "idea": idea_url, "roadmap": "/roadmap", "login": "/login"}
    for size, viewport in VIEWPORTS.items():
        context = new_context(browser, viewport=viewport)
        page = context.new_page()
        for name, url in anonymous.items():
            screenshot(page, urljoin(live_server.url, url), f"{name}-{size}.png")
        # The last page was the login form; the account page needs a login.
        log_in(page, live_server.staff_email, live_server.staff_password)
        expect(page.locator(".flash")).to_contain_text("Welcome back")
        screenshot(page, live_server.url + "/account", f"account-{size}.png")
        context.close()


def screenshot(page: Page, url: str, filename: str) -> None:
    path = SCREENSHOTS / filename
    # A file left over from an earlier run must not pass for this run's.
    path.unlink(missing_ok=True)
    response = page.goto(url)
    assert response.status == 200, (url, response.status)
    page.screenshot(path=path, full_page=True)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path
    assert path.stat().st_size > 1000, path


# Every action again, once with JavaScript and once without, each page saved for the audit.

Check = Callable[[str], None]


@pytest.fixture
def context(browser: Browser, javascript: bool) -> Iterator[BrowserContext]:
    context = new_context(browser, java_script_enabled=javascript)
    yield context
    context.close()


@pytest.fixture(scope="module")
def listed_idea(browser: Browser, live_server: LiveServer) -> str:
    """An idea under review in the "Service" category, for visitors to find; its title."""
    title = f"Open at 7 on Sundays {uuid.uuid4().hex[:6]}"
    context = new_context(browser)
    page = context.new_page()
    page.goto(live_server.url + "/login")
    log_in(page, live_server.staff_email, live_server.staff_password)
    page.get_by_role("link", name="Post an idea", exact=True).click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Category").select_option(label="Service")
    page.get_by_role("button", name="Post idea").click()
    expect(page).to_have_url(IDEA_URL)
    context.close()
    return title


@pytest.mark.browser
def test_every_action(
    context: BrowserContext,
    javascript: bool,
    live_server: LiveServer,
    listed_idea: str,
    page_audit: PageAudit,
):
    """Browse, sign up, post, edit, vote, comment, change a status, read feeds and errors."""
    page = context.new_page()

    def check(name: str) -> None:
        page_audit.check(page, name, javascript)

    browse_anonymously(page, check, live_server, listed_idea)
    idea_url, title = member_actions(page, check, javascript)
    staff_actions(page, check, live_server, idea_url, title)


def browse_anonymously(page: Page, check: Check, live_server: LiveServer, title: str) -> None:
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Share your ideas with us")
    check("home")

    tabs = page.get_by_role("navigation", name="Sort ideas")
    for label, key in SORT_TABS.items():
        tabs.get_by_role("link", name=label, exact=True).click()
        expect(page).to_have_url(re.compile(rf"[?&]sort={key}(&|$)"))
        expect(tabs.locator("[aria-current=page]")).to_have_text(label)
    check("home, sorted")

    page.get_by_label("Status").select_option(label="Under review")
    page.get_by_label("Category").select_option(label="Service")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"status=under_review"))
    expect(page.get_by_role("link", name=title, exact=True)).to_be_visible()
    assert set(page.locator(".idea-list .category").all_inner_texts()) == {"Service"}
    check("home, filtered")
    page.get_by_label("Status").select_option(label="Launched")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("heading", name="No ideas match")).to_be_visible()
    check("home, nothing matches")
    page.get_by_role("link", name="Clear filters").click()
    expect(page.get_by_label("Status")).to_have_value("")

    page.get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_role("link", name="Log in to comment")).to_be_visible()
    check("idea, anonymous")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Roadmap").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Roadmap")
    check("roadmap")

    response = page.goto(live_server.url + "/no-such-page")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    check("404")
    # Logging out changes state, so it only answers POST.
    response = page.goto(live_server.url + "/logout")
    assert response.status == 405
    expect(page.get_by_role("heading", level=1)).to_have_text("That action is not possible here")
    check("405")
    page.get_by_role("link", name="Back to the ideas").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Share your ideas with us")


def member_actions(page: Page, check: Check, javascript: bool) -> tuple[str, str]:
    """Sign up, log out and in, post, edit, vote, comment; return the idea's URL and title."""
    name = "Jess JavaScript" if javascript else "Nico NoScript"
    email = unique_email("journey")
    page.get_by_role("link", name="Sign up", exact=True).click()
    check("sign up")
    fill_sign_up(page, email, name)
    check("home, signed up")
    page.get_by_role("link", name="Account", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    expect(page.get_by_role("textbox", name="Display name")).to_have_value(name)
    check("account")
    log_out(page)
    page.get_by_role("link", name="Log in", exact=True).click()
    check("log in")
    log_in(page, email, PASSWORD)
    expect(page.locator(".flash")).to_contain_text(f"Welcome back, {name}.")

    title = f"Refill stations for water bottles {uuid.uuid4().hex[:6]}"
    body = "Every store could have **one**.\n\n- less plastic\n- happier runners"
    page.get_by_role("link", name="Post an idea", exact=True).click()
    check("new idea")
    page.get_by_label("Details").fill(body)
    page.get_by_role("button", name="Post idea").click()
    title_field = page.get_by_label("Title")
    expect(title_field).to_have_attribute("aria-invalid", "true")
    # Next to the field: in the same field group, and named by the input's aria-describedby.
    error = page.locator(".field", has=title_field).locator(".error")
    expect(error).to_have_text("This field is required.")
    expect(title_field).to_have_attribute("aria-describedby", re.compile(r"\btitle-error\b"))
    expect(error).to_have_id("title-error")
    expect(page.get_by_label("Details")).to_have_value(body)
    check("new idea, title missing")

    title_field.fill(title)
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("region", name="Preview")
    expect(preview.locator(".prose strong")).to_have_text("one")
    expect(page.get_by_label("Title")).to_have_value(title)
    check("new idea, preview")
    page.get_by_role("button", name="Post idea").click()
    expect(page).to_have_url(IDEA_URL)
    expect(page.locator(".flash")).to_contain_text("Your idea is posted")
    check("idea, just posted")

    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit your idea")
    expect(page.get_by_label("Details")).to_have_value(body)
    check("edit idea")
    title = title.replace("Refill stations", "Free refill stations")
    page.get_by_label("Title").fill(title)
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".flash")).to_contain_text("Your changes are saved.")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    idea_url = page.url

    toggle_vote(page, javascript, "Thanks for your vote!")
    expect(vote_button(page)).to_have_attribute("aria-pressed", "true")
    expect(vote_button(page).locator("[data-vote-count]")).to_have_text("1")
    check("idea, voted")
    toggle_vote(page, javascript, "Your vote is withdrawn.")
    expect(vote_button(page)).to_have_attribute("aria-pressed", "false")
    expect(vote_button(page).locator("[data-vote-count]")).to_have_text("0")

    page.get_by_role("button", name="Post comment").click()
    comment_field = page.get_by_label("Your comment")
    expect(comment_field).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".field", has=comment_field).locator(".error")).to_have_text(
        "This field is required."
    )
    check("idea, empty comment")
    comment_field.fill("Yes, and a **cold** tap please.")
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator(".flash")).to_contain_text("Your comment is posted.")
    expect(page).to_have_url(re.compile(r"#comment-\d+$"))
    expect(page.locator(".comment .prose strong")).to_have_text("cold")
    check("idea, commented")
    log_out(page)
    return idea_url, title


def toggle_vote(page: Page, javascript: bool, message: str) -> None:
    """With JavaScript the page updates in place; without, the form posts and redirects back."""
    vote_button(page).click()
    if not javascript:
        expect(page.locator(".flash")).to_contain_text(message)


def staff_actions(
    page: Page, check: Check, live_server: LiveServer, idea_url: str, title: str
) -> None:
    page.get_by_role("link", name="Log in", exact=True).click()
    log_in(page, live_server.staff_email, live_server.staff_password)
    expect(page.locator(".flash")).to_contain_text("Welcome back, Priya PM.")

    page.get_by_role("link", name="Triage", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Triage")
    check("triage")
    page.get_by_role("link", name=title, exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(idea_url) + "#status-title$"))
    check("idea, staff")
    accept_idea(page, "We start with **ten stores** in May.")
    expect(page.locator(".idea .meta .badge").first).to_have_text("Accepted")
    expect(page.locator("#history li.official .prose strong")).to_have_text("ten stores")
    check("idea, accepted")

    page.get_by_role("link", name="Categories", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Categories")
    check("categories")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Roadmap").click()
    accepted = page.locator("section.column", has=page.locator("h2#col-accepted"))
    expect(accepted.get_by_role("link", name=title, exact=True)).to_be_visible()
    check("roadmap, accepted")

    footer = page.get_by_role("contentinfo")
    for label in ("RSS", "Atom"):
        href = footer.get_by_role("link", name=label, exact=True).get_attribute("href")
        response = page.request.get(urljoin(page.url, href))
        assert response.ok, (label, response.status)
        feed = feedparser.parse(response.body())
        assert feed.bozo == 0, (label, feed.get("bozo_exception"))
        assert title in [entry.title for entry in feed.entries], label
    log_out(page)


@pytest.mark.browser
def test_visited_pages_are_valid_and_accessible(page_audit: PageAudit):
    """The pages test_every_action saved: no Nu HTML checker error, no axe-core violation."""
    by_mode = {
        mode: [name.split(": ", 1)[1] for name in page_audit.files if name.startswith(mode + ":")]
        for mode in ("js", "no-js")
    }
    # Run alone, this test would have nothing to judge.
    assert by_mode["js"] and by_mode["js"] == by_mode["no-js"], f"journeys incomplete: {by_mode}"
    vnu = page_audit.validate_html()

    width = max(map(len, vnu))
    print(f"\n{'page':<{width}}  vnu errors  axe violations")
    for name in vnu:
        axe = page_audit.axe.get(name, [])
        print(f"{name:<{width}}  {len(vnu[name]):>10}  {len(axe):>14}")
    problems = [
        f"{name}: {kind} {message}"
        for name in vnu
        for kind, messages in (("vnu", vnu[name]), ("axe", page_audit.axe.get(name, [])))
        for message in messages
    ]
    assert not problems, "\n".join(problems)
