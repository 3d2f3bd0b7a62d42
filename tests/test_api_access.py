"""Who may call what on /api/v1: personal access tokens and their scopes, the site's own rights,
401s that say how to authenticate, what hidden ideas and people show, and CSRF for a browser
session's JSON writes."""

import pytest

from ideaboard.board.api_tokens import TokenRefused, issue_token, revoke_token
from ideaboard.board.deletion import delete_account
from ideaboard.board.ideas import create_idea
from ideaboard.board.moderation import hide_idea
from ideaboard.board.suspension import suspend
from ideaboard.db import db
from ideaboard.models import ACCEPTED, UNDER_REVIEW, ApiToken, Idea, User
from tests.api_support import (
    API,
    EVERY_SCOPE,
    READ_WRITE,
    ApiClient,
    assert_error,
    assert_unauthorized,
    board_state,
    new_token,
    token_client,
    writes,
)
from tests.attack_support import EMAILS

# A fixture: the redundant alias tells ruff the import is used (as a test argument).
from tests.attack_support import ids as ids


@pytest.fixture
def theirs(users, category) -> Idea:
    """Another member's idea, under review."""
    with db.connection_context():
        return create_idea(users["other"], "Free refills", "On every cup.", category.id)


def status_of(idea_id: int) -> str:
    with db.connection_context():
        return Idea.get_by_id(idea_id).status


# --- scopes ------------------------------------------------------------------------------


def test_read_token_reads_but_cannot_write(app, users, idea, theirs):
    client = token_client(app, users["member"], ["read"])
    assert client.get(f"{API}/me").json["scopes"] == ["read"]
    assert client.get(f"{API}/ideas/{theirs.id}").status_code == 200
    before = board_state()
    attempts = [
        ("POST", f"{API}/ideas", {"title": "Oat milk"}),
        ("PATCH", f"{API}/ideas/{idea.id}", {"title": "Edited"}),
        ("PUT", f"{API}/ideas/{theirs.id}/vote", None),
        ("DELETE", f"{API}/ideas/{theirs.id}/vote", None),
        ("POST", f"{API}/ideas/{theirs.id}/comments", {"body": "Me too!"}),
        ("PUT", f"{API}/ideas/{theirs.id}/follow", None),
    ]
    for method, path, body in attempts:
        assert_error(client.call(method, path, body), 403, "insufficient_scope")
    assert board_state() == before


def test_write_token_without_read_cannot_read_the_account(app, users, theirs):
    client = token_client(app, users["member"], ["write"])
    assert_error(client.get(f"{API}/me"), 403, "insufficient_scope")
    assert_error(client.get(f"{API}/ideas/{theirs.id}/follow"), 403, "insufficient_scope")
    # Public reads need no scope at all.
    assert client.get(f"{API}/ideas/{theirs.id}").status_code == 200
    assert client.put(f"{API}/ideas/{theirs.id}/vote").json["voted"] is True


def test_member_write_token_cannot_do_staff_work(app, users, theirs):
    client = token_client(app, users["member"], READ_WRITE)
    before = board_state()
    status = client.post(
        f"{API}/ideas/{theirs.id}/status-changes", {"status": ACCEPTED, "note": "Mine now."}
    )
    assert_error(status, 403, "insufficient_scope")
    post = client.post(f"{API}/changelog", {"title": "Fake release", "idea_ids": [theirs.id]})
    assert_error(post, 403, "insufficient_scope")
    assert board_state() == before


def test_members_cannot_get_a_staff_token(app, users, client):
    with db.connection_context():
        for scopes in (["staff"], ["read", "write", "staff"]):
            with pytest.raises(TokenRefused, match="staff"):
                issue_token(users["member"], "Sneaky", scopes)
    # Nor through the account page, whatever the form says.
    client.login(EMAILS["member"])
    response = client.post_form("/account/tokens", {"name": "Sneaky", "scopes": "staff"})
    assert response.status_code == 400
    with db.connection_context():
        assert ApiToken.select().count() == 0


def test_staff_account_needs_the_staff_scope_too(app, users, theirs):
    client = token_client(app, users["staff"], READ_WRITE)
    response = client.post(
        f"{API}/ideas/{theirs.id}/status-changes", {"status": ACCEPTED, "note": "Yes."}
    )
    assert_error(response, 403, "insufficient_scope")
    assert status_of(theirs.id) == UNDER_REVIEW


def test_staff_scope_ends_with_the_staff_role(app, users, theirs):
    client = token_client(app, users["staff"], EVERY_SCOPE)
    with db.connection_context():
        User.update(role="member").where(User.id == users["staff"].id).execute()
    assert client.get(f"{API}/me").json["scopes"] == ["read", "write"]
    response = client.post(
        f"{API}/ideas/{theirs.id}/status-changes", {"status": ACCEPTED, "note": "Yes."}
    )
    assert_error(response, 403, "insufficient_scope")
    assert status_of(theirs.id) == UNDER_REVIEW


