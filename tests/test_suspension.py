"""Suspending an account: who may, sessions ended at once, votes kept or removed with
counters right, no login or posting while suspended, content kept, every step audited."""

import pytest

from ideaboard.board.accounts import AccountSuspended, authenticate
from ideaboard.board.ideas import create_idea
from ideaboard.board.mail import mail_settings
from ideaboard.board.pipeline import change_status
from ideaboard.board.recovery import reset_password_path
from ideaboard.board.sessions import session_user, start_session
from ideaboard.board.suspension import SuspensionError, suspend, unsuspend
from ideaboard.board.votes import set_vote
from ideaboard.db import db
from ideaboard.models import AuditEntry, Follow, Idea, User, UserSession, Vote
from tests.attack_support import assert_consistent, db_state
from tests.conftest import PASSWORD

LIFETIME = 3600


@pytest.fixture
def board(app, users, category):
    """Three ideas by others: two open, one launched; the member voted for all three."""
    with db.connection_context():
        ideas = [create_idea(users["other"], f"Idea {n}", "Body.", category.id) for n in range(3)]
        for idea in ideas:
            set_vote(idea.id, users["member"], True)
            set_vote(idea.id, users["other"], True)
        change_status(ideas[2], "launched", users["staff"], "Shipped.")
    return {"ideas": [idea.id for idea in ideas]}


def fresh(user_id: int) -> User:
    with db.connection_context():
        return User.get_by_id(user_id)


def votes_of(user_id: int) -> set[int]:
    with db.connection_context():
        return {v.idea_id for v in Vote.select().where(Vote.user == user_id)}


def follows_of(user_id: int) -> dict[int, str]:
    with db.connection_context():
        return {f.idea_id: f.reason for f in Follow.select().where(Follow.user == user_id)}


def counts(idea_ids) -> list[int]:
    with db.connection_context():
        return [Idea.get_by_id(i).vote_count for i in idea_ids]


def audit_rows(action: str) -> list[AuditEntry]:
    with db.connection_context():
        return list(AuditEntry.select().where(AuditEntry.action == action).order_by(AuditEntry.id))


def test_suspending_ends_every_session_and_keeps_votes(app, users, board):
    member = users["member"]
    with db.connection_context():
        keys = [start_session(member.id, LIFETIME) for _ in range(3)]
        start_session(users["other"].id, LIFETIME)
        done = suspend(member.id, users["staff"], remove_votes=False)
        assert (done.sessions_ended, done.votes_removed) == (3, 0)
        assert UserSession.select().where(UserSession.user == member.id).count() == 0
        assert UserSession.select().count() == 1
        assert all(session_user(key, LIFETIME) is None for key in keys)
    assert fresh(member.id).suspended_at is not None
    assert votes_of(member.id) == set(board["ideas"])
    assert counts(board["ideas"]) == [2, 2, 2]
    [entry] = audit_rows("suspend")
    assert (entry.actor_id, entry.user_id, entry.actor_name) == (
        users["staff"].id,
        member.id,
        "Sasha Staff",
    )
    assert "votes kept" in entry.summary
    assert_consistent()


def test_removing_votes_moves_counters_and_spares_closed_ideas(app, users, board):
    open_one, open_two, launched = board["ideas"]
    with db.connection_context():
        own = create_idea(users["member"], "Their own idea", "").id
        assert set(follows_of(users["member"].id)) == {open_one, open_two, launched, own}
        done = suspend(users["member"].id, users["admin"], remove_votes=True)
    assert done.votes_removed == 2
    # Launched ideas keep the count they closed with.
    assert votes_of(users["member"].id) == {launched}
    assert counts(board["ideas"]) == [1, 1, 2]
    assert votes_of(users["other"].id) == set(board["ideas"])
    assert "2 votes removed" in audit_rows("suspend")[0].summary
    # The follows those two votes made went too; an idea of their own stays followed.
    assert follows_of(users["member"].id) == {launched: "voted", own: "own"}
    assert_consistent()


def test_lifting_a_suspension_lets_them_in_again_without_the_votes(app, users, board):
    member = users["member"]
    with db.connection_context():
        suspend(member.id, users["staff"], remove_votes=True)
        with pytest.raises(AccountSuspended):
            authenticate(member.email, PASSWORD)
        unsuspend(member.id, users["staff"])
        assert authenticate(member.email, PASSWORD).id == member.id
    assert fresh(member.id).suspended_at is None
    assert len(votes_of(member.id)) == 1
    [entry] = audit_rows("unsuspend")
    assert (entry.actor_id, entry.user_id) == (users["staff"].id, member.id)


