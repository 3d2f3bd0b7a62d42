"""A real OpenID Connect provider for the tests, served on 127.0.0.1 from a thread.

Strict where a relying party can go wrong: the authorization request must carry a state, a
nonce and an S256 PKCE challenge; a code works once, for the client and the redirect address
it was issued to, and only with the verifier that matches its challenge; the ID token (RS256,
signed with a key made at start) carries the nonce it was given. There is no login form: it
signs in whoever `person` is at once, or refuses (access_denied) when that is None. Faults
for the tests to switch on: `nonce_fault` ("wrong" or "missing"), `foreign_key` (an ID token
signed with a key the JWKS does not hold), `email_in_userinfo_only`, and `down` (every
address answers 503).
"""

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import unquote, urlencode, urlsplit

import requests
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from ideaboard.config import OidcProvider

TOKEN_SECONDS = 300


@dataclass
class Person:
    """Who the provider says signed in."""

    subject: str
    email: str = ""
    email_verified: bool = True
    name: str = ""


@dataclass
class Grant:
    """A code waiting to be exchanged, and what it was issued for."""

    client_id: str
    redirect_uri: str
    nonce: str
    challenge: str
    person: Person


def _new_key() -> RSAKey:
    parameters = {"alg": "RS256", "use": "sig", "kid": secrets.token_hex(8)}
    return RSAKey.generate_key(2048, parameters=parameters, private=True)


