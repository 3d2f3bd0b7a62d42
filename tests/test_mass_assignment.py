"""Mass assignment: every form, sent with columns an attacker hopes it copies into the row."""

import re

import pytest

from ideaboard.board.passwords import check_password
from ideaboard.models import (
    ACCEPTED,
    UNDER_REVIEW,
    ApiToken,
    AuditEntry,
    Category,
    ChangelogPost,
    Comment,
    Flag,
    Follow,
    Idea,
    Merge,
    Notification,
    OutgoingMail,
    StaffNote,
    StatusChange,
    User,
    Vote,
)
from tests.attack_support import (
    EMAILS,
    NEW_PASSWORD,
    PLACEHOLDER_IDS,
    assert_consistent,
    forms,
    logged_in,
    row,
)

# A fixture: the redundant alias tells ruff the import is used (as a test argument).
from tests.attack_support import ids as ids
from tests.conftest import PASSWORD

LONG_AGO = "2000-01-01 00:00:00"


def extra_fields(users, ids) -> dict:
    other = str(users["other"].id)
    return {
        "role": "admin",
        "is_staff": "1",
        "is_admin": "1",
        "author": other,
        "author_id": other,
        "user": other,
        "user_id": other,
        "vote_count": "999",
        "comment_count": "999",
        "hot": "1e9",
        "status": "launched",
        "accepted_at": LONG_AGO,
        "is_official": "1",
        "id": "1",
        "created_at": LONG_AGO,
        "updated_at": LONG_AGO,
        "last_seen_at": LONG_AGO,
        "idea": str(ids["own"]),
        "idea_id": str(ids["own"]),
        "category_id": str(ids["category_id"]),
        "from_status": "declined",
        "to_status": "launched",
        "email": "attacker@example.com",
        "password_hash": "x",
        "key_hash": "0" * 64,
    }


def signed_in_as(client) -> str | None:
    """The email address of the account this client acts for, as its account page shows it."""
    response = client.get("/account")
    if response.status_code != 200:
        return None
    return re.search(r'name="email"[^>]*value="([^"]*)"', response.get_data(as_text=True)).group(1)


