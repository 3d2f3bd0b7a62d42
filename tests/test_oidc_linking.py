"""Linking OpenID Connect identities to accounts: an existing account only once its owner
confirms (its password, or one click when logged in to it), refusals (unverified address,
suspended or deleted account, linked elsewhere), two providers at once, and unlinking."""

from ideaboard.board.api_tokens import hash_secret, issue_token
from ideaboard.board.deletion import delete_account
from ideaboard.db import db
from ideaboard.models import LinkedAccount, User, utcnow
from ideaboard.web.throttling import limiter
from tests.conftest import PASSWORD
from tests.oidc_provider import Person
from tests.oidc_support import (
    MIA,
    account,
    links,
    page_of,
    people,
    sign_in,
    signed_in_as,
    to_callback,
)

# Fixtures: the redundant aliases tell ruff the imports are used (as test arguments).
from tests.oidc_support import acme as acme
from tests.oidc_support import globex as globex


def test_an_existing_account_is_linked_only_with_its_password(client, acme, users):
    acme.person = Person("mia-at-acme", MIA, True, "Mia at Acme")
    response = sign_in(acme, client, next="/roadmap")
    assert response.headers["Location"] == "/oidc/confirm"
    # Nothing linked, nobody logged in, until the owner confirms.
    assert links() == set() and signed_in_as(client) is None
    page = page_of(client.get("/oidc/confirm"))
    assert "Link your Acme account" in page and f'value="{MIA}"' in page
    assert 'type="password"' in page

    wrong = client.post_form("/oidc/confirm", {"email": MIA, "password": "not it at all"})
    assert wrong.status_code == 400
    assert "That is not the password of this account." in page_of(wrong)
    assert links() == set() and signed_in_as(client) is None

    right = client.post_form("/oidc/confirm", {"email": MIA, "password": PASSWORD})
    assert right.status_code == 302 and right.headers["Location"] == "/roadmap"
    assert links() == {("acme", "mia-at-acme", users["member"].id)}
    assert signed_in_as(client) == MIA
    assert people() == len(users)

    client.logout()
    # From now on the provider logs straight in.
    assert sign_in(acme, client).headers["Location"] == "/"
    assert signed_in_as(client) == MIA


def test_the_confirmation_cannot_be_turned_to_another_account(client, acme, users):
    acme.person = Person("mia-at-acme", MIA, True)
    sign_in(acme, client)
    # The other member's address and password: still the member's account is the one asked.
    other = {"email": "other@example.com", "password": PASSWORD}
    response = client.post_form("/oidc/confirm", other)
    assert response.status_code == 400 and f"password of {MIA}" in page_of(response)
    assert links() == set() and signed_in_as(client) is None


