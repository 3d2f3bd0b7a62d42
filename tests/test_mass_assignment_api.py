"""Mass assignment through the API: every JSON write, sent with columns an attacker hopes it
copies into the row. Bodies with a schema refuse any field they do not name (400, nothing
stored); operations without a body ignore one. Either way the row is the caller's own."""

import pytest

from ideaboard.db import db
from ideaboard.models import (
    ACCEPTED,
    UNDER_REVIEW,
    ChangelogPost,
    Comment,
    Follow,
    Idea,
    StatusChange,
    Vote,
)
from tests.api_support import (
    API,
    PLACEHOLDER_IDS,
    api_operations,
    assert_error,
    board_state,
    role_clients,
    writes,
)
from tests.attack_support import assert_consistent, row

# A fixture: the redundant alias tells ruff the import is used (as a test argument).
from tests.attack_support import ids as ids

LONG_AGO = "2000-01-01T00:00:00Z"


def extra_fields(users, ids) -> dict:
    """Columns of the rows the API writes, with values that would help an attacker."""
    other, own = users["other"].id, ids["own"]
    return {
        "id": 1,
        "author_id": other,
        "author": other,
        "user_id": other,
        "role": "admin",
        "is_staff": True,
        "vote_count": 999,
        "votes": 999,
        "comment_count": 999,
        "hot": 1e9,
        "status": "launched",
        "accepted_at": LONG_AGO,
        "created_at": LONG_AGO,
        "is_official": True,
        "official": True,
        "idea_id": own,
        "from_status": "declined",
        "pending_review": False,
        "hidden_at": None,
        "merged_into": own,
        "recorded_by_id": users["staff"].id,
        "email": "attacker@example.com",
    }


def test_every_api_write_has_a_case(app, ids):
    served = {name for name, method in api_operations(app) if method != "GET"}
    assert served == set(writes(ids))


def with_extras(body: dict, users, ids) -> tuple[dict, set[str]]:
    """The body with every extra field it does not already carry; the names added."""
    extras = {name: value for name, value in extra_fields(users, ids).items() if name not in body}
    return {**extras, **body}, set(extras)


WITH_BODY = sorted(name for name, call in writes(PLACEHOLDER_IDS).items() if call[3] is not None)
WITHOUT_BODY = sorted(name for name, call in writes(PLACEHOLDER_IDS).items() if call[3] is None)


@pytest.mark.parametrize("operation", WITH_BODY)
def test_unknown_fields_are_refused_and_nothing_is_stored(app, users, ids, operation):
    role, method, path, body = writes(ids)[operation]
    client = role_clients(app, users)[role]
    padded, extras = with_extras(body, users, ids)
    before = board_state()
    response = client.call(method, path, padded)
    assert_error(response, 400, "invalid_request")
    problem = response.json["fields"]["body"]
    assert all(f"'{name}'" in problem for name in extras), problem
    assert board_state() == before
    # The control: the same body without the extras goes through, as the caller.
    assert client.call(method, path, body).status_code in (200, 201)
    check_effect(operation, users, ids)
    assert_consistent()


@pytest.mark.parametrize("operation", WITHOUT_BODY)
def test_bodies_are_ignored_where_none_is_taken(app, users, ids, operation):
    role, method, path, _ = writes(ids)[operation]
    clients = role_clients(app, users)
    # Something of the other member's to keep: their vote and follow on the same idea.
    clients["other"].put(f"{API}/ideas/{ids['idea_id']}/vote")
    padded, _ = with_extras({}, users, ids)
    assert clients[role].call(method, path, padded).status_code == 200
    check_effect(operation, users, ids)
    assert_consistent()


def check_effect(operation: str, users: dict, ids: dict) -> None:
    """The write did its own job, as the caller, on the object in the path, and nothing more."""
    member, other, staff = users["member"].id, users["other"].id, users["staff"].id
    theirs, own = row(Idea, id=ids["idea_id"]), row(Idea, id=ids["own"])
    # Whatever the operation, the other member's idea stays theirs, and nobody launched it.
    assert (theirs.author_id, theirs.title) == (other, "Free refills")
    assert (own.author_id, own.vote_count, own.merged_into_id) == (member, 0, None)
    if operation == "api.idea_create":
        idea = row(Idea, title="Oat milk")
        assert idea.id not in (ids["own"], ids["idea_id"])
        assert (idea.author_id, idea.status, idea.vote_count, idea.comment_count) == (
            member,
            UNDER_REVIEW,
            0,
            0,
        )
        assert (idea.accepted_at, idea.pending_review, idea.hidden_at) == (None, False, None)
    elif operation == "api.idea_edit":
        assert (own.title, own.status, own.comment_count) == ("Edited", UNDER_REVIEW, 0)
    elif operation == "api.comment_create":
        comment = row(Comment, body="Me too!")
        assert (comment.author_id, comment.idea_id, comment.is_official) == (
            member,
            ids["idea_id"],
            False,
        )
    elif operation == "api.status_change_create":
        change = row(StatusChange)
        assert (change.author_id, change.idea_id, change.from_status, change.to_status) == (
            staff,
            ids["idea_id"],
            UNDER_REVIEW,
            ACCEPTED,
        )
        assert own.status == UNDER_REVIEW
    elif operation == "api.changelog_create":
        post = row(ChangelogPost, title="Spring release")
        assert post.author_id == staff
        assert theirs.status == UNDER_REVIEW  # not asked to launch
    elif operation.startswith("api.vote_"):
        with db.connection_context():
            voters = {vote.user_id for vote in Vote.select()}
        assert voters == ({other, member} if operation == "api.vote_cast" else {other})
    elif operation.startswith("api.follow_"):
        following = row(Follow, user=member, idea=ids["idea_id"])
        assert (following is not None and following.active) == (operation == "api.follow_start")
        assert row(Follow, user=other, idea=ids["own"]) is None