@pytest.mark.parametrize(
    ("actor", "target", "allowed"),
    [
        ("staff", "member", True),
        ("admin", "member", True),
        ("admin", "staff", True),
        ("staff", "admin", False),
        ("staff", "staff", False),
        ("admin", "admin", False),
        ("member", "other", False),
    ],
)
def test_who_may_suspend_whom(app, users, actor, target, allowed):
    """Staff suspend members; admins anyone but themselves; members nobody."""
    with db.connection_context():
        if allowed:
            suspend(users[target].id, users[actor], remove_votes=False)
        else:
            with pytest.raises(SuspensionError):
                suspend(users[target].id, users[actor], remove_votes=False)
    assert (fresh(users[target].id).suspended_at is not None) == allowed
    assert len(audit_rows("suspend")) == int(allowed)


def test_suspending_twice_or_a_deleted_account_is_refused(app, users):
    with db.connection_context():
        suspend(users["member"].id, users["staff"], remove_votes=False)
        with pytest.raises(SuspensionError, match="already suspended"):
            suspend(users["member"].id, users["admin"], remove_votes=False)
        with pytest.raises(SuspensionError, match="not suspended"):
            unsuspend(users["other"].id, users["staff"])
        User.update(deleted_at=users["other"].created_at).where(
            User.id == users["other"].id
        ).execute()
        with pytest.raises(SuspensionError, match="deleted"):
            suspend(users["other"].id, users["admin"], remove_votes=False)
    assert len(audit_rows("suspend")) == 1


def test_a_suspended_admin_can_no_longer_suspend_anyone(app, users, password_hash):
    """Two admins acting on each other: the second acts with its role read again, so the
    board keeps an admin who can log in."""
    with db.connection_context():
        second = User.create(
            email="ad2@example.com", name="Second Admin", password_hash=password_hash, role="admin"
        )
        suspend(second.id, users["admin"], remove_votes=False)
        # `second` is the object a request loaded before the suspension committed.
        with pytest.raises(SuspensionError, match="Only staff"):
            suspend(users["admin"].id, second, remove_votes=False)
    assert fresh(users["admin"].id).suspended_at is None


def test_a_session_begun_at_the_moment_of_suspension_logs_in_nobody(app, users):
    with db.connection_context():
        User.update(suspended_at=users["member"].created_at).where(
            User.id == users["member"].id
        ).execute()
        key = start_session(users["member"].id, LIFETIME)
        assert session_user(key, LIFETIME) is None


def test_a_suspended_person_cannot_log_in_and_is_told_why(client, users):
    with db.connection_context():
        suspend(users["member"].id, users["staff"], remove_votes=False)
    response = client.login(users["member"].email)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="email-error"' in page and "This account is suspended" in page
    assert client.get("/account").status_code == 302
    # A wrong password says nothing about the suspension.
    wrong = client.login(users["member"].email, "not the password at all").get_data(as_text=True)
    assert "suspended" not in wrong and "do not match an account" in wrong


