"""/api/v1 as HTTP: ETags and 304s, RateLimit headers and 429s, one error object for every
failure, and the OpenAPI document, which must list every route and describe every answer."""

import html
import json
import re

import pytest
from jsonschema import Draft202012Validator

from ideaboard.web.throttling import limiter
from tests.api_support import (
    API,
    ApiClient,
    api_operations,
    api_requests,
    api_rules,
    assert_error,
    component_validator,
    document_validator,
    role_clients,
    token_client,
)

# A fixture: the redundant alias tells ruff the import is used (as a test argument).
from tests.attack_support import ids as ids

# --- ETag ---------------------------------------------------------------------------------


def test_unchanged_answer_is_a_304(app, users, idea):
    client = token_client(app, users["member"])
    url = f"{API}/ideas/{idea.id}"
    first = client.get(url)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "private, no-cache"
    assert "Authorization" in first.headers["Vary"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert (again.status_code, again.get_data()) == (304, b"")
    assert again.headers["ETag"] == etag
    # A vote changes the idea: the old ETag no longer matches, and the answer says why.
    client.put(f"{url}/vote")
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert changed.json["votes"] == 1


def test_listing_etag_follows_the_board(app, users, idea):
    anonymous = ApiClient(app, None)
    etag = anonymous.get(f"{API}/ideas").headers["ETag"]
    assert anonymous.get(f"{API}/ideas", headers={"If-None-Match": etag}).status_code == 304
    token_client(app, users["other"]).post(f"{API}/ideas", {"title": "Oat milk"})
    assert anonymous.get(f"{API}/ideas", headers={"If-None-Match": etag}).status_code == 200


def test_writes_and_errors_carry_no_etag(app, users, idea):
    client = token_client(app, users["member"])
    assert "ETag" not in client.put(f"{API}/ideas/{idea.id}/vote").headers
    assert "ETag" not in client.get(f"{API}/ideas/999999").headers


# --- rate limits --------------------------------------------------------------------------


@pytest.fixture
def limited(app):
    """Throttling on (conftest turns it off), three API calls a minute per caller."""
    # Counted in this test's own SQLite file (the default storage), so no key prefix: the
    # limiter keeps the first prefix it is given for good, and tests/test_limits.py sets one.
    app.config.update(RATELIMIT_ENABLED=True, RATELIMIT_API="3 per minute")
    limiter.init_app(app)
    return app


def test_ratelimit_headers_count_down_then_429(limited, users):
    client = token_client(limited, users["member"])
    for left in (2, 1, 0):
        response = client.get(f"{API}/categories")
        assert response.status_code == 200
        assert response.headers["RateLimit-Limit"] == "3"
        assert response.headers["RateLimit-Remaining"] == str(left)
        # Seconds until the window frees a call: flask-limiter rounds up by one.
        assert 0 < int(response.headers["RateLimit-Reset"]) <= 61
    refused = client.get(f"{API}/categories")
    assert_error(refused, 429, "rate_limited")
    assert 0 < int(refused.headers["Retry-After"]) <= 61
    assert refused.headers["RateLimit-Remaining"] == "0"


def test_each_caller_has_its_own_budget(limited, users, idea):
    member = token_client(limited, users["member"])
    for _ in range(3):
        member.get(f"{API}/ideas")
    assert_error(member.get(f"{API}/ideas"), 429, "rate_limited")
    # Another token, and an anonymous caller, count on their own.
    assert token_client(limited, users["other"]).get(f"{API}/ideas").status_code == 200
    assert ApiClient(limited, None).get(f"{API}/ideas").status_code == 200


def test_one_budget_across_operations(limited, users, idea):
    client = token_client(limited, users["member"])
    for path in ("/categories", "/ideas", f"/ideas/{idea.id}"):
        assert client.get(API + path).status_code == 200
    assert_error(client.get(f"{API}/me"), 429, "rate_limited")


def test_each_call_counts_once(limited, users):
    # The limit is declared once, with the blueprint: however many apps the process has made
    # (the test run makes hundreds), a call counts once.
    client = token_client(limited, users["member"])
    remaining = [client.get(f"{API}/categories").headers["RateLimit-Remaining"] for _ in "ab"]
    assert remaining == ["2", "1"]


def test_writes_count_against_the_api_budget(limited, users, idea):
    client = token_client(limited, users["member"])
    for _ in range(3):
        client.get(f"{API}/categories")
    assert_error(client.put(f"{API}/ideas/{idea.id}/vote"), 429, "rate_limited")


# --- error objects ------------------------------------------------------------------------


def test_every_failure_is_an_error_object(app, users, idea, document):
    """Failures outside any operation (no such route, wrong method) too: the Error schema."""
    error_schema = component_validator(document, "Error")
    anonymous = ApiClient(app, None)
    no_route = anonymous.get(f"{API}/no-such-thing")
    assert_error(no_route, 404, "not_found")
    wrong_method = anonymous.call("POST", f"{API}/categories")
    assert_error(wrong_method, 405, "method_not_allowed")
    assert "GET" in wrong_method.headers["Allow"]
    beyond = anonymous.get(f"{API}/ideas/{idea.id}/nothing")
    assert_error(beyond, 404, "not_found")
    for response in (no_route, wrong_method, beyond):
        error_schema.validate(response.json)


# --- the OpenAPI document -----------------------------------------------------------------


def openapi_path(rule) -> str:
    """/api/v1/ideas/<api_id:idea_id>/vote as the document writes it: /ideas/{idea_id}/vote."""
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix(API))


