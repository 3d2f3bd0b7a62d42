"""Oversized and malformed input: never a 5xx, and a refused request leaves no trace."""

import io
from urllib.parse import quote

import pytest

from ideaboard.models import ACCEPTED, UNDER_REVIEW, Idea, StatusChange
from tests.attack_support import EMAILS, assert_consistent, build, db_state, forms, logged_in, row

# A fixture: the redundant alias tells ruff the import is used (as a test argument).
from tests.attack_support import ids as ids
from tests.conftest import PASSWORD
from tests.payloads import CONTROL_PAYLOADS, NUL_PAYLOADS


def post_urls(app, ids: dict) -> list[str]:
    return [build(rule, ids) for rule in app.url_map.iter_rules() if "POST" in rule.methods]


def test_body_over_the_limit_is_413_everywhere(app, ids, subtests):
    client = logged_in(app, "staff")
    token = client.csrf_token()
    huge = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    for path in post_urls(app, ids):
        with subtests.test(path=path):
            before = db_state()
            response = client.post(path, data={"csrf_token": token, "body": huge, "name": huge})
            assert response.status_code == 413
            assert db_state() == before


def length_cases(ids: dict) -> list:
    """(who, path, field, longest allowed, other fields, id of the field's error)."""
    idea, own, category = ids["idea_id"], ids["own"], ids["category_id"]
    register = {"email": "long@example.com", "password": PASSWORD, "confirm": PASSWORD}
    return [
        ("member", "/ideas/new", "title", 120, {}, "title-error"),
        ("member", "/ideas/new", "body", 10_000, {"title": "t"}, "body-error"),
        ("member", f"/ideas/{own}/edit", "title", 120, {"category": "0"}, "title-error"),
        (
            "member",
            f"/ideas/{own}/edit",
            "body",
            10_000,
            {"title": "t", "category": "0"},
            "body-error",
        ),
        ("member", f"/ideas/{idea}/comments", "body", 5_000, {}, "body-error"),
        ("staff", f"/ideas/{idea}/status", "note", 5_000, {"status": ACCEPTED}, "note-error"),
        (None, "/register", "name", 60, register, "name-error"),
        ("member", "/account/name", "name", 60, {}, "name-error"),
        ("staff", "/staff/categories", "name", 60, {}, "name-error"),
        ("staff", f"/staff/categories/{category}", "name", 60, {}, f"rename-{category}-error"),
    ]


def test_text_one_over_the_limit_is_a_field_error(app, ids, subtests):
    for number, (role, path, field, limit, others, error_id) in enumerate(length_cases(ids)):
        # Limits count characters, not bytes: a two-byte letter, one per case (names are unique).
        letter = chr(ord("à") + number)
        with subtests.test(path=path, field=field):
            client = logged_in(app, role)
            before = db_state()
            response = client.post_form(path, {**others, field: letter * (limit + 1)})
            assert response.status_code == 400
            assert f'id="{error_id}"' in response.get_data(as_text=True)
            assert db_state() == before
            # At the limit the same form goes through, and the text is saved whole.
            assert client.post_form(path, {**others, field: letter * limit}).status_code == 302
            assert letter * limit in repr(db_state())


def text_fields(ids: dict):
    """(endpoint, field) for every field a person types into, from the mass-assignment table."""
    for endpoint, (_, _, fields) in forms(ids).items():
        for field in fields:
            # Choices and on/off flags: any value is one of them, nothing is stored as typed.
            if field not in ("vote", "category", "status", "follow", "follow_own"):
                yield endpoint, field


def test_control_characters_are_refused_in_every_text_field(app, users, ids, subtests):
    """Passwords and emails too: NUL and other controls are a 400, and nothing is saved."""
    cases = list(text_fields(ids))
    controls = NUL_PAYLOADS + CONTROL_PAYLOADS
    for number, (endpoint, field) in enumerate(cases):
        role, path, fields = forms(ids)[endpoint]
        payload = controls[number % len(controls)]
        with subtests.test(endpoint=endpoint, field=field):
            client = logged_in(app, role)
            before = db_state()
            response = client.post_form(path, {**fields, field: payload})
            assert response.status_code == 400
            assert db_state() == before
    assert len(cases) >= 15


def post_raw(client, path: str, body: str | bytes):
    """Post a urlencoded body exactly as given, repeated or broken fields and all."""
    return client.post(path, data=body, content_type="application/x-www-form-urlencoded")


def raw_form(fields: dict, token: str, suffix: bytes) -> bytes:
    """A urlencoded body whose every value ends in `suffix`, sent as is."""
    pairs = [
        quote(name).encode() + b"=" + quote(value).encode() + suffix
        for name, value in fields.items()
    ]
    return b"&".join(pairs + [b"csrf_token=" + token.encode()])


