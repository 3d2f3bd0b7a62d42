"""Voting: one vote per person per idea, counters always equal to the rows."""

import threading

import pytest
from peewee import IntegrityError

from ideaboard.board.votes import set_vote
from ideaboard.db import db
from ideaboard.models import Idea, Vote


def vote_rows(idea_id: int) -> int:
    with db.connection_context():
        return Vote.select().where(Vote.idea == idea_id).count()


def vote_counter(idea_id: int) -> int:
    with db.connection_context():
        return Idea.get_by_id(idea_id).vote_count


def test_vote_and_take_back(client, users, idea):
    client.login("member@example.com")
    response = client.post_form(f"/ideas/{idea.id}/vote", {"vote": "1"})
    assert response.status_code == 302
    assert vote_rows(idea.id) == vote_counter(idea.id) == 1
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Thanks for your vote!" in page
    assert 'aria-pressed="true"' in page

    client.post_form(f"/ideas/{idea.id}/vote", {"vote": "0"})
    assert vote_rows(idea.id) == vote_counter(idea.id) == 0


def test_repeated_vote_counts_once(client, users, idea):
    client.login("member@example.com")
    for _ in range(3):
        client.post_form(f"/ideas/{idea.id}/vote", {"vote": "1"})
    assert vote_rows(idea.id) == vote_counter(idea.id) == 1


def test_withdrawing_a_missing_vote_changes_nothing(client, users, idea):
    client.login("member@example.com")
    client.post_form(f"/ideas/{idea.id}/vote", {"vote": "0"})
    assert vote_rows(idea.id) == vote_counter(idea.id) == 0


def test_vote_json_for_scripts(client, users, idea):
    client.login("member@example.com")
    response = client.post_form(
        f"/ideas/{idea.id}/vote", {"vote": "1"}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 200
    assert response.json == {"voted": True, "votes": 1}


def test_votes_from_different_people_add_up(client, users, idea):
    for email in ("member@example.com", "staff@example.com", "admin@example.com"):
        client.login(email)
        client.post_form(f"/ideas/{idea.id}/vote", {"vote": "1"})
        client.logout()
    assert vote_rows(idea.id) == vote_counter(idea.id) == 3


def test_vote_on_missing_idea_is_404(client, users):
    client.login("member@example.com")
    assert client.post_form("/ideas/999999/vote", {"vote": "1"}).status_code == 404


def test_database_refuses_a_second_vote_row(app, users, idea):
    """The unique index, not only the code, enforces one vote per person per idea."""
    with db.connection_context():
        Vote.create(idea=idea.id, user=users["member"].id)
        with pytest.raises(IntegrityError), db.atomic():
            Vote.create(idea=idea.id, user=users["member"].id)


@pytest.mark.parametrize("wanted", [True, False])
def test_simultaneous_votes_by_one_user_count_once(app, users, idea, wanted):
    """Two requests of the same user racing each other leave exactly one outcome."""
    if not wanted:
        with db.connection_context():
            set_vote(idea.id, users["member"].id, True)
    start = threading.Barrier(8)
    errors = []

    def cast():
        try:
            start.wait(timeout=10)
            with db.connection_context():
                set_vote(idea.id, users["member"].id, wanted)
        except Exception as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=cast) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    expected = 1 if wanted else 0
    assert vote_rows(idea.id) == vote_counter(idea.id) == expected


def test_simultaneous_votes_by_many_users_all_count(app, idea):
    from ideaboard.board.accounts import create_user

    with db.connection_context():
        voters = [create_user(f"v{n}@example.com", f"Voter {n}", "x" * 12) for n in range(10)]
    start = threading.Barrier(len(voters))
    errors = []

    def cast(user_id):
        try:
            start.wait(timeout=10)
            with db.connection_context():
                set_vote(idea.id, user_id, True)
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=cast, args=(v.id,)) for v in voters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert vote_rows(idea.id) == vote_counter(idea.id) == len(voters)


def test_vote_raises_hot_score(app, users, idea):
    with db.connection_context():
        before = Idea.get_by_id(idea.id).hot
        set_vote(idea.id, users["member"].id, True)
        assert Idea.get_by_id(idea.id).hot > before
