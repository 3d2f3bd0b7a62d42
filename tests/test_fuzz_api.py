"""Property-based fuzzing of the API: no JSON body, query parameter or path id makes it answer
5xx; every refusal is an error object."""

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ideaboard.board.api_tokens import issue_token
from ideaboard.board.comments import add_comment
from ideaboard.board.ideas import create_idea
from ideaboard.db import db
from ideaboard.models import ChangelogPost
from ideaboard.web.api.endpoint import ENDPOINTS
from tests.api_support import API, EVERY_SCOPE, ApiClient, api_operations
from tests.attack_support import assert_consistent
from tests.test_fuzz import CURSORISH, FUZZ, NUMBERISH, TEXT

# Any JSON value: what a client can put in a field, or send as the whole body. NaN and the
# infinities too: Python's JSON reader (Flask's) accepts them.
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.sampled_from([0, 1, -1, 2**31 - 1, 2**31, 1.0, "1", "", "launched"]),
    TEXT,
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=8,
)
# The operations with a JSON body, and the fields each one's schema names.
BODY_FIELDS = {
    f"api.{spec.name}": sorted(spec.body["properties"]) for spec in ENDPOINTS if spec.body
}


def body_strategy(fields: list[str]):
    """Mostly the schema's own fields with any values (and a stray one), sometimes any JSON."""
    shaped = st.fixed_dictionaries({}, optional={name: JSON for name in [*fields, "extra"]})
    return st.one_of(shaped, shaped, JSON)


def operations(ids: dict) -> dict:
    """Every API operation that is not a plain read: (method, path)."""
    idea = f"{API}/ideas/{ids['idea']}"
    return {
        "api.idea_create": ("POST", f"{API}/ideas"),
        "api.idea_edit": ("PATCH", idea),
        "api.vote_cast": ("PUT", f"{idea}/vote"),
        "api.vote_withdraw": ("DELETE", f"{idea}/vote"),
        "api.follow_start": ("PUT", f"{idea}/follow"),
        "api.follow_stop": ("DELETE", f"{idea}/follow"),
        "api.comment_create": ("POST", f"{idea}/comments"),
        "api.status_change_create": ("POST", f"{idea}/status-changes"),
        "api.changelog_create": ("POST", f"{API}/changelog"),
    }


@pytest.fixture
def staff(app, users) -> tuple[ApiClient, dict]:
    """A staff token with every scope (it passes every check, so the fuzz reaches the views),
    and an idea with a comment and a release note to aim at."""
    with db.connection_context():
        idea = create_idea(users["member"], "Fuzz target", "body")
        add_comment(idea.id, users["other"], "Fuzz comment")
        post = ChangelogPost.create(author=users["staff"].id, title="Fuzz release")
        _, secret = issue_token(users["staff"], "Fuzz", list(EVERY_SCOPE))
    return ApiClient(app, secret), {"idea": idea.id, "post": post.id, "person": users["member"].id}


def assert_answered(response) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code >= 400:
        assert response.is_json and response.json["status"] == response.status_code


def test_every_api_write_is_fuzzed(app):
    writes = {name for name, method in api_operations(app) if method != "GET"}
    assert writes == set(operations({"idea": 1}))


@pytest.mark.parametrize("operation", sorted(operations({"idea": 1})))
def test_json_bodies_never_5xx(staff, operation):
    client, ids = staff
    method, path = operations(ids)[operation]

    @FUZZ
    @given(body_strategy(BODY_FIELDS.get(operation, [])))
    def check(body):
        assert_answered(client.call(method, path, body))

    check()
    assert_consistent()


QUERIES = {
    "/ideas": {
        "q": TEXT,
        "sort": st.sampled_from(["hot", "top", "new", "discussed", "best"]) | TEXT,
        "status": TEXT,
        "show": st.sampled_from(["open", "closed", "all"]) | TEXT,
        "category": NUMBERISH,
        "after": CURSORISH,
        "before": CURSORISH,
        "per_page": NUMBERISH,
    },
    "/changelog": {"after": NUMBERISH | CURSORISH, "per_page": NUMBERISH},
}


@pytest.mark.parametrize("path", sorted(QUERIES))
def test_query_parameters_never_5xx(staff, path):
    client, _ = staff

    @FUZZ
    @given(st.fixed_dictionaries({}, optional=QUERIES[path]))
    def check(params):
        assert_answered(client.get(API + path, query_string=params))

    check()


PATH_IDS = ["/ideas/{}", "/ideas/{}/comments", "/ideas/{}/vote", "/people/{}", "/changelog/{}"]


@pytest.mark.parametrize("template", PATH_IDS)
def test_path_ids_never_5xx(staff, template):
    client, _ = staff
    method = "PUT" if template.endswith("/vote") else "GET"

    @FUZZ
    @given(NUMBERISH)
    def check(raw_id):
        # Encoded whole: an id with a slash in it must stay one path segment.
        path = API + template.format(quote(raw_id, safe="") or "%20")
        assert_answered(client.call(method, path))

    check()