def test_with_nothing_pending_the_confirmation_says_so(client):
    response = client.post_form("/oidc/confirm", {"email": MIA, "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert "Nothing is waiting to be linked" in page_of(client.get("/login"))


def test_an_unverified_address_of_an_existing_account_is_refused(client, acme, users):
    acme.person = Person("mallory", MIA, email_verified=False)
    response = sign_in(acme, client)
    assert response.status_code == 403
    page = page_of(response)
    assert "does not confirm that this address is yours" in page
    assert "Log in with your email and password, then link Acme" in page
    assert links() == set() and people() == len(users) and signed_in_as(client) is None
    # Nothing waits for a password either.
    assert client.get("/oidc/confirm").headers["Location"].startswith("/login")


def suspend(user_id: int) -> None:
    with db.connection_context():
        User.update(suspended_at=utcnow()).where(User.id == user_id).execute()


def test_a_suspended_account_is_refused_either_way(client, acme, users):
    member = users["member"]
    acme.person = Person("mia-at-acme", MIA, True)
    with db.connection_context():
        LinkedAccount.create(user=member.id, provider="acme", subject="mia-at-acme")
    suspend(member.id)
    response = sign_in(acme, client)
    assert response.status_code == 403 and "This account is suspended" in page_of(response)
    assert signed_in_as(client) is None
    # Not linked yet, but the provider vouches for its address: refused too.
    acme.person = Person("someone-else", MIA, True)
    response = sign_in(acme, client)
    assert response.status_code == 403 and "This account is suspended" in page_of(response)
    assert client.get("/oidc/confirm").status_code == 302
    assert links() == {("acme", "mia-at-acme", member.id)}


def test_a_deleted_account_is_never_logged_in_to_again(client, acme, users):
    member = users["member"]
    acme.person = Person("mia-at-acme", MIA, True, "Mia Again")
    with db.connection_context():
        LinkedAccount.create(user=member.id, provider="acme", subject="mia-at-acme")
        delete_account(member.id, "keep")
    assert sign_in(acme, client).status_code == 302
    # A new account: the deleted one kept neither the address nor the link.
    again = account(MIA)
    assert again.id != member.id and again.name == "Mia Again"
    assert links() == {("acme", "mia-at-acme", again.id)}


def test_two_providers_at_once(client, acme, globex):
    assert sign_in(acme, client).status_code == 302
    alice = account("alice@example.com")
    client.logout()
    # Globex vouches for the same address: the account made through Acme has no password to
    # confirm with, so the page says how to link instead.
    response = sign_in(globex, client, "globex")
    assert response.headers["Location"] == "/oidc/confirm"
    assert "has no password to confirm the link with" in page_of(client.get("/oidc/confirm"))
    assert links() == {("acme", "alice-1", alice.id)}
    # A state that Acme was given does not finish a sign-in at Globex.
    callback = to_callback(acme, client)
    assert client.get(callback.replace("/oidc/acme/", "/oidc/globex/")).status_code == 400
    # Logged in through Acme, Alice links Globex from her account page.
    sign_in(acme, client)
    assert "Link Globex ID" in page_of(client.get("/account"))
    assert sign_in(globex, client, "globex").headers["Location"] == "/oidc/confirm"
    page = page_of(client.get("/oidc/confirm"))
    assert "Link Globex ID" in page and 'type="password"' not in page
    assert client.post_form("/oidc/confirm").headers["Location"] == "/account#linked-accounts"
    assert links() == {("acme", "alice-1", alice.id), ("globex", "alice-1", alice.id)}
    client.logout()
    sign_in(globex, client, "globex")
    assert signed_in_as(client) == "alice@example.com" and people() == 1


def link_id(provider: str) -> str:
    with db.connection_context():
        return str(LinkedAccount.get(LinkedAccount.provider == provider).id)


def test_link_from_the_account_page_then_unlink(client, acme, users):
    client.login(MIA)
    assert sign_in(acme, client).headers["Location"] == "/oidc/confirm"
    assert links() == set()
    client.post_form("/oidc/confirm")
    assert links() == {("acme", "alice-1", users["member"].id)}
    page = page_of(client.get("/account"))
    assert "Acme</strong> (alice@example.com)" in page and "Unlink Acme" in page
    response = client.post_form("/oidc/unlink", {"linked_account": link_id("acme")})
    assert response.status_code == 302
    assert "Acme is unlinked" in page_of(client.get("/account"))
    assert links() == set() and signed_in_as(client) == MIA


def test_an_identity_linked_to_someone_else_is_not_moved(client, acme, users):
    with db.connection_context():
        LinkedAccount.create(user=users["other"].id, provider="acme", subject="alice-1")
    client.login(MIA)
    response = sign_in(acme, client)
    assert response.status_code == 409 and "already linked to another account" in page_of(response)
    assert links() == {("acme", "alice-1", users["other"].id)}


def test_the_last_way_in_cannot_be_unlinked(client, acme):
    sign_in(acme, client)
    page = page_of(client.get("/account"))
    assert "Unlink Acme" not in page and "This is your only way to log in" in page
    response = client.post_form("/oidc/unlink", {"linked_account": link_id("acme")})
    assert response.status_code == 302
    assert "so it stays linked" in page_of(client.get("/account"))
    assert len(links()) == 1


def test_only_ones_own_links_can_be_unlinked(client, acme, users):
    with db.connection_context():
        LinkedAccount.create(user=users["other"].id, provider="acme", subject="otto")
    client.login(MIA)
    client.post_form("/oidc/unlink", {"linked_account": link_id("acme")})
    assert "is not linked to your account" in page_of(client.get("/account"))
    assert links() == {("acme", "otto", users["other"].id)}


def test_password_guesses_on_the_confirmation_are_throttled_like_logins(app, client, acme, users):
    limits = {
        "RATELIMIT_LOGIN_PER_ACCOUNT": "2 per minute",
        "RATELIMIT_LOGIN_PER_IP": "9 per minute",
    }
    app.config.update(RATELIMIT_ENABLED=True, **limits)
    limiter.init_app(app)
    acme.person = Person("mallory", MIA, True)
    sign_in(acme, client)
    for _ in range(2):
        guess = client.post_form("/oidc/confirm", {"email": MIA, "password": "guess guess"})
        assert guess.status_code == 400
    # Even the right password waits now: guessing gets no further than on the login page.
    right = client.post_form("/oidc/confirm", {"email": MIA, "password": PASSWORD})
    assert right.status_code == 429
    assert links() == set() and signed_in_as(client) is None


def test_the_export_lists_linked_accounts_and_tokens_but_no_secret(client, acme, users):
    acme.person = Person("mia-at-acme", MIA, True, "Mia at Acme")
    sign_in(acme, client)
    client.post_form("/oidc/confirm", {"email": MIA, "password": PASSWORD})
    with db.connection_context():
        _, secret = issue_token(users["member"], "Jira sync", ["read", "write"])
    exported = client.get("/account/export")
    data = exported.json
    assert [(a["provider"], a["email"]) for a in data["linked_accounts"]] == [("acme", MIA)]
    assert [(t["name"], t["scopes"]) for t in data["api_tokens"]] == [
        ("Jira sync", ["read", "write"])
    ]
    assert secret.startswith(data["api_tokens"][0]["starts_with"])
    text = exported.get_data(as_text=True)
    assert secret not in text and hash_secret(secret) not in text
    assert "mia-at-acme" not in text  # the provider's subject id stays inside the board