def check_form_effect(endpoint: str, users: dict, ids: dict) -> None:
    """The form did its own job, with the acting user's identity and nothing more."""
    member, staff = users["member"].id, users["staff"].id
    if endpoint == "auth.register":
        new = row(User, email="new@example.com")
        assert (new.role, new.name, new.id) == ("member", "Nina New", len(users) + 1)
        # id=1 named the first account: it must be untouched, not taken over.
        assert row(User, id=1).email == EMAILS["member"]
    elif endpoint in ("ideas.new", "ideas.edit"):
        idea = row(Idea, title="Oat milk" if endpoint == "ideas.new" else "Edited")
        assert (idea.author_id, idea.status, idea.vote_count, idea.comment_count) == (
            member,
            UNDER_REVIEW,
            0,
            0,
        )
        assert (idea.category_id, idea.accepted_at) == (ids["category_id"], None)
        # id=1 and idea=… named existing ideas: a new idea is a new row, the other untouched.
        if endpoint == "ideas.edit":
            assert idea.id == ids["own"]
        else:
            assert idea.id not in (ids["own"], ids["idea_id"])
        assert row(Idea, id=ids["idea_id"]).title == "Free refills"
    elif endpoint == "ideas.vote":
        assert row(Vote, idea=ids["idea_id"]).user_id == member
        assert row(Vote, idea=ids["own"]) is None
    elif endpoint == "ideas.comment":
        comment = row(Comment)
        assert (comment.author_id, comment.idea_id, comment.is_official) == (
            member,
            ids["idea_id"],
            False,
        )
    elif endpoint == "staff.set_status":
        change = row(StatusChange)
        assert (change.author_id, change.from_status, change.to_status) == (
            staff,
            UNDER_REVIEW,
            ACCEPTED,
        )
        assert row(Idea, id=ids["idea_id"]).author_id == users["other"].id
        assert row(Idea, id=ids["own"]).status == UNDER_REVIEW
    elif endpoint in ("staff.categories", "staff.rename_category"):
        assert row(Category, id=ids["category_id"]).name in ("Drinks", "Beverages")
        assert row(Category, name="Snacks" if endpoint == "staff.categories" else "Beverages")
    elif endpoint == "account.delete":
        user = row(User, id=member)
        assert (user.name, user.email, user.role) == (
            "Deleted user",
            f"deleted-{member}@deleted.invalid",
            "member",
        )
        assert not check_password(user.password_hash, PASSWORD)
        assert row(User, id=users["other"].id).name == "Otto Other"
    elif endpoint in ("recovery.forgot", "recovery.resend_verification"):
        mail = row(OutgoingMail)
        kind = "reset_password" if endpoint == "recovery.forgot" else "verify_email"
        assert (mail.to_address, mail.kind, mail.user_id) == (EMAILS["member"], kind, member)
        assert row(OutgoingMail, to_address="attacker@example.com") is None
    elif endpoint in ("recovery.reset", "recovery.verify"):
        user = row(User, id=member)
        assert (user.role, user.email, user.name) == ("member", EMAILS["member"], "Mia Member")
        password = NEW_PASSWORD if endpoint == "recovery.reset" else PASSWORD
        assert check_password(user.password_hash, password)
        assert user.email_verified_at is not None
        assert row(User, id=users["other"].id).email_verified_at is None
    elif endpoint == "notifications.follow":
        follow = row(Follow, user=member, idea=ids["idea_id"])
        assert (follow.active, follow.reason) == (True, "asked")
        assert row(Follow, user=users["other"].id, idea=ids["own"]) is None
    elif endpoint in ("notifications.read_all", "notifications.read_one"):
        assert row(Notification, id=ids["notification_id"]).read_at is not None
        user = row(User, id=member)
        assert (user.unread_notifications, user.role) == (0, "member")
    elif endpoint in ("notifications.settings", "notifications.unsubscribe"):
        user = row(User, id=member)
        status = "daily" if endpoint == "notifications.settings" else "never"
        assert (user.mail_status, user.role, user.email) == (status, "member", EMAILS["member"])
        assert row(User, id=users["other"].id).mail_status == "instant"
    elif endpoint == "changelog.new":
        post = row(ChangelogPost, title="Spring release")
        assert post.author_id == staff
        assert row(Idea, id=ids["idea_id"]).status == UNDER_REVIEW  # not asked to launch
    elif endpoint == "merge.merge":
        merge = row(Merge)
        assert (merge.duplicate_id, merge.original_id, merge.actor_id) == (
            ids["idea_id"],
            ids["own"],
            staff,
        )
        assert row(Idea, id=ids["own"]).merged_into_id is None
    elif endpoint.startswith(("moderation.", "comments.")):
        check_moderation_effect(endpoint, users, ids)
    elif endpoint.startswith(("admin.", "idea_staff.")) or endpoint in STAFF_CATEGORY_TOOLS:
        check_staff_tools_effect(endpoint, users, ids)
    elif endpoint.startswith("tokens."):
        check_token_effect(endpoint, users, ids)
    elif endpoint.startswith("account."):
        user = row(User, id=member)
        name = "Mia Renamed" if endpoint == "account.change_name" else "Mia Member"
        email = "mia@example.com" if endpoint == "account.change_email" else EMAILS["member"]
        assert (user.role, user.name, user.email) == ("member", name, email)
        password = NEW_PASSWORD if endpoint == "account.change_password" else PASSWORD
        assert check_password(user.password_hash, password)


def check_moderation_effect(endpoint: str, users: dict, ids: dict) -> None:
    """Flags are the member's own, on the item in the address; staff act on that item only,
    and the audit log names staff; the member edits and deletes only their own comment."""
    member, staff = users["member"].id, users["staff"].id
    theirs, own = row(Idea, id=ids["idea_id"]), row(Idea, id=ids["own"])
    their_comment = row(Comment, id=ids["comment_id"])
    if endpoint.startswith("moderation.flag_"):
        flag = row(Flag)
        comment = ids["comment_id"] if endpoint == "moderation.flag_comment" else None
        assert (flag.reporter_id, flag.idea_id, flag.comment_id) == (member, theirs.id, comment)
        assert flag.resolved_at is None and flag.resolved_by_id is None
    hid_idea, hid_comment = (
        endpoint == "moderation.hide_idea",
        endpoint == "moderation.hide_comment",
    )
    assert (theirs.hidden_at is not None, their_comment.hidden_at is not None) == (
        hid_idea,
        hid_comment,
    )
    assert (own.hidden_at, own.pending_review, theirs.pending_review) == (None, False, False)
    entry = row(AuditEntry)
    if hid_idea or hid_comment:
        assert (entry.action, entry.actor_id, entry.user_id) == ("hide", staff, users["other"].id)
    else:
        assert entry is None
    own_comment = row(Comment, id=ids["own_comment"])
    if endpoint == "comments.delete":
        assert own_comment is None
    else:
        body = "Edited comment." if endpoint == "comments.edit" else "My comment."
        assert (own_comment.body, own_comment.author_id, own_comment.is_official) == (
            body,
            member,
            False,
        )
    assert (their_comment.body, their_comment.author_id) == ("Their comment.", users["other"].id)