@pytest.fixture
def document(client) -> dict:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.is_json
    return response.json


def test_document_lists_every_route_and_nothing_else(app, document):
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": API}]
    served = {
        (openapi_path(rule), method.lower())
        for rule in api_rules(app)
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {
        (path, method) for path, operations in document["paths"].items() for method in operations
    }
    assert served == documented
    names = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert sorted(names) == sorted(name.removeprefix("api.") for name, _ in api_operations(app))


def test_document_schemas_are_valid_json_schema(document):
    schemas = list(document["components"]["schemas"].values())
    for operations in document["paths"].values():
        for operation in operations.values():
            schemas += [parameter["schema"] for parameter in operation["parameters"]]
            if "requestBody" in operation:
                schemas.append(operation["requestBody"]["content"]["application/json"]["schema"])
    for schema in schemas:
        Draft202012Validator.check_schema(schema)
    # Every reference points at a component that exists.
    refs = re.findall(r'"\$ref": "#/components/schemas/(\w+)"', json.dumps(document))
    assert refs and set(refs) <= set(document["components"]["schemas"])


def test_reference_page_shows_every_operation(client, document):
    page = html.unescape(client.get("/api/docs").get_data(as_text=True))
    for operations in document["paths"].values():
        for operation in operations.values():
            assert operation["summary"] in page


def check_against_document(document: dict, path: str, method: str, response) -> None:
    """The answer's status is one the operation documents, and its body fits that schema."""
    operation = document["paths"][path][method.lower()]
    status = str(response.status_code)
    assert status in operation["responses"], (method, path, status, response.json)
    content = operation["responses"][status].get("content")
    if content is None:
        assert response.get_data() == b""
        return
    schema = ("paths", path, method.lower(), "responses", status, "content")
    validator = document_validator(document, *schema, "application/json", "schema")
    errors = [error.message for error in validator.iter_errors(response.json)]
    assert not errors, (method, path, errors)


def test_walkthrough_answers_fit_the_document(app, users, ids, document, subtests):
    """Every operation as its caller would make it, then as the wrong caller and on a missing
    idea: each answer, success or error, is what the document says it is."""
    clients = role_clients(app, users)
    requests = api_requests(ids)
    assert {(name, method) for name, (_, method, _, _) in requests.items()} == api_operations(app)
    templates = {rule.endpoint: openapi_path(rule) for rule in api_rules(app)}
    for name, (role, method, path, body) in requests.items():
        with subtests.test(operation=name):
            template = templates[name]
            response = clients[role].call(method, path, body)
            assert response.status_code < 300, response.json
            check_against_document(document, template, method, response)
            etag = response.headers.get("ETag")
            if etag:
                again = clients[role].call(method, path, headers={"If-None-Match": etag})
                check_against_document(document, template, method, again)
            for who in (None, "other"):
                check_against_document(document, template, method,
                                       clients[who].call(method, path, body))  # fmt: skip
            if f"/ideas/{ids['idea_id']}" in path:
                missing = path.replace(f"/ideas/{ids['idea_id']}", "/ideas/999999")
                check_against_document(document, template, method,
                                       clients["staff"].call(method, missing, body))  # fmt: skip
