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
            set_vote(idea.id, users["member"], True)
    start = threading.Barrier(8)
    errors = []

    def cast():
        try:
            start.wait(timeout=10)
            with db.connection_context():
                set_vote(idea.id, users["member"], wanted)
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

    def cast(voter):
        try:
            start.wait(timeout=10)
            with db.connection_context():
                set_vote(idea.id, voter, True)
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=cast, args=(v,)) for v in voters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert vote_rows(idea.id) == vote_counter(idea.id) == len(voters)


def test_vote_raises_hot_score(app, users, idea):
    with db.connection_context():
        before = Idea.get_by_id(idea.id).hot
        set_vote(idea.id, users["member"], True)
        assert Idea.get_by_id(idea.id).hot > before


# Closed ideas (launched, declined) keep their count and take no more votes.


def close(idea_id: int, users, status: str) -> None:
    from ideaboard.board.pipeline import change_status

    with db.connection_context():
        change_status(Idea.get_by_id(idea_id), status, users["staff"], "Decided.")


@pytest.mark.parametrize("status", ["launched", "declined"])
def test_closed_idea_refuses_new_votes_and_withdrawals(client, users, idea, status):
    client.login("member@example.com")
    client.post_form(f"/ideas/{idea.id}/vote", {"vote": "1"})
    close(idea.id, users, status)

    response = client.post_form(f"/ideas/{idea.id}/vote", {"vote": "0"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Voting is closed: this idea is" in page
    assert "Voting closed" in page and "data-vote-form" not in page
    assert vote_rows(idea.id) == vote_counter(idea.id) == 1  # the withdrawal was refused

    client.logout()
    client.login("other@example.com")
    response = client.post_form(
        f"/ideas/{idea.id}/vote", {"vote": "1"}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 409
    assert response.json["votes"] == 1
    assert "Voting is closed" in response.json["message"]
    assert vote_rows(idea.id) == vote_counter(idea.id) == 1


def test_set_vote_on_a_closed_idea_raises_and_changes_nothing(app, users, idea):
    from ideaboard.board.votes import VotingClosed

    close(idea.id, users, "declined")
    with db.connection_context():
        before = Idea.get_by_id(idea.id)
        with pytest.raises(VotingClosed) as refused:
            set_vote(idea.id, users["other"], True)
        assert refused.value.result.votes == 0
        assert "declined" in str(refused.value)
        after = Idea.get_by_id(idea.id)
        assert (after.vote_count, after.hot, after.is_open) == (
            before.vote_count,
            before.hot,
            False,
        )
        # Missing ideas are still None, not "closed".
        assert set_vote(999_999, users["other"], True) is None


def test_reopened_idea_takes_votes_again(app, users, idea):
    close(idea.id, users, "declined")
    close(idea.id, users, "under_review")
    with db.connection_context():
        assert Idea.get_by_id(idea.id).is_open
        assert set_vote(idea.id, users["other"], True).votes == 1


def test_a_vote_is_still_three_statements(app, users, idea, sql_log):
    """The closed check rides in the INSERT: vote, counter, follow; a refusal costs two."""
    with db.connection_context():
        sql_log.clear()
        set_vote(idea.id, users["other"], True)
        cast = [sql for sql, _ in sql_log if not sql.startswith(("BEGIN", "COMMIT", "SAVEPOINT"))]
        assert len(cast) == 3, cast
        assert "is_open" in cast[0]
    close(idea.id, users, "launched")
    with db.connection_context():
        sql_log.clear()
        with pytest.raises(ValueError):
            set_vote(idea.id, users["member"], True)
        assert len([s for s, _ in sql_log if not s.startswith(("BEGIN", "COMMIT"))]) == 2


def test_closed_ideas_show_their_count_without_a_button(client, users, idea):
    from ideaboard.board.votes import set_vote as vote

    with db.connection_context():
        vote(idea.id, users["other"], True)
    close(idea.id, users, "launched")
    for viewer in (None, "other@example.com"):
        if viewer:
            client.login(viewer)
        for path in (f"/ideas/{idea.id}", "/?show=closed"):
            page = client.get(path).get_data(as_text=True)
            assert 'class="vote-button vote-closed' in page, (viewer, path)
            assert "Voting closed" in page
            assert f'href="/ideas/{idea.id}/vote"' not in page  # no visitor's link either
            assert f'action="/ideas/{idea.id}/vote"' not in page
            assert '<span class="vote-count">1</span>' in page
