"""How every API call is served: who the caller is, what their token's scopes allow, the
request checked against the schema the OpenAPI document publishes, and the JSON answer with
its ETag and RateLimit headers.

Each view declares its method, path, scope and schemas once, with @endpoint; the route, the
checks and the document (web/api/openapi.py) are all made from that declaration, so the
document cannot drift from what the API does.
"""

import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps

from flask import Blueprint, Response, abort, current_app, g, jsonify, request
from flask_login import current_user
from jsonschema import Draft202012Validator
from werkzeug.routing import BaseConverter

from ideaboard.board.api_tokens import hash_secret, token_owner
from ideaboard.web.errors import MESSAGES
from ideaboard.web.login import SignedInUser
from ideaboard.web.request_log import request_id
from ideaboard.web.throttling import ip_key, limiter, throttle

bp = Blueprint("api", __name__, url_prefix="/api/v1")

READ, WRITE, STAFF = "read", "write", "staff"
SAFE_METHODS = ("GET", "HEAD")
# Row ids in paths: the IdConverter's range (ideaboard/__init__.py).
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}


class ApiIdConverter(BaseConverter):
    """A row id in an API path. Anything else in its place (0, -1, 2**64, "abc") reaches the
    view as 0, which names no row: a 404 error object, as the schema promises, rather than
    the router's bare 404 or 405."""

    regex = r"[^/]+"

    def to_python(self, value: str) -> int:
        number = int(value) if value.isascii() and value.isdigit() else 0
        return number if number <= ID_SCHEMA["maximum"] else 0

    def to_url(self, value) -> str:
        return str(value)


@dataclass
class Endpoint:
    """One operation of the API, as declared where its view is written."""

    method: str
    rule: str
    name: str
    tag: str
    summary: str
    description: str
    scope: str | None
    query: dict[str, dict]
    body: dict | None
    status: int
    returns: str | None
    errors: tuple[int, ...]
    validators: dict = field(default_factory=dict)


ENDPOINTS: list[Endpoint] = []


def fail(status: int, error: str, message: str, **extra) -> None:
    """Stop the request with an API error object."""
    response = jsonify(
        error=error, message=message, status=status, request_id=request_id(), **extra
    )
    response.status_code = status
    abort(response)


def _bearer_secret() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if not header:
        return None
    if scheme.lower() != "bearer" or not secret.strip():
        return ""
    return secret.strip()


def caller_key() -> str:
    """Whom the API's limits count: the token when one is sent, else the address."""
    secret = _bearer_secret()
    if secret:
        return "token:" + hash_secret(secret)[:32]
    return ip_key()


def _unauthorized(message: str) -> None:
    response = jsonify(error="unauthorized", message=message, status=401, request_id=request_id())
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="IdeaBoard API"'
    abort(response)


@bp.before_request
def identify_caller() -> None:
    """A bearer token stands for its owner, with its scopes, for this request only (no
    session, no cookie). Without one, a signed-in browser acts with its role's rights."""
    secret = _bearer_secret()
    if secret is None:
        g.api_token = False
        g.api_scopes = (READ, WRITE, STAFF) if current_user.is_authenticated else ()
        return
    found = token_owner(secret) if secret else None
    if found is None:
        _unauthorized("The access token is missing, malformed, revoked or unknown.")
    user, scopes = found
    # flask-login's current user for this request: every rule and helper that asks who is
    # signed in (viewer(), can_edit...) sees the token's owner, as the pages see a session's;
    # without the staff scope, a staff member's token acts as a member's would.
    acting = SignedInUser if STAFF in scopes else MemberRights
    g._login_user = acting(user, session_key=None)
    g.api_token = True
    g.api_scopes = tuple(scopes)


class MemberRights(SignedInUser):
    """A staff account seen through a token without the staff scope: no staff rights (no
    official answers, no editing others' ideas, no hidden content)."""

    is_staff = False


def authorize(scope: str | None) -> None:
    """The same rights as the site, narrowed by the token's scopes."""
    if scope is None:
        return
    if not current_user.is_authenticated:
        _unauthorized("Send a personal access token: Authorization: Bearer <token>.")
    if scope not in g.api_scopes:
        fail(403, "insufficient_scope", f"This needs a token with the {scope!r} scope.")
    if scope == STAFF and not current_user.is_staff:
        fail(403, "forbidden", "Only staff can do this.")
    # A browser's session writes only with the page's CSRF token; a bearer token cannot be
    # sent by another site, so it needs none.
    if request.method not in SAFE_METHODS and not g.api_token:
        current_app.extensions["csrf"].protect()


