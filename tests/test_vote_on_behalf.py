"""Votes staff record for customers: through set_vote like any vote, shown as such to the
customer and staff, counted in public, never twice, with an account made when needed."""

import re

import pytest

from ideaboard.board.accounts import authenticate
from ideaboard.board.mail import mail_settings
from ideaboard.board.pipeline import change_status
from ideaboard.board.recovery import request_password_reset
from ideaboard.board.suspension import suspend
from ideaboard.board.vote_on_behalf import BehalfError, NoAccount, record_vote_for
from ideaboard.board.votes import VotingClosed, set_vote
from ideaboard.db import db
from ideaboard.models import AuditEntry, Follow, Idea, OutgoingMail, User, Vote
from tests.attack_support import assert_consistent, db_state
from tests.conftest import PASSWORD


@pytest.fixture
def staff(client, users):
    client.login(users["staff"].email)
    return client


def behalf(client, idea_id: int, email: str, name: str = ""):
    data = {"customer_email": email}
    if name:
        data["customer_name"] = name
    return client.post_form(f"/ideas/{idea_id}/vote-on-behalf", data)


def vote_row(idea_id: int, user_id: int) -> Vote | None:
    with db.connection_context():
        return Vote.get_or_none((Vote.idea == idea_id) & (Vote.user == user_id))


def vote_count(idea_id: int) -> int:
    with db.connection_context():
        return Idea.get_by_id(idea_id).vote_count


def test_staff_record_a_vote_for_a_customer(staff, users, idea):
    response = behalf(staff, idea.id, "  OTHER@example.com ")
    assert response.status_code == 302 and response.headers["Location"].endswith("#behalf")
    vote = vote_row(idea.id, users["other"].id)
    assert vote.recorded_by_id == users["staff"].id
    assert vote_count(idea.id) == 1
    page = staff.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "Vote recorded for Otto Other (other@example.com)." in page
    staff_list = page[page.index('id="behalf-title"') :]
    assert re.search(r"Otto Other</a>: recorded by Sasha Staff on \d\d \w{3} \d{4}", staff_list)
    with db.connection_context():
        entry = AuditEntry.get(AuditEntry.action == "vote_on_behalf")
        # The same path as any vote: the customer now follows the idea.
        assert Follow.get_or_none((Follow.user == users["other"].id) & (Follow.idea == idea.id))
    assert (entry.actor_id, entry.user_id, entry.idea_id) == (
        users["staff"].id,
        users["other"].id,
        idea.id,
    )
    assert_consistent()


def test_the_customer_and_the_public_see_it_as_such(app, users, idea):
    with db.connection_context():
        record_vote_for(idea.id, users["staff"], users["other"].email)
        set_vote(idea.id, users["admin"], True)
    customer = app.test_client()
    customer.login(users["other"].email)
    page = customer.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert re.search(r"Your vote was recorded by Sasha Staff on \d\d \w{3} \d{4}", page)
    assert 'aria-pressed="true"' in page
    visitor = app.test_client().get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "1 of the 2 votes was recorded by staff for customers" in visitor
    assert "Your vote was recorded" not in visitor and "Otto Other" not in visitor
    # Who voted stays among staff.
    assert 'id="behalf-title"' not in page
    # Their data export says so too; the admin's own vote does not.
    exported = customer.get("/account/export").json["votes"]
    assert [(v["idea_id"], v["recorded_by"]) for v in exported] == [(idea.id, "Sasha Staff")]
    admin = app.test_client()
    admin.login(users["admin"].email)
    assert admin.get("/account/export").json["votes"][0]["recorded_by"] is None


def test_a_customer_who_already_voted_gets_no_second_vote(staff, users, idea):
    with db.connection_context():
        set_vote(idea.id, users["other"], True)
    before = db_state()
    response = behalf(staff, idea.id, users["other"].email)
    assert response.status_code == 302
    assert db_state() == before
    assert vote_row(idea.id, users["other"].id).recorded_by_id is None
    flashed = staff.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "had already voted for this idea: nothing was added." in flashed


def test_no_account_offers_to_make_one(staff, users, idea):
    before = db_state()
    response = behalf(staff, idea.id, "walkin@example.com")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="customer_name-error"' in page
    assert "Nobody has an account with walkin@example.com yet." in page
    assert "Create account and record vote" in page
    assert 'value="walkin@example.com"' in page
    assert db_state() == before


