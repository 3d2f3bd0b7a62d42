"""Talking to OpenID Connect providers through Authlib: one client per configured provider,
its discovery document checked, and the checked claims of a finished sign-in (web/oidc.py)."""

import logging
import re
import threading
import time
from contextlib import suppress
from urllib.parse import urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Response, current_app, redirect, session, url_for
from joserfc.errors import JoseError

from ideaboard.config import OidcProvider

log = logging.getLogger("ideaboard.oidc")

SCOPE = "openid email profile"
TIMEOUT_SECONDS = 5
# After a provider failed to answer, pages do not ask it again for this long.
RETRY_AFTER_SECONDS = 30
EXTENSION = "ideaboard.oidc"
# What may stand in a Content-Security-Policy source: scheme, host, maybe a port.
CSP_ORIGIN = re.compile(
    r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?"
)


class ProviderUnavailable(Exception):
    """The provider did not answer, or not as a provider should; worth trying again later."""


class SignInFailed(Exception):
    """The provider's answer failed a check (state, code, PKCE, ID token, nonce)."""


class _Clients:
    """The app's Authlib clients for one set of providers, and when each last failed."""

    def __init__(self, app, configured: tuple[OidcProvider, ...]):
        self.configured = configured
        self.oauth = OAuth(app)
        self.failed_at: dict[str, float] = {}
        self.lock = threading.Lock()
        for provider in configured:
            self.oauth.register(
                provider.name,
                client_id=provider.client_id,
                client_secret=provider.client_secret,
                server_metadata_url=provider.discovery_url,
                # S256 makes Authlib send a PKCE challenge and keep its verifier with the state.
                client_kwargs={
                    "scope": SCOPE,
                    "code_challenge_method": "S256",
                    "default_timeout": TIMEOUT_SECONDS,
                },
            )


def providers() -> dict[str, OidcProvider]:
    """The configured providers by name (config.py reads them from IDEABOARD_OIDC_*)."""
    return current_app.config.get("OIDC_PROVIDERS") or {}


def _clients() -> _Clients:
    """Made on first use rather than at start, so a test may set OIDC_PROVIDERS on its app."""
    configured = tuple(providers().values())
    made = current_app.extensions.get(EXTENSION)
    if made is None or made.configured != configured:
        made = current_app.extensions[EXTENSION] = _Clients(current_app, configured)
    return made


def _client(provider: OidcProvider):
    return _clients().oauth.create_client(provider.name)


def metadata(provider: OidcProvider) -> dict:
    """The provider's discovery document, read once per worker; ProviderUnavailable when it
    cannot be read or names another issuer."""
    clients, client = _clients(), _client(provider)
    with clients.lock:
        if time.monotonic() - clients.failed_at.get(provider.name, -1e9) < RETRY_AFTER_SECONDS:
            raise ProviderUnavailable("it failed a moment ago")
        try:
            found = client.load_server_metadata()
            # Discovery requires the document to name the issuer it was fetched for: another
            # issuer's ID tokens must not pass the issuer check.
            if str(found.get("issuer", "")).rstrip("/") != provider.issuer:
                raise ProviderUnavailable(f"its discovery document names {found.get('issuer')!r}")
        except (requests.RequestException, ValueError, ProviderUnavailable) as error:
            client.server_metadata.pop("_loaded_at", None)  # read it again next time
            clients.failed_at[provider.name] = time.monotonic()
            log.warning("OpenID Connect provider %s unavailable: %s", provider.name, error)
            raise ProviderUnavailable(str(error)) from error
    return found


def callback_url(provider: OidcProvider) -> str:
    # The board's public address, as registered at the provider, whatever Host was asked for.
    return current_app.config["BASE_URL"] + url_for("oidc.callback", provider_name=provider.name)


def authorization_redirect(provider: OidcProvider) -> tuple[Response, str]:
    """The redirect to the provider's sign-in page, and the state it carries."""
    metadata(provider)
    client = _client(provider)
    redirect_uri = callback_url(provider)
    try:
        found = client.create_authorization_url(redirect_uri)
    except (RuntimeError, ValueError) as error:  # e.g. no authorization_endpoint
        raise ProviderUnavailable(str(error)) from error
    # As authorize_redirect() does, but one sign-in at a time and without the long URL: the
    # session is a cookie, and browsers drop cookies over 4 KB (the login with it).
    forget_unfinished_sign_ins()
    client.save_authorize_data(
        redirect_uri=redirect_uri,
        state=found["state"],
        nonce=found["nonce"],
        code_verifier=found["code_verifier"],
    )
    return redirect(found["url"]), found["state"]


def forget_unfinished_sign_ins() -> None:
    """Drop what Authlib keeps in the session for sign-ins that never came back."""
    prefixes = tuple(f"_state_{name}_" for name in providers())
    for key in [key for key in session if key.startswith(prefixes)]:
        session.pop(key)


def finish_sign_in(provider: OidcProvider) -> dict:
    """At the callback: the claims of the provider's checked ID token, with the email from
    its userinfo endpoint when the token carries none. SignInFailed or ProviderUnavailable."""
    found = metadata(provider)
    client = _client(provider)
    try:
        # Authlib checks the state against the session, sends the code with the PKCE
        # verifier, and verifies the ID token: signature, issuer, audience, expiry, nonce.
        token = client.authorize_access_token()
    except requests.RequestException as error:
        raise ProviderUnavailable(str(error)) from error
    except (AuthlibBaseError, JoseError, RuntimeError, ValueError, KeyError, TypeError) as error:
        raise SignInFailed(f"{type(error).__name__}: {error}") from error
    if not token.get("userinfo"):
        raise SignInFailed("the answer carried no ID token")
    claims = dict(token["userinfo"])
    if not claims.get("email") and found.get("userinfo_endpoint"):
        claims.update(_userinfo_email(client, token, claims["sub"]))
    return claims


def _userinfo_email(client, token: dict, subject: str) -> dict:
    """Email claims from the userinfo endpoint, only if they are about the same person."""
    try:
        answer = client.userinfo(token=token)
    except (requests.RequestException, AuthlibBaseError, ValueError) as error:
        log.warning("OpenID Connect userinfo failed: %s", error)
        return {}
    if answer.get("sub") != subject:
        return {}
    return {key: answer[key] for key in ("email", "email_verified", "name") if key in answer}


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
    return origin if CSP_ORIGIN.fullmatch(origin) else None


def form_action_origins() -> list[str]:
    """Where the sign-in buttons' forms end up: every provider's authorization endpoint (its
    issuer's origin while the discovery document cannot be read)."""
    origins = set()
    for provider in providers().values():
        origins.add(_origin(provider.issuer))
        with suppress(ProviderUnavailable):
            origins.add(_origin(str(metadata(provider).get("authorization_endpoint", ""))))
    return sorted(origin for origin in origins if origin)