def test_a_logged_in_person_is_logged_out_at_once(app, users, board):
    member = app.test_client()
    member.login(users["member"].email)
    token = member.csrf_token()
    assert member.get("/account").status_code == 200
    staff = app.test_client()
    staff.login(users["staff"].email)
    response = staff.post_form(f"/admin/people/{users['member'].id}/suspend", {"votes": "keep"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/people/{users['member'].id}"
    # The very next request of the member's browser is a visitor's: nothing they send counts.
    assert member.get("/account").status_code == 302
    before = db_state()
    idea = board["ideas"][0]
    attempts = [
        member.post(f"/ideas/{idea}/vote", data={"vote": "0", "csrf_token": token}),
        member.post(f"/ideas/{idea}/comments", data={"body": "Hi", "csrf_token": token}),
        member.post("/ideas/new", data={"title": "Spam", "csrf_token": token}),
    ]
    for response in attempts:
        assert response.status_code in (302, 400)
        assert "/login" in response.headers.get("Location", "/login")
    assert db_state() == before


def test_their_content_stays(client, users, board):
    with db.connection_context():
        own = create_idea(users["member"], "Mine stays", "Body.")
        suspend(users["member"].id, users["admin"], remove_votes=True)
    assert client.get(f"/ideas/{own.id}").status_code == 200
    assert "Mine stays" in client.get(f"/people/{users['member'].id}").get_data(as_text=True)


def test_resetting_the_password_of_a_suspended_account_logs_nobody_in(app, client, users):
    with db.connection_context():
        suspend(users["member"].id, users["staff"], remove_votes=False)
        path = reset_password_path(users["member"], mail_settings(app.config))
    new = "a brand new passphrase"
    response = client.post_form(path, {"password": new, "confirm": new})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/account").status_code == 302
    assert "this account is suspended" in client.get("/login").get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "expected"), [(None, 302), ("other", 403), ("staff", 200), ("admin", 200)]
)
def test_the_confirmation_page_is_for_staff(app, users, role, expected):
    client = app.test_client()
    if role:
        client.login(users[role].email)
    response = client.get(f"/admin/people/{users['member'].id}/suspend")
    assert response.status_code == expected
    if expected == 200:
        page = response.get_data(as_text=True)
        assert "Suspend Mia Member?" in page and "Remove their votes from open ideas" in page
    if role is None:
        assert response.headers["Location"].startswith("/login")


def test_staff_cannot_open_the_page_for_an_admin(client, users):
    client.login(users["staff"].email)
    response = client.get(f"/admin/people/{users['admin'].id}/suspend")
    assert response.status_code == 403
    assert "Only an admin can suspend" in response.get_data(as_text=True)
    before = db_state()
    post = client.post_form(f"/admin/people/{users['admin'].id}/suspend", {"votes": "keep"})
    assert post.status_code == 403
    assert db_state() == before


def test_a_missing_choice_is_an_error_next_to_it(client, users):
    client.login(users["staff"].email)
    before = db_state()
    response = client.post_form(f"/admin/people/{users['member'].id}/suspend", {"votes": "x"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="votes-error"' in page and "Choose what happens to their votes." in page
    assert db_state() == before


def test_members_cannot_suspend_or_lift(app, users):
    client = app.test_client()
    client.login(users["other"].email)
    with db.connection_context():
        suspend(users["member"].id, users["staff"], remove_votes=False)
    before = db_state()
    member_id = users["member"].id
    assert client.post_form(f"/admin/people/{member_id}/unsuspend").status_code == 403
    post = client.post_form(f"/admin/people/{users['staff'].id}/suspend", {"votes": "keep"})
    assert post.status_code == 403
    assert db_state() == before


def test_staff_suspend_and_lift_from_the_profile(client, users, board):
    member_id = users["member"].id
    client.login(users["staff"].email)
    profile = client.get(f"/people/{member_id}").get_data(as_text=True)
    assert "Suspend this account…" in profile
    assert f"/admin/people/{member_id}/suspend?next=/people/{member_id}" in profile
    staff_profile = client.get(f"/people/{users['admin'].id}").get_data(as_text=True)
    assert "Only an admin can suspend a staff member." in staff_profile
    response = client.post_form(
        f"/admin/people/{member_id}/suspend", {"votes": "remove", "next": f"/people/{member_id}"}
    )
    assert response.headers["Location"] == f"/people/{member_id}"
    page = client.get(f"/people/{member_id}").get_data(as_text=True)
    assert "is suspended and logged out everywhere. 2 votes removed." in page
    assert "Lift the suspension" in page
    lifted = client.post_form(
        f"/admin/people/{member_id}/unsuspend", {"next": "https://evil.example/"}
    )
    # Only a path on this site is followed; staff go back to the profile.
    assert lifted.headers["Location"] == f"/people/{member_id}"
    assert fresh(member_id).suspended_at is None
    assert counts(board["ideas"]) == [1, 1, 2]
    assert_consistent()


def test_visitors_and_members_see_no_suspension_tools(app, client, users):
    assert "Suspend this account" not in client.get(f"/people/{users['member'].id}").get_data(
        as_text=True
    )
    client.login(users["other"].email)
    page = client.get(f"/people/{users['member'].id}").get_data(as_text=True)
    assert "Suspend this account" not in page and "Staff only" not in page
