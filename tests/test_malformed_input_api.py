"""Oversized and malformed JSON sent to the API: never a 5xx, always an error object, and a
refused request leaves no trace."""

import json

import pytest

from ideaboard.web.api.endpoint import ENDPOINTS
from tests.api_support import (
    PLACEHOLDER_IDS,
    api_requests,
    assert_error,
    board_state,
    role_clients,
    writes,
)
from tests.attack_support import assert_consistent

# A fixture: the redundant alias tells ruff the import is used (as a test argument).
from tests.attack_support import ids as ids
from tests.payloads import CONTROL_PAYLOADS, NUL_PAYLOADS

JSON_TYPE = "application/json"
# The operations that take a JSON body, and that body's schema.
BODIES = {f"api.{spec.name}": spec.body for spec in ENDPOINTS if spec.body}
WITH_BODY = sorted(name for name, call in writes(PLACEHOLDER_IDS).items() if call[3] is not None)


def text_fields() -> list[tuple[str, str, int]]:
    """(operation, field, longest allowed) of every text a person types into the API."""
    return [
        (operation, field, schema["maxLength"])
        for operation in WITH_BODY
        for field, schema in BODIES[operation]["properties"].items()
        if schema.get("type") == "string" and "maxLength" in schema
    ]


def send(app, users, ids, operation: str, **kwargs):
    role, method, path, _ = api_requests(ids)[operation]
    return role_clients(app, users)[role].call(method, path, **kwargs)


def test_every_body_has_its_text_fields_checked():
    assert set(BODIES) == set(WITH_BODY)
    assert {(operation, field) for operation, field, _ in text_fields()} >= {
        ("api.idea_create", "title"),
        ("api.idea_create", "body"),
        ("api.comment_create", "body"),
        ("api.status_change_create", "note"),
        ("api.changelog_create", "title"),
    }


def test_json_over_the_limit_is_413(app, users, ids, subtests):
    huge = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    for operation in WITH_BODY:
        with subtests.test(operation=operation):
            before = board_state()
            body = {**api_requests(ids)[operation][3], "body": huge}
            assert_error(send(app, users, ids, operation, json=body), 413, "too_large")
            assert board_state() == before


def test_text_one_over_the_limit_is_a_field_error(app, users, ids, subtests):
    for number, (operation, field, limit) in enumerate(text_fields()):
        # Limits count characters, not bytes: a two-byte letter, one per case (titles differ).
        letter = chr(ord("à") + number)
        valid = api_requests(ids)[operation][3]
        with subtests.test(operation=operation, field=field):
            before = board_state()
            too_long = {**valid, field: letter * (limit + 1)}
            response = send(app, users, ids, operation, json=too_long)
            assert_error(response, 400, "invalid_request")
            assert field in response.json["fields"]
            assert board_state() == before
            at_limit = send(app, users, ids, operation, json={**valid, field: letter * limit})
            assert at_limit.status_code in (200, 201), at_limit.json
            assert letter * limit in repr(board_state())


def test_control_characters_are_refused_in_every_text_field(app, users, ids, subtests):
    controls = NUL_PAYLOADS + CONTROL_PAYLOADS
    for number, (operation, field, _) in enumerate(text_fields()):
        payload = controls[number % len(controls)]
        valid = api_requests(ids)[operation][3]
        with subtests.test(operation=operation, field=field):
            before = board_state()
            response = send(app, users, ids, operation, json={**valid, field: payload})
            assert_error(response, 400, "invalid_request")
            assert field in response.json["fields"]
            assert board_state() == before


RAW_BODIES = {
    "invalid utf-8": b'{"title": "\xff\xfe"}',
    "overlong <": b'{"title": "\xc0\xbcscript"}',
    "truncated": b'{"title": "Oat',
    "trailing junk": b'{"title": "Oat milk"} x',
    "single quotes": b"{'title': 'Oat milk'}",
    "empty": b"",
    "bom only": b"\xef\xbb\xbf",
}


@pytest.mark.parametrize("raw", RAW_BODIES.values(), ids=RAW_BODIES.keys())
def test_broken_json_is_400_everywhere(app, users, ids, raw):
    before = board_state()
    for operation in WITH_BODY:
        response = send(app, users, ids, operation, data=raw, content_type=JSON_TYPE)
        assert_error(response, 400, "invalid_json")
    assert board_state() == before


@pytest.mark.parametrize("shape", [[1, 2], "title", 5, None, True], ids=repr)
def test_json_that_is_not_an_object_is_400(app, users, ids, shape):
    before = board_state()
    for operation in WITH_BODY:
        raw = json.dumps(shape)
        response = send(app, users, ids, operation, data=raw, content_type=JSON_TYPE)
        assert response.status_code == 400 and response.json["error"].startswith("invalid_")
    assert board_state() == before


CONTENT_TYPES = [
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/xml",
    "",
]


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
def test_other_media_types_are_415(app, users, ids, content_type):
    before = board_state()
    for operation in WITH_BODY:
        body = json.dumps(api_requests(ids)[operation][3])
        response = send(app, users, ids, operation, data=body, content_type=content_type)
        assert_error(response, 415, "unsupported_media_type")
    assert board_state() == before


def test_duplicate_keys_keep_one_value(app, users, ids):
    """Python's reader keeps the last; whichever it is, the schema checked that very value."""
    raw = '{"title": "Oat milk", "title": "\\u0000"}'
    response = send(app, users, ids, "api.idea_create", data=raw, content_type=JSON_TYPE)
    assert_error(response, 400, "invalid_request")
    assert_consistent()


def test_deeply_nested_json_is_400(app, users, ids):
    nested = "[" * 50_000 + "]" * 50_000
    response = send(app, users, ids, "api.idea_create", data=nested, content_type=JSON_TYPE)
    assert_error(response, 400, "invalid_json")


@pytest.mark.parametrize("operation", WITH_BODY)
def test_lone_surrogates_are_400(app, users, ids, operation):
    valid = api_requests(ids)[operation][3]
    field = next(name for op, name, _ in text_fields() if op == operation)
    raw = json.dumps({**valid, field: "Oat \ud800 milk"})  # written as the escape \ud800
    before = board_state()
    response = send(app, users, ids, operation, data=raw, content_type=JSON_TYPE)
    assert_error(response, 400, "invalid_json")
    assert board_state() == before
