"""The optional vote budget: off by default; when on, N votes on open, visible ideas, each
back when its idea closes, is merged away or hidden; counted from the rows on demand."""

import pytest

from ideaboard.board.ideas import create_idea
from ideaboard.board.pipeline import change_status
from ideaboard.board.vote_on_behalf import BehalfError, record_vote_for
from ideaboard.board.votes import VoteBudgetSpent, open_votes, set_vote
from ideaboard.config import load_config
from ideaboard.db import db
from ideaboard.models import Idea, User, Vote, utcnow
from tests.attack_support import assert_consistent
from tests.test_db import query_plan

BUDGET = 2


@pytest.fixture
def ideas(app, users, category) -> list[int]:
    with db.connection_context():
        return [create_idea(users["other"], f"Idea {n}", "Body.", category.id).id for n in range(4)]


@pytest.fixture
def budgeted(app):
    app.config["VOTE_BUDGET"] = BUDGET
    return app


@pytest.fixture
def member(budgeted, users):
    client = budgeted.test_client()
    client.login(users["member"].email)
    return client


def my_votes(user_id: int) -> set[int]:
    with db.connection_context():
        return {v.idea_id for v in Vote.select().where(Vote.user == user_id)}


def vote(client, idea_id: int, wanted: str = "1", json: bool = False):
    headers = {"Accept": "application/json"} if json else {}
    return client.post_form(f"/ideas/{idea_id}/vote", {"vote": wanted}, headers=headers)


def test_off_by_default(app, monkeypatch, tmp_path, users, ideas):
    monkeypatch.delenv("IDEABOARD_VOTE_BUDGET", raising=False)
    assert load_config(str(tmp_path))["VOTE_BUDGET"] == 0
    monkeypatch.setenv("IDEABOARD_VOTE_BUDGET", "5")
    assert load_config(str(tmp_path))["VOTE_BUDGET"] == 5
    client = app.test_client()
    client.login(users["member"].email)
    for idea_id in ideas:
        assert vote(client, idea_id).status_code == 302
    assert my_votes(users["member"].id) == set(ideas)
    assert "votes left" not in client.get("/").get_data(as_text=True)


def test_voting_beyond_the_budget_is_refused_with_a_message(member, users, ideas):
    assert vote(member, ideas[0]).status_code == 302
    assert vote(member, ideas[1]).status_code == 302
    response = vote(member, ideas[2])
    assert response.status_code == 302
    page = member.get(response.headers["Location"]).get_data(as_text=True)
    assert "You have used all 2 of your votes." in page
    assert my_votes(users["member"].id) == set(ideas[:2])
    assert_consistent()


def test_json_clients_get_a_409_error_object(member, users, ideas):
    vote(member, ideas[0])
    vote(member, ideas[1])
    response = vote(member, ideas[2], json=True)
    assert response.status_code == 409
    assert response.json["error"] == "Vote budget spent"
    assert response.json["status"] == 409
    assert (response.json["budget"], response.json["votes_left"], response.json["votes"]) == (
        2,
        0,
        0,
    )
    assert "You have used all 2" in response.json["message"]
    # Voting again for an idea one already voted for is no new vote: no refusal.
    again = vote(member, ideas[0], json=True)
    assert again.status_code == 200 and again.json == {"voted": True, "votes": 1}


def test_a_vote_comes_back_when_taken_back_closed_merged_or_hidden(member, users, ideas):
    first, second, third, fourth = ideas
    vote(member, first)
    vote(member, second)
    assert vote(member, third, json=True).status_code == 409
    vote(member, second, "0")
    assert vote(member, third, json=True).status_code == 200
    with db.connection_context():
        change_status(Idea.get_by_id(first), "launched", users["staff"], "Shipped.")
    assert vote(member, fourth, json=True).status_code == 200
    assert vote(member, second, json=True).status_code == 409
    with db.connection_context():
        # What a merge and hiding leave on the duplicate (board/merge.py, board/moderation.py).
        Idea.update(merged_into=first).where(Idea.id == third).execute()
        assert open_votes(users["member"].id) == 1
        Idea.update(hidden_at=utcnow()).where(Idea.id == fourth).execute()
        assert open_votes(users["member"].id) == 0
    assert vote(member, second, json=True).status_code == 200