def test_staff_rights_need_the_staff_scope(app, users, theirs):
    client = token_client(app, users["staff"], READ_WRITE)
    before = board_state()
    assert_error(client.patch(f"{API}/ideas/{theirs.id}", {"title": "Mine"}), 403, "forbidden")
    assert board_state() == before


# --- authentication ------------------------------------------------------------------------


def test_suspended_accounts_token_is_401(app, users, theirs):
    client = token_client(app, users["other"], READ_WRITE)
    assert client.get(f"{API}/me").status_code == 200
    with db.connection_context():
        suspend(users["other"].id, users["staff"], remove_votes=False)
    assert_unauthorized(client.get(f"{API}/me"))
    # Not even a public read passes as anonymous: the token itself is refused.
    assert_unauthorized(client.get(f"{API}/ideas"))
    assert_unauthorized(client.put(f"{API}/ideas/{theirs.id}/vote"))


def test_deleted_accounts_token_is_401(app, users):
    client = token_client(app, users["other"], READ_WRITE)
    with db.connection_context():
        delete_account(users["other"].id, "keep")
    assert_unauthorized(client.get(f"{API}/me"))


def test_revoked_token_is_401(app, users, theirs):
    with db.connection_context():
        token, secret = issue_token(users["member"], "Old script", list(READ_WRITE))
    client = ApiClient(app, secret)
    assert client.put(f"{API}/ideas/{theirs.id}/follow").status_code == 200
    with db.connection_context():
        assert revoke_token(users["member"].id, token.id)
    assert_unauthorized(client.delete(f"{API}/ideas/{theirs.id}/follow"))
    assert_unauthorized(client.get(f"{API}/me"))


def test_only_the_owner_revokes_a_token(app, users, client):
    with db.connection_context():
        token, secret = issue_token(users["other"], "Their script", ["read"])
    client.login(EMAILS["member"])
    assert client.post_form(f"/account/tokens/{token.id}/revoke").status_code == 302
    assert ApiClient(app, secret).get(f"{API}/me").json["id"] == users["other"].id
    with db.connection_context():
        assert not revoke_token(users["member"].id, token.id)


BAD_AUTHORIZATION = {
    "basic": "Basic bWVtYmVyQGV4YW1wbGUuY29tOnB3",
    "scheme only": "Bearer",
    "empty token": "Bearer   ",
    "garbage": "Bearer garbage",
    "unknown token": "Bearer ib_" + "A" * 43,
    "too long": "Bearer ib_" + "A" * 500,
    "other scheme": "Token ib_" + "A" * 43,
    "nul": "Bearer ib_\x00",
}


@pytest.mark.parametrize("header", BAD_AUTHORIZATION.values(), ids=BAD_AUTHORIZATION.keys())
def test_bad_authorization_is_401_with_www_authenticate(app, users, theirs, header):
    client = app.test_client()
    before = board_state()
    for method, path in (("GET", f"{API}/ideas"), ("PUT", f"{API}/ideas/{theirs.id}/vote")):
        response = client.open(path, method=method, headers={"Authorization": header})
        assert_unauthorized(response)
    assert board_state() == before


def test_the_scheme_name_is_case_insensitive(app, users):
    secret = new_token(users["member"])
    response = app.test_client().get(f"{API}/me", headers={"Authorization": f"bearer {secret}"})
    assert response.json["name"] == "Mia Member"


def test_writing_without_a_token_is_401(app, users, theirs):
    before = board_state()
    anonymous = ApiClient(app, None)
    assert_unauthorized(anonymous.post(f"{API}/ideas", {"title": "Oat milk"}))
    assert_unauthorized(anonymous.put(f"{API}/ideas/{theirs.id}/vote"))
    assert_unauthorized(anonymous.get(f"{API}/me"))
    assert board_state() == before


def test_token_is_not_a_site_session(app, users):
    headers = {"Authorization": f"Bearer {new_token(users['member'])}"}
    client = app.test_client()
    assert client.get("/account", headers=headers).status_code == 302
    before = board_state()
    client.post("/ideas/new", data={"title": "Via the site"}, headers=headers)
    assert board_state() == before


def test_token_wins_over_a_session_cookie(app, users, theirs, client):
    """A staff session in the same browser lends the token none of its rights."""
    client.login(EMAILS["staff"])
    headers = {"Authorization": f"Bearer {new_token(users['member'])}"}
    assert client.get(f"{API}/me", headers=headers).json["id"] == users["member"].id
    response = client.post(
        f"{API}/ideas/{theirs.id}/status-changes",
        json={"status": ACCEPTED, "note": "Yes."},
        headers={**headers, "X-CSRFToken": client.csrf_token()},
    )
    assert_error(response, 403, "insufficient_scope")
    assert status_of(theirs.id) == UNDER_REVIEW


