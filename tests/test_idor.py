"""IDOR: every route that names an idea, a comment or a category, and every API operation
with an id in its path, as a non-owner and with ids no row has."""

import pytest

from ideaboard.db import db
from ideaboard.models import ACCEPTED, UNDER_REVIEW, Category, Comment, Follow, Idea, Vote
from ideaboard.web.api.endpoint import ENDPOINTS
from tests.api_support import (
    READ_WRITE,
    api_requests,
    api_rules,
    board_state,
    role_clients,
    token_client,
)
from tests.attack_support import BAD_IDS, build, db_state, logged_in, methods, object_rules

# A fixture: the redundant alias tells ruff the import is used (as a test argument).
from tests.attack_support import ids as ids

# What a member gets from each object route when the idea or category is someone else's.
NOT_THEIRS = {
    "ideas.detail": 200,
    "ideas.edit": 403,
    # Anyone may vote and comment; the test checks the vote and comment are their own.
    # GET: "Confirm your vote" (it never votes); POST: the member's own vote, then the idea.
    "ideas.vote": {"GET": 200, "POST": 302},
    "ideas.comment": 302,
    "staff.set_status": 403,
    "staff.rename_category": 403,
    # Merging and unmerging are for staff (web/merge.py): the confirmation pages too.
    "merge.merge": 403,
    "merge.unmerge": 403,
    # Following is one's own act on any idea one can see; the test checks whose follow it is.
    "notifications.follow": 302,
    # Public feeds of anyone's idea, and of a category.
    "feeds.idea_rss": 200,
    "feeds.idea_atom": 200,
    "feeds.category_rss": 200,
    "feeds.category_atom": 200,
    # The badge other sites may show: anyone's idea, for anyone (web/embed.py).
    "embed.idea_badge": 200,
    # Anyone signed in may flag someone else's idea or comment (a form page, then the flag);
    # only staff moderate; only its author edits a comment, its author or staff delete it.
    "moderation.flag_idea": {"GET": 200, "POST": 302},
    "moderation.flag_comment": {"GET": 200, "POST": 302},
    "moderation.hide_idea": 403,
    "moderation.restore_idea": 403,
    "moderation.approve_idea": 403,
    "moderation.dismiss_idea_flags": 403,
    "moderation.hide_comment": 403,
    "moderation.restore_comment": 403,
    "moderation.dismiss_comment_flags": 403,
    "comments.edit": 403,
    "comments.delete": 403,
    # Staff tools: internal notes, votes recorded for customers, ordering, archiving and
    # deleting categories (the deletion's confirmation page too).
    "idea_staff.add_staff_note": 403,
    "idea_staff.vote_on_behalf": 403,
    "staff.move": 403,
    "staff.archive": 403,
    "staff.delete": 403,
}


def valid_form(ids: dict) -> dict:
    """Fields of every object form, all valid, so only the access rules can refuse."""
    return {
        "title": "Hijacked",
        "body": "Hijacked.",
        "category": str(ids["category_id"]),
        "vote": "1",
        "status": ACCEPTED,
        "note": "Hijacked.",
        "name": "Hijacked",
        "reason": "spam",
        "staff_note": "Hijacked.",
        "customer_email": "other@example.com",
        "direction": "up",
        "archived": "1",
    }


def send(client, method: str, path: str, data: dict | None = None):
    if method == "GET":
        return client.get(path)
    return client.post_form(path, data or {})


def site_object_rules(app) -> list:
    """The site's object routes; the API's are tested below, with tokens and JSON."""
    return [rule for rule in object_rules(app) if not rule.endpoint.startswith("api.")]


def test_object_routes_are_all_classified(app):
    """A new route on ideas or categories must say here what a non-owner gets."""
    endpoints = {rule.endpoint for rule in site_object_rules(app)}
    assert endpoints == set(NOT_THEIRS)


def test_member_cannot_touch_someone_elses_objects(app, users, ids, subtests):
    member = logged_in(app, "member")
    with db.connection_context():
        theirs = Idea.get_by_id(ids["idea_id"])
    for rule in site_object_rules(app):
        for method in methods(rule):
            with subtests.test(route=f"{method} {rule.rule}"):
                before = db_state()
                response = send(member, method, build(rule, ids), valid_form(ids))
                expected = NOT_THEIRS[rule.endpoint]
                expected = expected[method] if isinstance(expected, dict) else expected
                assert response.status_code == expected
                if response.status_code == 403:
                    assert db_state() == before
    with db.connection_context():
        after = Idea.get_by_id(ids["idea_id"])
        assert (after.title, after.body, after.status, after.author_id, after.category_id) == (
            theirs.title,
            theirs.body,
            UNDER_REVIEW,
            users["other"].id,
            theirs.category_id,
        )
        assert Category.get_by_id(ids["category_id"]).name == "Drinks"
        # What a member could do to the idea, they did as themselves and nobody else.
        assert {vote.user_id for vote in Vote.select()} == {users["member"].id}
        said = Comment.select().where(Comment.id.not_in([ids["comment_id"], ids["own_comment"]]))
        assert {(c.author_id, c.is_official) for c in said} == {(users["member"].id, False)}
        theirs_said = Comment.get_by_id(ids["comment_id"])
        assert (theirs_said.body, theirs_said.hidden_at) == ("Their comment.", None)
        followers = Follow.select().where(Follow.idea == ids["idea_id"])
        assert {f.user_id for f in followers} == {users["other"].id, users["member"].id}