def expected_account(endpoint: str, role: str | None) -> str | None:
    """Whom the client acts for after the form: never the `user_id` it slipped in."""
    return {
        "auth.register": "new@example.com",
        "auth.login": EMAILS["member"],
        "auth.logout": None,
        "account.change_email": "mia@example.com",
        "account.delete": None,
        # The reset link logs its owner in, whoever followed it.
        "recovery.reset": EMAILS["member"],
    }.get(endpoint, role and EMAILS[role])


def test_every_post_route_has_a_mass_assignment_case(app, ids):
    posts = {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    # The API's JSON bodies have their own cases: tests/test_mass_assignment_api.py.
    assert {name for name in posts if not name.startswith("api.")} == set(forms(ids))


@pytest.mark.parametrize("endpoint", sorted(forms(PLACEHOLDER_IDS)))
def test_extra_fields_are_ignored(app, users, ids, endpoint):
    role, path, fields = forms(ids)[endpoint]
    client = logged_in(app, role)
    data = {**extra_fields(users, ids), **fields}
    response = client.post_form(path, data)
    # One-click unsubscribe answers the mail provider's POST with a page, not a redirect; a
    # new API token is shown in the answer, once.
    expected = 200 if endpoint in ("notifications.unsubscribe", "tokens.create") else 302
    assert response.status_code == expected, f"{endpoint} refused a valid form"
    assert_consistent()
    check_form_effect(endpoint, users, ids)
    assert signed_in_as(client) == expected_account(endpoint, role)


STAFF_CATEGORY_TOOLS = ("staff.move", "staff.archive", "staff.delete")


def check_staff_tools_effect(endpoint: str, users: dict, ids: dict) -> None:
    """Staff and admin tools act on the person, idea or category in the address, as the
    signed-in staff member, and nothing else: no role, author or voter slipped in."""
    member, other, staff = users["member"].id, users["other"].id, users["staff"].id
    people = {user_id: row(User, id=user_id) for user_id in (member, other, staff)}
    assert people[member].role == "member" and people[member].suspended_at is None
    assert people[other].role == "member"
    assert people[staff].role == ("admin" if endpoint == "admin.set_role" else "staff")
    assert (people[other].suspended_at is not None) == (endpoint == "admin.suspend_person")
    # Lifting a suspension nobody has and moving the only category change nothing to log.
    if endpoint not in ("admin.unsuspend_person", "staff.move"):
        actor = users["admin"].id if endpoint == "admin.set_role" else staff
        assert row(AuditEntry).actor_id == actor
    if endpoint == "idea_staff.add_staff_note":
        note = row(StaffNote)
        assert (note.idea_id, note.author_id, note.body) == (ids["idea_id"], staff, "Call.")
    if endpoint == "idea_staff.vote_on_behalf":
        vote = row(Vote, idea=ids["own"])
        assert (vote.user_id, vote.recorded_by_id) == (other, staff)
        assert row(Vote, idea=ids["idea_id"]) is None
    category = row(Category, id=ids["category_id"])
    if endpoint == "staff.delete":
        assert category is None and row(Idea, id=ids["own"]).category_id is None
    else:
        assert category.name == "Drinks"
        assert (category.archived_at is not None) == (endpoint == "staff.archive")


def check_token_effect(endpoint: str, users: dict, ids: dict) -> None:
    """A token is made for the signed-in member, with the scopes asked for; only their own
    token is revoked."""
    if endpoint == "tokens.create":
        token = row(ApiToken, name="CI")
        assert (token.user_id, token.scopes) == (users["member"].id, "read")
    assert (row(ApiToken, id=ids["token_id"]) is None) == (endpoint == "tokens.revoke")
    assert row(ApiToken, id=ids["their_token_id"]).user_id == users["other"].id