def _query_value(raw: str, schema: dict):
    if schema.get("type") == "integer":
        try:
            return int(raw, 10)
        except ValueError:
            return raw  # the schema check below refuses it with a message
    return raw


def _check(validator: Draft202012Validator, value, where: str) -> dict[str, str]:
    problems = {}
    for error in validator.iter_errors(value):
        name = ".".join(str(part) for part in error.absolute_path) or where
        problems.setdefault(name, error.message)
    return problems


def parse_query(spec: Endpoint) -> dict:
    values, problems = {}, {}
    for name, schema in spec.query.items():
        raw = request.args.get(name)
        if raw is None:
            continue
        value = _query_value(raw, schema)
        problems.update(_check(spec.validators[name], value, name))
        values[name] = value
    if problems:
        fail(400, "invalid_request", "Some query parameters are not valid.", fields=problems)
    return values


def parse_body(spec: Endpoint) -> dict:
    if not request.is_json:
        fail(415, "unsupported_media_type", "Send the body as JSON (application/json).")
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser goes
        body = None
    if body is None:
        fail(400, "invalid_json", "The body is not valid JSON.")
    try:
        # JSON may escape half a surrogate pair ("\ud800"): no database stores that as text.
        json.dumps(body, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        fail(400, "invalid_json", "The body holds text that is not valid Unicode.")
    problems = _check(spec.validators["body"], body, "body")
    if problems:
        fail(400, "invalid_request", "The body does not match the schema.", fields=problems)
    return body


def endpoint(
    method: str,
    rule: str,
    *,
    tag: str,
    summary: str,
    description: str = "",
    scope: str | None = None,
    query: dict[str, dict] | None = None,
    body: dict | None = None,
    status: int = 200,
    returns: str | None = None,
    errors: tuple[int, ...] = (),
) -> Callable:
    """Declare an operation; the view gets its path values, and `query` and `body` when the
    operation takes them, already checked. It returns data to send as JSON (or None: 204)."""

    def decorate(view: Callable) -> Callable:
        spec = Endpoint(
            method, rule, view.__name__, tag, summary, description, scope, query or {},
            body, status, returns, errors,
        )  # fmt: skip
        spec.validators = {name: Draft202012Validator(s) for name, s in spec.query.items()}
        if body is not None:
            spec.validators["body"] = Draft202012Validator(body)
        ENDPOINTS.append(spec)

        @wraps(view)
        def serve(**path):
            authorize(spec.scope)
            extra = {}
            if spec.query:
                extra["query"] = parse_query(spec)
            if spec.body is not None:
                extra["body"] = parse_body(spec)
            result = view(**path, **extra)
            if isinstance(result, Response):
                return result
            if result is None:
                return Response(status=204)
            response = jsonify(result)
            response.status_code = spec.status
            return response

        bp.add_url_rule(rule, view.__name__, serve, methods=[method])
        return serve

    return decorate


def _tag_and_revalidate(response: Response) -> Response:
    """A strong ETag of the JSON: a client sending it back in If-None-Match gets a 304."""
    if request.method in SAFE_METHODS and response.status_code == 200:
        response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:32])
        # What a signed-in caller reads may be their own: no shared cache keeps it.
        response.headers["Cache-Control"] = "private, no-cache"
        response.vary.add("Authorization")
        response = response.make_conditional(request)
    return response


def _rate_limit_headers(response: Response) -> None:
    """The IETF RateLimit fields: the limit, what is left of it, seconds until it resets."""
    current = limiter.current_limit
    if current is None:
        return
    response.headers["RateLimit-Limit"] = str(current.limit.amount)
    response.headers["RateLimit-Remaining"] = str(current.remaining)
    response.headers["RateLimit-Reset"] = str(max(math.ceil(current.reset_at - time.time()), 0))
    if response.status_code == 429:
        response.headers["Retry-After"] = response.headers["RateLimit-Reset"]


@bp.after_request
def finish(response: Response) -> Response:
    _rate_limit_headers(response)
    return _tag_and_revalidate(response)


# One budget for all API calls of a caller (RATELIMIT_API), shared by every operation and
# every worker: one counter (scope "api"), whether the blueprint or a write's own decorator
# counts the call.
api_budget = limiter.shared_limit(
    lambda: current_app.config["RATELIMIT_API"],
    scope="api",
    key_func=caller_key,
    error_message=MESSAGES[429],
)
api_budget(bp)


def api_throttle(action: str, method: str = "POST") -> Callable:
    """The pages' limits for this kind of write (web/throttling.py), and the API budget: a
    view with limits of its own is not counted by its blueprint's."""

    def decorate(view: Callable) -> Callable:
        return api_budget(throttle(action, methods=(method,))(view))

    return decorate