def test_votes_left_shows_to_signed_in_people_only(budgeted, member, users, ideas):
    assert "<strong>2 of 2</strong> votes left" in member.get("/").get_data(as_text=True)
    vote(member, ideas[0])
    page = member.get(f"/ideas/{ideas[1]}").get_data(as_text=True)
    assert "<strong>1 of 2</strong> votes left" in page
    visitor = budgeted.test_client()
    assert "votes left" not in visitor.get("/").get_data(as_text=True)
    assert "votes left" not in visitor.get(f"/ideas/{ideas[1]}").get_data(as_text=True)


def test_votes_recorded_by_staff_count_against_the_customer(budgeted, users, ideas):
    with db.connection_context():
        set_vote(ideas[0], users["member"], True, budget=BUDGET)
        record_vote_for(ideas[1], users["staff"], users["member"].email, budget=BUDGET)
        with pytest.raises(BehalfError, match="already has 2 votes on open ideas"):
            record_vote_for(ideas[2], users["staff"], users["member"].email, budget=BUDGET)
        with pytest.raises(VoteBudgetSpent):
            set_vote(ideas[2], users["member"], True, budget=BUDGET)
    staff = budgeted.test_client()
    staff.login(users["staff"].email)
    response = staff.post_form(
        f"/ideas/{ideas[3]}/vote-on-behalf", {"customer_email": users["member"].email}
    )
    assert response.status_code == 400
    assert "already has 2 votes on open ideas" in response.get_data(as_text=True)
    assert my_votes(users["member"].id) == set(ideas[:2])


def test_the_vote_a_visitor_came_for_respects_the_budget(budgeted, users, ideas):
    with db.connection_context():
        for idea_id in ideas[:2]:
            set_vote(idea_id, users["member"], True)
    client = budgeted.test_client()
    response = client.post_form(
        f"/login?next=/ideas/{ideas[2]}/vote",
        {"email": users["member"].email, "password": "correct horse battery staple"},
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You have used all 2 of your votes." in page
    assert my_votes(users["member"].id) == set(ideas[:2])


def test_the_count_reads_the_voters_index(app, users, ideas, sql_log, password_hash):
    """One person's few votes among many people's: read through vote(user_id)."""
    now = utcnow()

    def bulk(model, rows):
        for start in range(0, len(rows), 500):
            model.insert_many(rows[start : start + 500]).execute()

    with db.connection_context():
        with db.atomic():
            bulk(
                User,
                [
                    {"email": f"v{n}@example.com", "name": f"V {n}", "password_hash": password_hash}
                    for n in range(500)
                ],
            )
            bulk(
                Idea,
                [
                    {
                        "title": f"B {n}",
                        "author": users["other"].id,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for n in range(1000)
                ],
            )
            voters = [u.id for u in User.select(User.id).where(User.email.startswith("v"))]
            targets = [i.id for i in Idea.select(Idea.id).where(Idea.title.startswith("B "))]
            bulk(
                Vote,
                [
                    {"idea": targets[(n * 7 + k) % len(targets)], "user": voter, "created_at": now}
                    for n, voter in enumerate(voters)
                    for k in range(6)
                ],
            )
        set_vote(ideas[0], users["member"], True)
        db.execute_sql("ANALYZE")
        sql_log.clear()
        assert open_votes(users["member"].id) == 1
        [statement] = [s for s in sql_log if s[0].startswith("SELECT")]
        plan = query_plan(statement)
    assert "vote_user_id" in plan, plan
