"""Sign in with OpenID Connect, against a real provider the tests start (tests/oidc_provider.py):
the buttons, new and returning people, the state, nonce and PKCE checks, refusals and failures,
and the configuration. Linking existing accounts: tests/test_oidc_linking.py."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ideaboard import create_app
from ideaboard.board.deletion import UNUSABLE_PASSWORD
from ideaboard.board.linked_accounts import SignInRefused, identity_from_claims
from ideaboard.board.passwords import check_password
from ideaboard.config import oidc_providers
from ideaboard.db import db
from ideaboard.models import LinkedAccount, OutgoingMail
from tests.oidc_provider import Person, s256
from tests.oidc_support import (
    account,
    links,
    page_of,
    people,
    provider_env,
    sign_in,
    signed_in_as,
    start,
    to_callback,
)

# Fixtures: the redundant aliases tell ruff the imports are used (as test arguments).
from tests.oidc_support import acme as acme
from tests.oidc_support import globex as globex
from tests.servers import free_port


def test_login_and_sign_up_pages_offer_every_provider_and_keep_next(client, acme, globex):
    for path in ("/login?next=/roadmap", "/register?next=/roadmap"):
        page = page_of(client.get(path))
        assert "Continue with Acme" in page and "Continue with Globex ID" in page
        # The password form's own `next`, and each button's.
        assert page.count('name="next" value="/roadmap"') == 3
    # The browser may follow the buttons' redirects to the providers, and nowhere else.
    policy = client.get("/login").headers["Content-Security-Policy"]
    form_action = re.search(r"form-action ([^;]+)", policy).group(1).split()
    assert sorted(form_action) == sorted(["'self'", acme.issuer, globex.issuer])


def test_no_buttons_without_providers(client):
    for path in ("/login", "/register"):
        response = client.get(path)
        assert "Continue with" not in page_of(response)
        assert "form-action 'self';" in response.headers["Content-Security-Policy"]


def test_a_new_person_gets_an_account_and_is_logged_in(client, acme):
    response = sign_in(acme, client)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Welcome, Alice Example! Your account is ready." in page_of(client.get("/"))
    assert signed_in_as(client) == "alice@example.com"
    alice = account("alice@example.com")
    assert (alice.name, alice.role) == ("Alice Example", "member")
    # The provider verified the address: no mail to confirm it.
    assert alice.email_verified_at is not None
    # No password: none logs in to it (a password is set through "Forgot your password?").
    assert alice.password_hash == UNUSABLE_PASSWORD
    assert not check_password(alice.password_hash, "")
    assert links() == {("acme", "alice-1", alice.id)}
    # The request the provider saw: state, nonce, and a PKCE challenge by S256.
    asked = acme.authorizations[-1]
    assert asked["code_challenge_method"] == "S256" and len(asked["code_challenge"]) == 43
    assert asked["state"] and asked["nonce"] and asked["scope"] == "openid email profile"


def test_an_address_the_provider_does_not_vouch_for_is_mailed_a_link(client, acme):
    acme.person = Person("bo-2", "bo@example.com", email_verified=False, name="")
    assert sign_in(acme, client).status_code == 302
    bo = account("bo@example.com")
    assert bo.email_verified_at is None and bo.name == "bo"  # the name from the address
    with db.connection_context():
        mail = OutgoingMail.get(OutgoingMail.user == bo.id)
    assert (mail.kind, mail.to_address) == ("verify_email", "bo@example.com")


def test_a_returning_person_logs_in_to_the_same_account(client, acme):
    sign_in(acme, client)
    first = account("alice@example.com")
    client.logout()
    # The provider's address changed meanwhile: the subject, not the email, says who it is.
    acme.person = Person("alice-1", "alice@new.example.com", True, "Alice Example")
    response = sign_in(acme, client)
    assert response.status_code == 302
    assert "Welcome back, Alice Example." in page_of(client.get("/"))
    assert signed_in_as(client) == "alice@example.com"
    assert people() == 1 and links() == {("acme", "alice-1", first.id)}
    with db.connection_context():
        assert LinkedAccount.get().last_used_at is not None


@pytest.mark.parametrize(("asked", "lands_on"), [("/roadmap", "/roadmap"), ("//evil.test", "/")])
def test_the_next_address_is_kept_when_it_is_on_this_site(client, acme, asked, lands_on):
    response = sign_in(acme, client, next=asked)
    assert response.headers["Location"] == lands_on


def test_a_wrong_state_is_refused_before_the_code_is_used(client, acme):
    callback = to_callback(acme, client)
    response = client.get(re.sub(r"state=[^&]+", "state=forged", callback))
    assert response.status_code == 400
    assert "could not be checked" in page_of(response)
    # The code was never exchanged: nothing was asked of the token endpoint.
    assert len(acme.grants) == 1 and acme.token_refusals == []
    assert signed_in_as(client) is None and people() == 0


def test_an_answer_from_another_browser_is_refused(app, client, acme):
    """Login CSRF: a callback made for the attacker's browser, opened in the victim's."""
    callback = to_callback(acme, client)
    victim = app.test_client()
    assert victim.get(callback).status_code == 400
    assert signed_in_as(victim) is None and people() == 0


def test_authlib_checks_the_state_too(client, acme):
    callback = to_callback(acme, client)
    with client.session_transaction() as session:
        for key in [key for key in session if key.startswith("_state_acme_")]:
            del session[key]
    assert client.get(callback).status_code == 400
    assert signed_in_as(client) is None and people() == 0


@pytest.mark.parametrize("fault", ["wrong", "missing"])
def test_an_id_token_without_our_nonce_is_refused(client, acme, fault):
    acme.nonce_fault = fault
    response = sign_in(acme, client)
    # The provider handed out its tokens: refusing them was the board's nonce check.
    assert acme.token_refusals == [] and acme.access_tokens
    assert response.status_code == 400
    assert "could not be checked" in page_of(response)
    assert signed_in_as(client) is None and people() == 0 and links() == set()


def test_an_id_token_signed_with_another_key_is_refused(client, acme):
    acme.foreign_key = True
    assert sign_in(acme, client).status_code == 400
    assert signed_in_as(client) is None and people() == 0


def stored_verifier(client) -> str:
    """The PKCE verifier Authlib keeps in the session for the sign-in under way."""
    with client.session_transaction() as session:
        (key,) = [key for key in session if key.startswith("_state_acme_")]
        return session[key]["data"]["code_verifier"]


def code_in(callback: str) -> str:
    return parse_qs(urlsplit(callback).query)["code"][0]


def test_the_provider_wants_the_verifier_that_matches_the_challenge(client, acme, app):
    callback = to_callback(acme, client)
    verifier = stored_verifier(client)
    assert acme.authorizations[-1]["code_challenge"] == s256(verifier)
    token_url = acme.issuer + "/token"
    form = {
        "grant_type": "authorization_code",
        "redirect_uri": app.config["BASE_URL"] + "/oidc/acme/callback",
        "client_id": acme.client_id,
        "client_secret": acme.client_secret,
    }
    for wrong in ({}, {"code_verifier": verifier[:-1] + "x"}):
        code = code_in(to_callback(acme, client))
        answer = requests.post(token_url, data={**form, "code": code, **wrong}, timeout=5)
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"
    assert acme.token_refusals == ["no PKCE code_verifier", "PKCE code_verifier does not match"]
    # The control: the first code with its own verifier is accepted.
    right = {**form, "code": code_in(callback), "code_verifier": verifier}
    assert "id_token" in requests.post(token_url, data=right, timeout=5).json()


def test_a_wrong_verifier_means_no_login(client, acme):
    callback = to_callback(acme, client)
    with client.session_transaction() as session:
        (key,) = [key for key in session if key.startswith("_state_acme_")]
        saved = session[key]
        saved["data"]["code_verifier"] = "x" * 64
        session[key] = saved  # a nested change is saved only when the key is set again
    response = client.get(callback)
    assert acme.token_refusals == ["PKCE code_verifier does not match"]
    assert response.status_code == 400
    assert signed_in_as(client) is None and people() == 0


def test_a_code_works_once(client, acme):
    first = to_callback(acme, client)
    assert client.get(first).status_code == 302
    client.logout()
    # A new sign-in's own state, with the spent code: the provider refuses it.
    replay = re.sub(r"code=[^&]+", "code=" + code_in(first), to_callback(acme, client))
    assert client.get(replay).status_code == 400
    assert acme.token_refusals == ["unknown or used code"]
    assert signed_in_as(client) is None


def test_cancelling_at_the_provider_changes_nothing(client, acme):
    acme.person = None
    response = sign_in(acme, client)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert "Signing in with Acme was cancelled" in page_of(client.get("/login"))
    assert people() == 0 and signed_in_as(client) is None


def test_a_provider_that_is_down_gets_a_message_not_an_error(app, client, acme):
    callback = to_callback(acme, client)
    acme.down = True
    response = client.get(callback)
    assert response.status_code == 302
    assert "Acme is not answering right now" in page_of(client.get("/login"))
    assert people() == 0
    # Never reachable at all: the pages still work, and starting says so.
    app.config["OIDC_PROVIDERS"] = oidc_providers(provider_env(f"http://127.0.0.1:{free_port()}"))
    assert client.get("/login").status_code == 200
    response = start(client)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert "Acme is not answering right now" in page_of(client.get("/login"))


def test_an_unknown_provider_is_turned_away(client, acme):
    assert client.get("/oidc/nope/callback?code=x&state=y").status_code == 404
    response = start(client, "nope")
    assert response.status_code == 302
    assert "That way of signing in is not available" in page_of(client.get("/login"))


def test_a_provider_that_shares_no_email_is_refused_with_a_reason(client, acme):
    acme.person = Person("no-mail", email="", name="Nomail")
    response = sign_in(acme, client)
    assert response.status_code == 403 and "did not share an email address" in page_of(response)
    assert people() == 0


def test_the_email_may_come_from_userinfo(client, acme):
    acme.email_in_userinfo_only = True
    assert sign_in(acme, client).status_code == 302
    assert signed_in_as(client) == "alice@example.com"
    assert account("alice@example.com").email_verified_at is not None


def test_claims_become_a_tidy_identity():
    claims = {"sub": "42", "email": " Ann@Example.COM ", "email_verified": "true"}
    identity = identity_from_claims("acme", {**claims, "name": "A\x00nn " + "x" * 80})
    assert identity.email == "ann@example.com" and identity.email_verified
    assert identity.name == ("Ann " + "x" * 80)[:60]
    assert identity_from_claims("acme", claims).name == "ann"
    for address in ("not an address", "a@b@example.com", "ann@localhost", 7):
        bad_address = identity_from_claims("acme", {**claims, "email": address})
        assert (bad_address.email, bad_address.email_verified) == ("", False)
    for subject in ("", "x" * 256, "a\x00b", 42, None):
        with pytest.raises(SignInRefused):
            identity_from_claims("acme", {**claims, "sub": subject})


def test_configuration_is_read_from_the_environment():
    env = provider_env("https://id.example.com/", IDEABOARD_OIDC_PROVIDERS="acme, my-sso")
    env |= {f"IDEABOARD_OIDC_MY_SSO_{key}": "x" for key in ("CLIENT_ID", "CLIENT_SECRET")}
    env |= {
        "IDEABOARD_OIDC_MY_SSO_ISSUER": "http://localhost:9000",
        "IDEABOARD_OIDC_MY_SSO_LABEL": "Staff SSO",
    }
    found = oidc_providers(env)
    assert list(found) == ["acme", "my-sso"]
    assert (found["acme"].issuer, found["acme"].label) == ("https://id.example.com", "Acme")
    assert found["acme"].discovery_url == "https://id.example.com/.well-known/openid-configuration"
    assert found["my-sso"].label == "Staff SSO"
    assert "s3cret" not in repr(found)
    assert oidc_providers({}) == {}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (provider_env("https://id.example.com", IDEABOARD_OIDC_PROVIDERS="Acme"), "lowercase"),
        (provider_env("https://id.example.com", IDEABOARD_OIDC_PROVIDERS="a_b"), "lowercase"),
        (provider_env("https://id.example.com", IDEABOARD_OIDC_PROVIDERS="acme,acme"), "twice"),
        (provider_env("", IDEABOARD_OIDC_ACME_CLIENT_SECRET=""), "ISSUER and .*SECRET are not"),
        (provider_env("http://id.example.com"), "https"),
        (provider_env("https://id.example.com?x=1"), "no query"),
        (provider_env("https://id.example.com", IDEABOARD_OIDC_ACME_LABEL="x" * 41), "LABEL"),
    ],
)
def test_a_wrong_configuration_stops_the_start_with_a_reason(env, message):
    with pytest.raises(ValueError, match=message):
        oidc_providers(env)


def test_the_app_does_not_start_with_half_a_provider(monkeypatch, tmp_path):
    monkeypatch.setenv("IDEABOARD_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("IDEABOARD_OIDC_PROVIDERS", "acme")
    monkeypatch.setenv("IDEABOARD_OIDC_ACME_ISSUER", "https://id.example.com")
    with pytest.raises(ValueError, match="IDEABOARD_OIDC_ACME_CLIENT_ID and"):
        create_app({"TESTING": True})


CALLBACK_PARAMS = st.fixed_dictionaries(
    {},
    optional={
        key: st.text(st.characters(exclude_categories=("Cs",)), max_size=80)
        for key in ("code", "state", "error", "error_description", "iss")
    },
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(params=CALLBACK_PARAMS, started=st.booleans())
def test_the_callback_never_fails_with_a_server_error(client, acme, params, started):
    if started:
        start(client)
    response = client.get("/oidc/acme/callback", query_string=params)
    assert response.status_code in (302, 400), response.status_code
    assert signed_in_as(client) is None