# Raw bytes make the whole body undecodable; percent-escapes reach the fields undecoded.
BAD_UTF8 = [b"\xff\xfe", b"%FF%FE", b"%C0%BCscript%C0%BE", b"%ED%A0%80", b"\xc3"]


def test_invalid_utf8_never_fails_or_half_saves(app, users, ids, subtests):
    # The reset link last: it sets the member's password, whatever follows the valid part.
    for endpoint, (role, path, fields) in sorted(
        forms(ids).items(), key=lambda item: item[0] == "recovery.reset"
    ):
        client = logged_in(app, role)
        token = client.csrf_token()
        for suffix in BAD_UTF8:
            with subtests.test(endpoint=endpoint, suffix=suffix):
                before = db_state()
                response = post_raw(client, path, raw_form(fields, token, suffix))
                assert response.status_code < 500
                if response.status_code >= 400:
                    assert db_state() == before
                assert_consistent()
                # An overlong encoding of "<" must never come out as "<".
                assert "<script" not in repr(db_state())


def test_multipart_form_works_like_a_plain_one(app, ids):
    client = logged_in(app, "member")
    token = client.csrf_token()
    data = {"title": "Sent as multipart", "body": "Fine.", "csrf_token": token}
    data["attachment"] = (io.BytesIO(b"ignored"), "notes.txt")
    response = client.post("/ideas/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    assert row(Idea, title="Sent as multipart").body == "Fine."


def test_multipart_without_boundary_is_refused(app, ids):
    client = logged_in(app, "member")
    before = db_state()
    response = client.post("/ideas/new", data=b"title=x", content_type="multipart/form-data")
    assert response.status_code == 400
    assert db_state() == before


def test_file_in_any_text_field_is_never_read_as_text(app, users, ids, subtests):
    """An upload where a form expects text: ignored (so usually a missing field), never a 500."""
    for endpoint, field in text_fields(ids):
        role, path, fields = forms(ids)[endpoint]
        with subtests.test(endpoint=endpoint, field=field):
            client = logged_in(app, role)
            upload = (io.BytesIO(b"<script>alert(1)</script>"), "x.html")
            data = {**fields, field: upload, "csrf_token": client.csrf_token()}
            before = db_state()
            response = client.post(path, data=data, content_type="multipart/form-data")
            assert response.status_code < 500
            if response.status_code >= 400:
                assert db_state() == before
            assert "<script>" not in repr(db_state())
            assert_consistent()


# JSON is not a form: whatever its shape, the fields stay empty and nothing is saved.
JSON_BODIES = {
    "number": {"title": 5, "body": "x"},
    "boolean": {"title": True},
    "object": {"title": {"a": 1}},
    "null": {"title": None},
    "list": {"title": ["a", "b"]},
    "valid shape": {"title": "Looks fine", "body": "x"},
    "array body": [1, 2],
    "string body": "title",
    "pairs body": [["title", "x"], 5],
}


def test_json_body_on_a_form_route_saves_nothing(app, users, subtests):
    client = logged_in(app, "member")
    headers = {"X-CSRFToken": client.csrf_token()}
    for name, body in JSON_BODIES.items():
        with subtests.test(body=name):
            before = db_state()
            response = client.post("/ideas/new", json=body, headers=headers)
            assert response.status_code == 400
            assert db_state() == before


def test_json_body_without_token_or_broken_is_refused(app, ids):
    client = logged_in(app, "member")
    before = db_state()
    assert client.post("/ideas/new", json={"title": "No token"}).status_code == 400
    token = {"X-CSRFToken": client.csrf_token()}
    broken = client.post("/ideas/new", data="{", content_type="application/json", headers=token)
    assert broken.status_code == 400
    assert db_state() == before


def test_repeated_fields_take_the_first_value(app, users, ids):
    client = logged_in(app, "staff")
    token = client.csrf_token()
    idea = post_raw(client, "/ideas/new", f"title=First&title=Second&csrf_token={token}")
    assert idea.status_code == 302
    assert row(Idea, title="Second") is None and row(Idea, title="First")
    status = f"status={ACCEPTED}&status=declined&note=Yes&note=No&csrf_token={token}"
    assert post_raw(client, f"/ideas/{ids['idea_id']}/status", status).status_code == 302
    assert (row(Idea, id=ids["idea_id"]).status, row(StatusChange).note) == (ACCEPTED, "Yes")
    vote = post_raw(client, f"/ideas/{ids['own']}/vote", f"vote=1&vote=0&csrf_token={token}")
    assert vote.status_code == 302
    assert row(Idea, id=ids["own"]).vote_count == 1
    assert_consistent()


def test_edit_without_the_category_field_keeps_the_category(app, ids):
    """With no categories the edit form has no select at all; saving must still work."""
    client = logged_in(app, "member")
    response = client.post_form(f"/ideas/{ids['own']}/edit", {"title": "Renamed", "body": "b"})
    assert response.status_code == 302
    assert row(Idea, id=ids["own"]).category_id == ids["category_id"]


WRONG_VALUES = {
    "category": ["abc", "-1", "0x1", "1.5", "1e9", "", str(2**63), str(10**30), "[]", "\x00"],
    "status": ["", "ACCEPTED", f"{ACCEPTED} ", "[]", UNDER_REVIEW, "\x00", "x" * 10_000],
}


def test_wrong_choice_is_a_field_error(app, ids, subtests):
    """A category or status that is not on the list: 400 with the field's error, nothing saved."""
    targets = {
        "category": ("member", "/ideas/new", {"title": "Typed badly"}),
        "status": ("staff", f"/ideas/{ids['idea_id']}/status", {"note": "Hm."}),
    }
    for field, values in WRONG_VALUES.items():
        role, path, others = targets[field]
        client = logged_in(app, role)
        for value in values:
            with subtests.test(field=field, value=value[:20]):
                before = db_state()
                response = client.post_form(path, {**others, field: value})
                assert response.status_code == 400
                assert f'id="{field}-error"' in response.get_data(as_text=True)
                assert db_state() == before


def test_odd_vote_values_keep_counts_true(app, ids, subtests):
    client = logged_in(app, "member")
    for value in ["[]", "", "0", "abc", "9" * 1000, "0", "-1", "0", "\x00"]:
        with subtests.test(value=value[:20]):
            response = client.post_form(f"/ideas/{ids['idea_id']}/vote", {"vote": value})
            assert response.status_code == 302
            # Only "0" means "withdraw"; anything else is a vote, counted once.
            assert row(Idea, id=ids["idea_id"]).vote_count == (value != "0")
            assert_consistent()


HOSTILE_QUERIES = [
    "q=" + "x" * 100_000,
    "page=" + str(10**30),
    "page=-1",
    "category=-1",
    "category=" + str(2**63),
    "category[]=1&category[]=2",
    "sort=%00&status=%00&next=%00",
    "status=%FF%FE&sort=%C0%BC",
    "next=" + "/" * 10_000,
    "&".join(f"k{n}={n}" for n in range(5_000)),
]


def get_urls(app, ids: dict) -> list[str]:
    """Every GET route, ids and file names filled in."""
    values = {**ids, "filename": "css/app.css"}
    return [
        rule.build({name: values[name] for name in rule.arguments})[1]
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods
    ]


@pytest.mark.parametrize("role", [None, "staff"])
def test_hostile_query_strings_on_every_get_route(app, ids, subtests, role):
    client = logged_in(app, role)
    for path in get_urls(app, ids):
        for query in HOSTILE_QUERIES:
            # Closed at once: a static file's response holds the file open until then.
            with (
                subtests.test(path=path, query=query[:40]),
                client.get(f"{path}?{query}") as response,
            ):
                assert response.status_code < 500


HOSTILE_HEADERS = {
    "huge cookie": {"Cookie": "session=" + "A" * 100_000},
    "forged session": {"Cookie": "session=eyJfdXNlcl9pZCI6IjEifQ.forged.signature"},
    "many cookies": {"Cookie": "; ".join(f"c{n}=v" for n in range(5_000))},
    "cookie with NUL": {"Cookie": "session=a\x00b"},
    "huge accept": {"Accept": "text/html;q=0.9, " * 5_000},
    "odd accept": {"Accept": "application/json;q=abc, */*;q=-1"},
    "huge user agent": {"User-Agent": "x" * 100_000},
    "forwarded junk": {"X-Forwarded-For": "<script>, 999.1.1.1", "X-Forwarded-Proto": "javascript"},
    "odd language": {"Accept-Language": "'; DROP TABLE idea;--"},
}


def test_hostile_headers_are_never_a_5xx_nor_a_login(app, users, subtests):
    login = {"email": EMAILS["staff"], "password": PASSWORD}
    for name, headers in HOSTILE_HEADERS.items():
        with subtests.test(headers=name):
            client = app.test_client()
            assert client.get("/", headers=headers).status_code == 200
            assert client.get("/staff/triage", headers=headers).status_code in (302, 401)
            # Still no way past CSRF: a bare login post is refused.
            assert client.post("/login", data=login, headers=headers).status_code == 400