@pytest.mark.parametrize("role", ["staff", "member", None])
def test_missing_and_out_of_range_ids_are_404(app, ids, subtests, role):
    """Staff pass every access check, so only the lookup answers: 404, never 500."""
    client = logged_in(app, role)
    for rule in site_object_rules(app):
        for method in methods(rule):
            for raw_id in BAD_IDS:
                with subtests.test(route=f"{method} {rule.rule}", id=raw_id):
                    before = db_state()
                    response = send(client, method, build(rule, ids, raw_id), valid_form(ids))
                    if role == "staff" or response.status_code not in (302, 403):
                        assert response.status_code == 404
                    assert db_state() == before


# --- the API: ids in paths, with a member's token -----------------------------------------

# What a member's read-write token gets from each API operation on another member's idea,
# another person's profile or a release note.
API_NOT_THEIRS = {
    "api.idea_detail": 200,
    "api.idea_edit": 403,
    # Voting, following and commenting are one's own acts on any idea one can see; the test
    # checks that the vote, follow and comment are the member's own.
    "api.vote_cast": 200,
    "api.vote_withdraw": 200,
    "api.follow_state": 200,
    "api.follow_start": 200,
    "api.follow_stop": 200,
    "api.comment_list": 200,
    "api.comment_create": 201,
    "api.status_change_list": 200,
    "api.status_change_create": 403,
    "api.person_detail": 200,
    "api.changelog_detail": 200,
}
# Operations with a scope: without a token they stop at the 401, before the lookup.
NEED_A_TOKEN = {f"api.{spec.name}" for spec in ENDPOINTS if spec.scope}
# Whose objects the API's path ids name: the other member's idea and profile, a release note.
THEIR_IDS = {"idea_id": "idea_id", "user_id": "other_id", "post_id": "post_id"}


def api_object_rules(app) -> list:
    return [rule for rule in api_rules(app) if rule.arguments]


def api_call(rule, ids: dict) -> tuple[str, str, dict | None]:
    """(method, path on the other member's objects, a valid body) for an API object rule."""
    (method,) = methods(rule)
    path = rule.build({name: ids[THEIR_IDS[name]] for name in rule.arguments})[1]
    return method, path, api_requests(ids)[rule.endpoint][3]


def test_api_object_operations_are_all_classified(app):
    """A new API operation with an id in its path must say here what a non-owner gets."""
    assert {rule.endpoint for rule in api_object_rules(app)} == set(API_NOT_THEIRS)
    assert all(set(rule.arguments) <= set(THEIR_IDS) for rule in api_object_rules(app))


def test_member_token_cannot_touch_someone_elses_objects(app, users, ids, subtests):
    member = token_client(app, users["member"], READ_WRITE)
    with db.connection_context():
        theirs = Idea.get_by_id(ids["idea_id"])
    for rule in api_object_rules(app):
        method, path, body = api_call(rule, ids)
        with subtests.test(operation=f"{method} {rule.rule}"):
            before = board_state()
            response = member.call(method, path, body)
            assert response.status_code == API_NOT_THEIRS[rule.endpoint]
            if response.status_code == 403:
                assert board_state() == before
    with db.connection_context():
        after = Idea.get_by_id(ids["idea_id"])
        assert (after.title, after.body, after.status, after.author_id) == (
            theirs.title,
            theirs.body,
            UNDER_REVIEW,
            users["other"].id,
        )
        # Voted and withdrawn, followed and unfollowed: nothing of anyone else's moved.
        assert Vote.select().count() == 0
        said = Comment.select().where(Comment.id.not_in([ids["comment_id"], ids["own_comment"]]))
        assert {(c.author_id, c.is_official) for c in said} == {(users["member"].id, False)}
        followers = Follow.select().where(Follow.idea == ids["idea_id"])
        assert {f.user_id for f in followers} == {users["other"].id, users["member"].id}
        assert Follow.get(user=users["other"].id, idea=ids["idea_id"]).active


@pytest.mark.parametrize("role", ["staff", "member", None])
def test_api_missing_and_out_of_range_ids_are_404(app, users, ids, subtests, role):
    """Staff's token passes every scope and access check, so only the lookup answers: a 404
    error object, never a 500 nor the router's bare 404 or 405. Anonymous writes stop at 401."""
    client = role_clients(app, users)[role]
    for rule in api_object_rules(app):
        method, path, body = api_call(rule, ids)
        (name,) = rule.arguments
        for raw_id in BAD_IDS:
            bad_path = path.replace(f"/{ids[THEIR_IDS[name]]}", f"/{raw_id}", 1)
            with subtests.test(route=f"{method} {rule.rule}", id=raw_id):
                before = board_state()
                response = client.call(method, bad_path, body)
                expected = 401 if role is None and rule.endpoint in NEED_A_TOKEN else 404
                if role == "member" and rule.endpoint == "api.status_change_create":
                    expected = 403  # no staff scope: refused before the lookup
                assert response.status_code == expected
                assert response.is_json and response.json["status"] == expected
                assert board_state() == before