# --- browser sessions: the site's CSRF check ----------------------------------------------


def test_session_json_writes_need_the_csrf_token(app, users, ids, subtests):
    """Every write, from a signed-in browser: refused without the page's token, done with it."""
    for name, (role, method, path, body) in writes(ids).items():
        with subtests.test(operation=name):
            client = app.test_client()
            client.login(EMAILS[role])
            before = board_state()
            refused = client.open(path, method=method, json=body)
            assert_error(refused, 400, "csrf_failed")
            forged = client.open(path, method=method, json=body, headers={"X-CSRFToken": "x"})
            assert_error(forged, 400, "csrf_failed")
            assert board_state() == before
            headers = {"X-CSRFToken": client.csrf_token()}
            done = client.open(path, method=method, json=body, headers=headers)
            assert done.status_code in (200, 201), done.get_data(as_text=True)


def test_session_form_post_from_another_site_is_refused_before_parsing(app, users):
    """What a cross-site form can send (text/plain "JSON"): the CSRF check answers first."""
    client = app.test_client()
    client.login(EMAILS["member"])
    before = board_state()
    response = client.post(f"{API}/ideas", data='{"title": "x"}', content_type="text/plain")
    assert_error(response, 400, "csrf_failed")
    assert board_state() == before


def test_session_reads_act_for_the_signed_in_person(app, users, theirs, client):
    client.login(EMAILS["member"])
    me = client.get(f"{API}/me").json
    # A member's session has every scope a member may have: not staff.
    assert (me["email"], me["scopes"]) == (EMAILS["member"], ["read", "write"])
    client.put(f"{API}/ideas/{theirs.id}/vote", headers={"X-CSRFToken": client.csrf_token()})
    assert client.get(f"{API}/ideas/{theirs.id}").json["voted"] is True


# --- what others may see ------------------------------------------------------------------


def others_see_nothing(app, users, idea_id: int) -> None:
    for client in (ApiClient(app, None), token_client(app, users["other"], READ_WRITE)):
        for method, suffix in [
            ("GET", ""),
            ("GET", "/comments"),
            ("GET", "/status-changes"),
            ("PUT", "/vote"),
            ("PUT", "/follow"),
        ]:
            response = client.call(method, f"{API}/ideas/{idea_id}{suffix}")
            if response.status_code != 401:  # anonymous writes stop at the token check
                assert_error(response, 404, "not_found")
        listed = client.get(f"{API}/ideas", query_string={"show": "all", "per_page": 100})
        assert idea_id not in [item["id"] for item in listed.json["data"]]


@pytest.mark.parametrize("why", ["hidden", "waiting"])
def test_hidden_and_waiting_ideas_are_404_to_others(app, users, category, why):
    with db.connection_context():
        idea = create_idea(
            users["member"], "Cheap pills", "Ads.", category.id, pending_review=why == "waiting"
        )
        if why == "hidden":
            hide_idea(idea.id, users["staff"], "Spam.")
    before = board_state()
    others_see_nothing(app, users, idea.id)
    assert board_state() == before
    for role, scopes in (("member", ["read"]), ("staff", ["read", "staff"])):
        seen = token_client(app, users[role], scopes).get(f"{API}/ideas/{idea.id}")
        assert seen.status_code == 200
        assert seen.json["title"] == "Cheap pills"
    # Staff rights come with the staff scope only.
    unscoped = token_client(app, users["staff"], ["read"]).get(f"{API}/ideas/{idea.id}")
    assert unscoped.status_code == 404


def test_people_show_public_fields_only(app, users, category):
    with db.connection_context():
        create_idea(users["member"], "Public", "", category.id)
        hidden = create_idea(users["member"], "Hidden", "", category.id)
        hide_idea(hidden.id, users["staff"])
    for client in (ApiClient(app, None), token_client(app, users["staff"], EVERY_SCOPE)):
        response = client.get(f"{API}/people/{users['member'].id}")
        person = response.json
        assert set(person) == {"id", "name", "staff", "bio", "joined_at", "ideas", "url"}
        assert (person["name"], person["staff"], person["ideas"]) == ("Mia Member", False, 1)
        assert "@" not in response.get_data(as_text=True)
    staff = ApiClient(app, None).get(f"{API}/people/{users['staff'].id}").json
    assert staff["staff"] is True and "role" not in staff


def test_deleted_and_missing_people_are_404(app, users):
    with db.connection_context():
        delete_account(users["other"].id, "keep")
    client = ApiClient(app, None)
    assert_error(client.get(f"{API}/people/{users['other'].id}"), 404, "not_found")
    assert_error(client.get(f"{API}/people/999999"), 404, "not_found")
