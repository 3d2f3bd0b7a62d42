"""Accounts: register, log in, log out, password rules and storage, server-side sessions."""

import hashlib
from datetime import timedelta

import pytest

from ideaboard.board.passwords import (
    COMMON_MESSAGE,
    LENGTH_MESSAGE,
    check_password,
    common_passwords,
    hash_password,
    password_problem,
)
from ideaboard.db import db
from ideaboard.models import User, UserSession, utcnow
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


# Password rules (ASVS 2.1): 8 to 128 characters, not on the common-passwords list.


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("zq7!vmw3", None),
        ("x" * 128, None),
        ("a phrase of unrelated words", None),
        ("zq7!vmw", LENGTH_MESSAGE),
        ("x" * 129, LENGTH_MESSAGE),
        ("password123", COMMON_MESSAGE),
        ("PassWord123", COMMON_MESSAGE),
        ("qwertyuiop", COMMON_MESSAGE),
        ("1q2w3e4r5t", COMMON_MESSAGE),
        ("123456789", COMMON_MESSAGE),
        ("iloveyou2024", COMMON_MESSAGE),
    ],
)
def test_password_problem(password, problem):
    assert password_problem(password) == problem


def test_common_password_list_is_usable():
    passwords = common_passwords()
    assert len(passwords) > 3000
    # Shorter ones are refused by length anyway; upper case would never match.
    assert all(len(p) >= 8 and p == p.lower() for p in passwords)
    assert not any(p.startswith("#") for p in passwords)


def test_register_refuses_a_common_password(client):
    response = register(client, password="Football123", confirm="Football123")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="password-error"' in page
    assert "list of common passwords" in page
    with db.connection_context():
        assert User.select().count() == 0


def test_register_accepts_eight_characters_and_recommends_fifteen(client):
    assert "We recommend 15 or more" in client.get("/register").get_data(as_text=True)
    assert register(client, password="zq7!vmw3", confirm="zq7!vmw3").status_code == 302


def test_create_user_command_refuses_a_common_password(runner):
    result = runner.invoke(
        args=["create-user", "--email", "c@example.com", "--name", "C", "--password", "letmein123"]
    )
    assert result.exit_code != 0
    assert "common passwords" in result.output
    with db.connection_context():
        assert User.select().count() == 0


# Server-side sessions: the cookie holds a random key; the table holds its hash.


def session_key(client) -> str | None:
    with client.session_transaction() as session:
        return session.get("_user_id")


def logged_in(client) -> bool:
    return client.get("/account").status_code == 200


def session_rows() -> list[UserSession]:
    with db.connection_context():
        return list(UserSession.select().order_by(UserSession.id))


def test_cookie_carries_a_session_key_stored_hashed(client, users):
    client.login("member@example.com")
    key = session_key(client)
    assert key and len(key) >= 43 and key != str(users["member"].id)
    (row,) = session_rows()
    assert row.user_id == users["member"].id
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in row.key_hash


def test_copied_cookie_stops_working_after_logout(app, client, users):
    client.login("member@example.com")
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    assert logged_in(thief)
    client.logout()
    assert session_rows() == []
    assert not logged_in(thief)


def test_session_key_changes_at_every_login(app, client, users):
    client.login("member@example.com")
    first = session_key(client)
    client.logout()
    client.login("member@example.com")
    second = session_key(client)
    other_device = app.test_client()
    other_device.login("member@example.com")
    assert len({first, second, session_key(other_device)}) == 3
    assert len(session_rows()) == 2


def test_keep_me_signed_in_ends_with_the_session_row(app, client, users):
    response = client.post_form(
        "/login", {"email": "member@example.com", "password": PASSWORD, "remember": "y"}
    )
    cookies = response.headers.getlist("Set-Cookie")
    assert any(c.startswith("session=") and "Expires=" in c for c in cookies)
    # No flask-login remember cookie, which would log in again without a session row.
    assert not any(c.startswith("remember_token=") for c in cookies)
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    assert logged_in(copy)
    client.logout()
    assert not logged_in(copy)


def test_unused_session_expires_on_the_server(client, users):
    client.login("member@example.com")
    month_ago = utcnow() - timedelta(days=31)
    with db.connection_context():
        UserSession.update(last_seen_at=month_ago).execute()
    assert not logged_in(client)


def test_use_keeps_a_session_alive(client, users):
    client.login("member@example.com")
    hour_ago = utcnow() - timedelta(hours=1)
    with db.connection_context():
        UserSession.update(last_seen_at=hour_ago).execute()
    assert logged_in(client)
    (row,) = session_rows()
    assert row.last_seen_at > hour_ago + timedelta(minutes=59)


def test_login_clears_the_users_expired_sessions(client, users):
    with db.connection_context():
        UserSession.create(
            key_hash="0" * 64, user=users["member"].id, last_seen_at=utcnow() - timedelta(days=40)
        )
    client.login("member@example.com")
    (row,) = session_rows()
    assert row.key_hash != "0" * 64