def s256(verifier: str) -> str:
    """The PKCE challenge for a verifier (RFC 7636, S256)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _json(data: dict, status: int = 200) -> Response:
    return Response(json.dumps(data), status, mimetype="application/json")


@dataclass
class Provider:
    redirect_uris: set[str]
    issuer: str = ""
    client_id: str = "ideaboard-test"
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    person: Person | None = field(
        default_factory=lambda: Person("alice-1", "alice@example.com", True, "Alice Example")
    )
    nonce_fault: str = ""
    foreign_key: bool = False
    email_in_userinfo_only: bool = False
    down: bool = False
    # What happened, for the tests to look at.
    authorizations: list[dict] = field(default_factory=list)
    token_refusals: list[str] = field(default_factory=list)
    grants: dict[str, Grant] = field(default_factory=dict)
    access_tokens: dict[str, Person] = field(default_factory=dict)
    key: RSAKey = field(default_factory=_new_key)

    def settings(self, name: str, label: str) -> OidcProvider:
        """How the board is configured for this provider."""
        return OidcProvider(name, self.issuer, self.client_id, self.client_secret, label)

    def sign_in(self, authorize_url: str) -> str:
        """What a browser does at the authorization address: the path and query of the
        callback the provider sends it back to."""
        answer = requests.get(authorize_url, allow_redirects=False, timeout=5)
        assert answer.status_code == 302, answer.text
        back = urlsplit(answer.headers["Location"])
        return f"{back.path}?{back.query}"

    # The WSGI application.

    def __call__(self, environ, start_response):
        request = Request(environ)
        routes = {
            "/.well-known/openid-configuration": self.discovery,
            "/jwks": self.jwks,
            "/authorize": self.authorize,
            "/token": self.token,
            "/userinfo": self.userinfo,
        }
        view = routes.get(request.path)
        if self.down:
            response = Response("down for maintenance", 503)
        else:
            response = view(request) if view else Response("not found", 404)
        return response(environ, start_response)

    def discovery(self, request: Request) -> Response:
        return _json(
            {
                "issuer": self.issuer,
                "authorization_endpoint": self.issuer + "/authorize",
                "token_endpoint": self.issuer + "/token",
                "userinfo_endpoint": self.issuer + "/userinfo",
                "jwks_uri": self.issuer + "/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "email", "profile"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
            }
        )

    def jwks(self, request: Request) -> Response:
        return _json({"keys": [self.key.as_dict(private=False)]})

    def authorize(self, request: Request) -> Response:
        params = request.args.to_dict()
        self.authorizations.append(params)
        redirect_uri = params.get("redirect_uri", "")
        # Never send anyone to an address that was not registered (RFC 6749, 4.1.2.1).
        if params.get("client_id") != self.client_id or redirect_uri not in self.redirect_uris:
            return Response("unknown client or redirect_uri", 400)
        error = self._authorization_error(params)
        answer = {"state": params.get("state", "")}
        if error:
            answer["error"] = error
        else:
            code = secrets.token_urlsafe(24)
            self.grants[code] = Grant(
                self.client_id, redirect_uri, params["nonce"], params["code_challenge"], self.person
            )
            answer["code"] = code
        return Response("", 302, headers={"Location": f"{redirect_uri}?{urlencode(answer)}"})

    def _authorization_error(self, params: dict) -> str:
        if params.get("response_type") != "code":
            return "unsupported_response_type"
        if "openid" not in params.get("scope", "").split():
            return "invalid_scope"
        # State, nonce and PKCE are required here, so a client that leaves one out fails.
        if not params.get("state") or not params.get("nonce"):
            return "invalid_request"
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return "invalid_request"
        return "access_denied" if self.person is None else ""

    def _client_id(self, request: Request) -> str | None:
        """The client the token request authenticates as (basic or post), or None."""
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            decoded = base64.b64decode(header[6:]).decode()
            client_id, _, secret = decoded.partition(":")
            client_id, secret = unquote(client_id), unquote(secret)
        else:
            client_id = request.form.get("client_id", "")
            secret = request.form.get("client_secret", "")
        ok = client_id == self.client_id and secrets.compare_digest(secret, self.client_secret)
        return client_id if ok else None

    def _refuse(self, error: str, why: str, status: int = 400) -> Response:
        self.token_refusals.append(why)
        return _json({"error": error, "error_description": why}, status)

    def token(self, request: Request) -> Response:
        if request.method != "POST":
            return Response("POST only", 405)
        client_id = self._client_id(request)
        if client_id is None:
            return self._refuse("invalid_client", "wrong client id or secret", 401)
        if request.form.get("grant_type") != "authorization_code":
            return self._refuse("unsupported_grant_type", "not authorization_code")
        # One use only, even when the rest of this request is wrong.
        grant = self.grants.pop(request.form.get("code", ""), None)
        if grant is None:
            return self._refuse("invalid_grant", "unknown or used code")
        if grant.client_id != client_id or grant.redirect_uri != request.form.get("redirect_uri"):
            return self._refuse("invalid_grant", "code issued for another client or address")
        verifier = request.form.get("code_verifier", "")
        if not verifier:
            return self._refuse("invalid_grant", "no PKCE code_verifier")
        if not secrets.compare_digest(s256(verifier), grant.challenge):
            return self._refuse("invalid_grant", "PKCE code_verifier does not match")
        access_token = secrets.token_urlsafe(24)
        self.access_tokens[access_token] = grant.person
        return _json(
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": TOKEN_SECONDS,
                "id_token": self._id_token(grant),
            }
        )

    def _id_token(self, grant: Grant) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": grant.person.subject,
            "aud": grant.client_id,
            "iat": now,
            "exp": now + TOKEN_SECONDS,
        }
        if self.nonce_fault == "wrong":
            claims["nonce"] = "not-" + grant.nonce
        elif self.nonce_fault != "missing":
            claims["nonce"] = grant.nonce
        if not self.email_in_userinfo_only:
            claims.update(self._profile(grant.person))
        key = _new_key() if self.foreign_key else self.key
        return jwt.encode({"alg": "RS256", "kid": self.key.kid}, claims, key)

    @staticmethod
    def _profile(person: Person) -> dict:
        profile = {"name": person.name} if person.name else {}
        if person.email:
            profile.update(email=person.email, email_verified=person.email_verified)
        return profile

    def userinfo(self, request: Request) -> Response:
        header = request.headers.get("Authorization", "")
        person = self.access_tokens.get(header.removeprefix("Bearer "))
        if person is None:
            return _json({"error": "invalid_token"}, 401)
        return _json({"sub": person.subject, **self._profile(person)})


@contextmanager
def running_provider(*redirect_uris: str, host: str = "127.0.0.1") -> Iterator[Provider]:
    """A provider listening on a free port of `host` until the block ends."""
    provider = Provider(redirect_uris=set(redirect_uris))
    server = make_server(host, 0, provider, threaded=True)
    provider.issuer = f"http://{host}:{server.server_port}"
    # A short poll, so that stopping at the end of each test takes no time.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