def test_a_new_account_is_unconfirmed_and_claimed_by_a_reset(app, staff, users, idea):
    response = behalf(staff, idea.id, "walkin@example.com", "Wanda Walkin")
    assert response.status_code == 302
    page = staff.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "A new account was made for them." in page
    with db.connection_context():
        customer = User.get(User.email == "walkin@example.com")
        assert (customer.name, customer.role, customer.email_verified_at) == (
            "Wanda Walkin",
            "member",
            None,
        )
        # Nobody knows its password, and no mail went to them on our own.
        assert authenticate("walkin@example.com", PASSWORD) is None
        assert authenticate("walkin@example.com", "") is None
        assert OutgoingMail.select().count() == 0
        request_password_reset("walkin@example.com", mail_settings(app.config))
        assert OutgoingMail.get().to_address == "walkin@example.com"
        entry = AuditEntry.get(AuditEntry.action == "vote_on_behalf")
    assert vote_row(idea.id, customer.id).recorded_by_id == users["staff"].id
    assert "(account created)" in entry.summary


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("staff@example.com", "That is your own account"),
        ("not-an-email", "Invalid email address"),
        ("", "This field is required"),
    ],
)
def test_refusals_are_errors_next_to_the_email(staff, users, idea, email, message):
    before = db_state()
    response = behalf(staff, idea.id, email)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="customer_email-error"' in page and message in page
    assert db_state() == before


def test_suspended_customers_and_closed_ideas_are_refused(staff, users, idea):
    with db.connection_context():
        suspend(users["other"].id, users["admin"], remove_votes=False)
    before = db_state()
    page = behalf(staff, idea.id, users["other"].email).get_data(as_text=True)
    assert "That account is suspended" in page
    assert db_state() == before
    with db.connection_context():
        change_status(idea, "declined", users["staff"], "Not for now.")
    before = db_state()
    closed = behalf(staff, idea.id, "walkin@example.com", "Wanda Walkin")
    assert closed.status_code == 400
    assert "Voting is closed" in closed.get_data(as_text=True)
    # The account is made in the vote's transaction: a refused vote makes none.
    assert db_state() == before
    with db.connection_context(), pytest.raises(VotingClosed):
        record_vote_for(idea.id, users["staff"], users["member"].email)


def test_members_cannot_record_votes(app, users, idea):
    member = app.test_client()
    member.login(users["member"].email)
    before = db_state()
    assert behalf(member, idea.id, users["other"].email).status_code == 403
    assert db_state() == before
    assert 'id="behalf-title"' not in member.get(f"/ideas/{idea.id}").get_data(as_text=True)
    with db.connection_context(), pytest.raises(BehalfError, match="Only staff"):
        record_vote_for(idea.id, users["member"], users["other"].email)


def test_board_level_outcomes(app, users, idea):
    with db.connection_context():
        with pytest.raises(NoAccount):
            record_vote_for(idea.id, users["staff"], "nobody@example.com")
        assert record_vote_for(99999, users["staff"], "new@example.com", "Nu New") is None
        assert User.get_or_none(User.email == "new@example.com") is None
        done = record_vote_for(idea.id, users["staff"], users["other"].email)
        assert (done.created, done.already, done.result.votes) == (False, False, 1)
        again = record_vote_for(idea.id, users["admin"], users["other"].email)
        assert (again.already, again.result.votes) == (True, 1)
        assert AuditEntry.select().where(AuditEntry.action == "vote_on_behalf").count() == 1


def test_a_customer_may_withdraw_a_recorded_vote(app, users, idea):
    with db.connection_context():
        record_vote_for(idea.id, users["staff"], users["other"].email)
    customer = app.test_client()
    customer.login(users["other"].email)
    assert customer.post_form(f"/ideas/{idea.id}/vote", {"vote": "0"}).status_code == 302
    assert vote_row(idea.id, users["other"].id) is None
    assert vote_count(idea.id) == 0
    assert_consistent()


def test_the_form_shows_only_on_open_ideas(staff, users, idea):
    assert "Record vote" in staff.get(f"/ideas/{idea.id}").get_data(as_text=True)
    with db.connection_context():
        change_status(idea, "launched", users["staff"], "Done.")
    page = staff.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "Record vote" not in page and "Voting is closed: this idea is launched." in page


def test_json_clients_get_the_field_errors(staff, users, idea):
    response = staff.post_form(
        f"/ideas/{idea.id}/vote-on-behalf",
        {"customer_email": "walkin@example.com"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert response.json["error"] == "invalid"
    assert "Nobody has an account" in response.json["fields"]["customer_name"][0]
