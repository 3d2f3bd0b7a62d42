"""The account page: change display name, email and password; sessions end on a new password."""

import re

import pytest

from ideaboard.board.passwords import check_password
from ideaboard.db import db
from ideaboard.models import User, UserSession
from tests.conftest import PASSWORD

NEW_PASSWORD = "violet kettle under the stairs"


@pytest.fixture
def member(client, users):
    """The test client, logged in as the member."""
    client.login("member@example.com")
    return client


def fetch(email: str) -> User | None:
    with db.connection_context():
        return User.get_or_none(User.email == email)


def logged_in(client) -> bool:
    return client.get("/account").status_code == 200


def change_password(client, **overrides):
    data = {
        "current_password": PASSWORD,
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
        **overrides,
    }
    return client.post_form("/account/password", data)


def test_account_needs_login(client):
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/account"


def test_header_links_to_the_account(client, users):
    assert 'href="/account"' not in client.get("/").get_data(as_text=True)
    client.login("member@example.com")
    assert 'href="/account"' in client.get("/").get_data(as_text=True)


def test_page_shows_three_forms_with_unique_field_ids(member):
    page = member.get("/account").get_data(as_text=True)
    assert 'value="Mia Member"' in page
    assert 'value="member@example.com"' in page
    for action in ("/account/name", "/account/email", "/account/password"):
        assert f'action="{action}"' in page
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    # Labels must point at the field they name.
    assert set(re.findall(r'<label for="([^"]+)"', page)) <= set(ids)
    assert "We recommend 15 or more" in page


def test_change_name(member, users):
    response = member.post_form("/account/name", {"name": "  Mia Maker  "})
    assert response.status_code == 302
    assert response.headers["Location"] == "/account"
    page = member.get("/account").get_data(as_text=True)
    assert "Your display name is now Mia Maker." in page
    assert fetch("member@example.com").name == "Mia Maker"


def test_change_name_refuses_a_too_short_name(member):
    response = member.post_form("/account/name", {"name": "X"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="name-error"' in page
    assert fetch("member@example.com").name == "Mia Member"


def test_change_email(app, member):
    response = member.post_form(
        "/account/email", {"email": " Mia@Example.org ", "current_password": PASSWORD}
    )
    assert response.status_code == 302
    assert "Your email is now mia@example.org." in member.get("/account").get_data(as_text=True)
    assert fetch("member@example.com") is None
    fresh = app.test_client()
    assert fresh.login("member@example.com").status_code == 400
    assert fresh.login("mia@example.org").status_code == 302


@pytest.mark.parametrize(
    ("data", "error_id", "message"),
    [
        (
            {"email": "mia@example.org", "current_password": "not my password"},
            "email-current_password-error",
            "not your current password",
        ),
        (
            {"email": "mia@example.org", "current_password": ""},
            "email-current_password-error",
            None,
        ),
        ({"email": "not-an-email", "current_password": PASSWORD}, "email-error", None),
        (
            {"email": "other@example.com", "current_password": PASSWORD},
            "email-error",
            "Another account already uses this email.",
        ),
    ],
)
def test_change_email_errors(member, data, error_id, message):
    response = member.post_form("/account/email", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="{error_id}"' in page
    if message:
        assert message in page
    assert fetch("member@example.com") is not None
    assert fetch("mia@example.org") is None


def test_change_password_ends_other_sessions_only(app, member, users):
    phone = app.test_client()
    phone.login("member@example.com")
    someone_else = app.test_client()
    someone_else.login("other@example.com")

    response = change_password(member)
    assert response.status_code == 302
    page = member.get("/account").get_data(as_text=True)
    assert "logged out on other devices" in page

    assert check_password(fetch("member@example.com").password_hash, NEW_PASSWORD)
    assert logged_in(member)
    assert not logged_in(phone)
    assert logged_in(someone_else)
    with db.connection_context():
        assert UserSession.select().where(UserSession.user == users["member"].id).count() == 1
    fresh = app.test_client()
    assert fresh.login("member@example.com").status_code == 400
    assert fresh.login("member@example.com", NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("overrides", "error_id", "message"),
    [
        ({"current_password": "not my password"}, "current_password-error", "not your current"),
        ({"confirm": "something else"}, "confirm-error", "do not match"),
        ({"password": "Sunshine123", "confirm": "Sunshine123"}, "password-error", "common"),
        ({"password": "short", "confirm": "short"}, "password-error", "8 to 128"),
    ],
)
def test_change_password_errors(app, member, overrides, error_id, message):
    phone = app.test_client()
    phone.login("member@example.com")
    response = change_password(member, **overrides)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="{error_id}"' in page
    assert message in page
    assert NEW_PASSWORD not in page and PASSWORD not in page
    assert check_password(fetch("member@example.com").password_hash, PASSWORD)
    assert logged_in(phone)
