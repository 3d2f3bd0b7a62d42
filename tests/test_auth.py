"""Accounts: register, log in, log out, password storage, session cookie."""

import pytest

from ideaboard.db import db
from ideaboard.models import User
from ideaboard.passwords import check_password, hash_password
from tests.conftest import CSRF_INPUT, PASSWORD


def register(client, **overrides):
    data = {
        "email": "new@example.com",
        "name": "Nora New",
        "password": PASSWORD,
        "confirm": PASSWORD,
        **overrides,
    }
    return client.post_form("/register", data)


def test_register_logs_in(client):
    response = register(client)
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "Nora New" in page and "Log out" in page
    with db.connection_context():
        user = User.get(User.email == "new@example.com")
    assert user.role == "member"
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_register_normalizes_email_and_refuses_duplicates(client, users):
    response = register(client, email="  Member@Example.COM ")
    assert response.status_code == 400
    assert "already exists" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"name": "X"}, "name"),
        ({"password": "short", "confirm": "short"}, "password"),
        ({"password": "p" * 129, "confirm": "p" * 129}, "password"),
        ({"confirm": "something else"}, "confirm"),
    ],
)
def test_register_field_errors(client, overrides, field):
    response = register(client, **overrides)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="{field}-error"' in page
    assert 'aria-invalid="true"' in page
    with db.connection_context():
        assert User.select().count() == 0


def test_register_keeps_typed_values_but_not_passwords(client):
    page = register(client, name="X").get_data(as_text=True)
    assert 'value="new@example.com"' in page
    assert PASSWORD not in page


def test_login_and_logout(client, users):
    response = client.login("member@example.com")
    assert response.status_code == 302
    assert "Mia Member" in client.get("/").get_data(as_text=True)
    response = client.logout()
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "Log in" in page and "Mia Member" not in page


def test_login_is_case_insensitive_on_email(client, users):
    client.login("MEMBER@example.com")
    assert "Mia Member" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("email", ["member@example.com", "nobody@example.com"])
def test_wrong_login_gives_one_message(client, users, email):
    response = client.login(email, "wrong password!")
    assert response.status_code == 400
    assert "do not match an account" in response.get_data(as_text=True)


def test_logout_needs_post(client, users):
    client.login("member@example.com")
    assert client.get("/logout").status_code == 405
    assert "Mia Member" in client.get("/").get_data(as_text=True)


def test_session_cookie_flags(client, users):
    response = client.login("member@example.com")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_session_cookie_over_https_is_secure_and_host_only(app, users):
    client = app.test_client()
    page = client.get("/login", base_url="https://localhost").get_data(as_text=True)
    token = CSRF_INPUT.search(page).group(1)
    response = client.post(
        "/login",
        data={"email": "member@example.com", "password": PASSWORD, "csrf_token": token},
        base_url="https://localhost",
        # Over HTTPS, Flask-WTF also checks that the form came from this site.
        headers={"Referer": "https://localhost/login"},
    )
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    assert "Secure" in cookie and "HttpOnly" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_remember_me_makes_a_lasting_cookie(client, users):
    token = client.csrf_token()
    response = client.post(
        "/login",
        data={
            "email": "member@example.com",
            "password": PASSWORD,
            "remember": "y",
            "csrf_token": token,
        },
    )
    assert "Expires=" in response.headers["Set-Cookie"]


def test_session_changes_at_login(client, users):
    client.csrf_token()  # an anonymous session exists before logging in
    before = client.get_cookie("session")
    client.login("member@example.com")
    after = client.get_cookie("session")
    assert before is not None and after is not None
    assert before.value != after.value


def test_password_hash_parameters():
    hashed = hash_password("pa55word-long-enough")
    # argon2id with 19 MiB of memory and 2 passes (OWASP's recommended minimum).
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert check_password(hashed, "pa55word-long-enough")
    assert not check_password(hashed, "pa55word-long-enougH")
    assert not check_password("not a hash", "anything")


def test_login_next_brings_you_back(client, users):
    response = client.get("/ideas/new")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/ideas/new"
    token = client.csrf_token()
    response = client.post(
        "/login?next=/ideas/new",
        data={"email": "member@example.com", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/ideas/new"
