"""A customer makes an API token on a phone, with and without JavaScript, and a script uses it
against the live server: the idea it posts shows on the site under the customer's name; once
revoked, the token stops working. The tokens page and the API reference pass vnu and axe and
never scroll sideways at 390 px."""

import json
import urllib.error
import urllib.request
import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.audit import PageAudit
from tests.e2e.conftest import LiveServer
from tests.e2e.helpers import PASSWORD, log_in, new_context, unique_email
from tests.servers import run_flask

PHONE = {"width": 390, "height": 844}


def call_api(url: str, token: str, method: str = "GET", body: dict | None = None):
    """A script's request, outside the browser: (status, parsed JSON)."""
    request = urllib.request.Request(url, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, data=data, timeout=10) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def assert_fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url


@pytest.mark.browser
def test_a_token_made_on_a_phone_works_for_a_script_until_revoked(
    browser: Browser, live_server: LiveServer, javascript, tmp_path
):
    uid = uuid.uuid4().hex[:6]
    email, name = unique_email("tess"), f"Tess Tokens {uid}"
    run_flask(live_server.env, "create-user", "--email", email, "--name", name,
              "--password", PASSWORD)  # fmt: skip
    audit = PageAudit(browser, tmp_path)
    context = new_context(browser, viewport=PHONE, java_script_enabled=javascript)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/login")
        log_in(page, email, PASSWORD)
        page.goto(live_server.url + "/account")
        page.get_by_role("link", name="Manage API tokens").click()
        expect(page.get_by_role("heading", name="API tokens", level=1)).to_be_visible()
        expect(page.get_by_text("No tokens yet.")).to_be_visible()
        # A member is offered no staff scope.
        expect(page.locator("input[name=scopes][value=staff]")).to_have_count(0)
        assert_fits(page)
        audit.check(page, "tokens, empty", javascript)

        # Sent without a name: the error is on screen, next to its field, with the cursor in it.
        page.get_by_role("button", name="Make token").click()
        error = page.locator("#name-error")
        expect(error).to_contain_text("Name the token.")
        box = error.bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], box
        assert page.evaluate("document.activeElement.id") == "name"
        audit.check(page, "tokens, error", javascript)

        page.get_by_label("Token name").fill("My script")
        page.get_by_label("write: post, edit, vote, comment and follow as you").check()
        page.get_by_role("button", name="Make token").click()
        secret = page.get_by_role("textbox", name="The token").input_value()
        assert secret.startswith("ib_")
        expect(page.get_by_text("shown only this once")).to_be_visible()
        assert_fits(page)
        audit.check(page, "tokens, new secret", javascript)

        # The script posts an idea with it; the site shows it under the customer's name.
        api = live_server.url + "/api/v1"
        status, me = call_api(api + "/me", secret)
        assert (status, me["name"], me["scopes"]) == (200, name, ["read", "write"])
        status, idea = call_api(api + "/ideas", secret, "POST", {"title": f"Mobile order {uid}"})
        assert status == 201, idea
        page.goto(idea["url"])
        expect(page.get_by_role("heading", name=f"Mobile order {uid}")).to_be_visible()
        expect(page.get_by_role("link", name=name).first).to_be_visible()

        # Shown once: the list names it by its first characters, never the whole secret.
        page.goto(live_server.url + "/account/tokens")
        expect(page.get_by_text(secret[:7] + "…")).to_be_visible()
        assert secret not in page.content()
        page.get_by_role("button", name="Revoke").click()
        expect(page.locator(".flash")).to_contain_text("The token is revoked")
        status, refused = call_api(api + "/me", secret)
        assert (status, refused["error"]) == (401, "unauthorized")

        page.goto(live_server.url + "/api/docs")
        expect(page.get_by_role("heading", name="API reference")).to_be_visible()
        page.get_by_role("link", name="OpenAPI 3.1 document").wait_for()
        assert_fits(page)
        audit.check(page, "api reference", javascript)
    finally:
        context.close()
    problems = audit.problems()
    audit.close()
    assert not problems, "\n".join(problems)
