"""Shared by the OpenID Connect tests: providers configured on the app, the steps of a
sign-in as a browser takes them, and what the database holds afterwards."""

import re

import pytest

from ideaboard.db import db
from ideaboard.models import LinkedAccount, User
from tests.oidc_provider import running_provider

MIA = "member@example.com"  # the `users` fixture's member, with the password PASSWORD


@pytest.fixture
def acme(app):
    """The provider "acme" (label Acme), configured on the app."""
    with running_provider(app.config["BASE_URL"] + "/oidc/acme/callback") as provider:
        app.config["OIDC_PROVIDERS"] = {"acme": provider.settings("acme", "Acme")}
        yield provider


@pytest.fixture
def globex(app, acme):
    """A second provider beside acme."""
    with running_provider(app.config["BASE_URL"] + "/oidc/globex/callback") as provider:
        settings = provider.settings("globex", "Globex ID")
        app.config["OIDC_PROVIDERS"] = {**app.config["OIDC_PROVIDERS"], "globex": settings}
        yield provider


def start(client, name: str = "acme", **fields):
    return client.post_form("/oidc/start", {"provider": name, **fields})


def to_callback(provider, client, name: str = "acme", **fields) -> str:
    """Start a sign-in and go through the provider, as a browser would: the callback path."""
    response = start(client, name, **fields)
    assert response.status_code == 302, response.get_data(as_text=True)
    return provider.sign_in(response.headers["Location"])


def sign_in(provider, client, name: str = "acme", **fields):
    return client.get(to_callback(provider, client, name, **fields))


def signed_in_as(client) -> str | None:
    """The email of the account this client is logged in to, as its account page shows it."""
    response = client.get("/account")
    if response.status_code != 200:
        return None
    return re.search(r"Signed in as ([^<]+)\.</p>", response.get_data(as_text=True)).group(1)


def links() -> set[tuple[str, str, int]]:
    with db.connection_context():
        query = LinkedAccount.select(
            LinkedAccount.provider, LinkedAccount.subject, LinkedAccount.user
        )
        return set(query.tuples())


def account(email: str) -> User | None:
    with db.connection_context():
        return User.get_or_none(User.email == email)


def people() -> int:
    with db.connection_context():
        return User.select().count()


def page_of(response) -> str:
    return response.get_data(as_text=True)


def provider_env(issuer: str, **extra) -> dict:
    return {
        "IDEABOARD_OIDC_PROVIDERS": "acme",
        "IDEABOARD_OIDC_ACME_ISSUER": issuer,
        "IDEABOARD_OIDC_ACME_CLIENT_ID": "board",
        "IDEABOARD_OIDC_ACME_CLIENT_SECRET": "s3cret",
        **extra,
    }
