"""Votes arriving while a merge runs are neither lost nor counted twice.

On PostgreSQL the merge locks both ideas FOR UPDATE and a vote takes FOR KEY SHARE on its
idea in the statement that writes it; the two tests that hold a transaction open on a second
connection show each side waiting for the other. SQLite runs one writer at a time; the race
below runs on both.
"""

import threading
import time

import psycopg2
import pytest

from ideaboard.board.accounts import create_user
from ideaboard.board.ideas import create_idea
from ideaboard.board.merge import merge_ideas
from ideaboard.board.votes import VotingMerged, set_vote
from ideaboard.db import db
from ideaboard.models import Idea, User, Vote, hot_sql
from tests.attack_support import assert_consistent

THREAD_SECONDS = 30
# How long to keep checking that a statement is waiting for a lock (0.05 s a look).
LOOKS = 200


@pytest.fixture
def ideas(users, category) -> dict:
    with db.connection_context():
        original = create_idea(users["other"], "Oat milk", "", category.id)
        duplicate = create_idea(users["member"], "Plant milk", "", category.id)
        voters = [create_user(f"v{n}@example.com", f"Voter {n}", "x" * 12) for n in range(12)]
        for voter in voters[:4]:
            set_vote(duplicate.id, voter, True)
        set_vote(original.id, voters[0], True)
    return {"duplicate": duplicate.id, "original": original.id, "voters": voters, **users}


def vote_users(idea_id: int) -> set[int]:
    with db.connection_context():
        return {v.user_id for v in Vote.select().where(Vote.idea == idea_id)}


def run_in_thread(results: dict, name: str, work) -> threading.Thread:
    def target():
        try:
            with db.connection_context():
                results[name] = work()
        except Exception as error:  # asserted by the test
            results[name] = error

    thread = threading.Thread(target=target)
    thread.start()
    return thread


def test_votes_racing_a_merge_are_neither_lost_nor_counted_twice(ideas):
    duplicate, original, voters = ideas["duplicate"], ideas["original"], ideas["voters"]
    start = threading.Barrier(len(voters) + 1)
    results: dict = {}

    def vote(voter: User, idea_id: int):
        start.wait(timeout=10)
        return set_vote(idea_id, voter, True)

    def merge():
        start.wait(timeout=10)
        return merge_ideas(duplicate, original, ideas["staff"])

    threads = [run_in_thread(results, "merge", merge)]
    for n, voter in enumerate(voters):
        threads.append(
            run_in_thread(
                results, voter.id, lambda v=voter, n=n: vote(v, (duplicate, original)[n % 2])
            )
        )
    for thread in threads:
        thread.join(timeout=THREAD_SECONDS)
    unexpected = [
        r for r in results.values() if isinstance(r, Exception) and not isinstance(r, VotingMerged)
    ]
    assert unexpected == []
    assert len(results) == len(voters) + 1
    # Whoever got a vote onto the duplicate, before the merge, has it on the original too.
    assert vote_users(duplicate) <= vote_users(original)
    # A vote refused because the idea was merged left no row behind.
    refused = {key for key, r in results.items() if isinstance(r, VotingMerged)}
    earlier = {v.id for v in voters[:4]}
    assert (refused - earlier).isdisjoint(vote_users(duplicate))
    assert_consistent()


def waiting_for_locks(url: str, count: int) -> None:
    """Return once `count` statements of this database wait for a lock (checked, not slept)."""
    watcher = psycopg2.connect(url)
    watcher.autocommit = True
    try:
        with watcher.cursor() as cursor:
            for _ in range(LOOKS):
                cursor.execute(
                    "SELECT COUNT(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
                if cursor.fetchone()[0] >= count:
                    return
                time.sleep(0.05)
    finally:
        watcher.close()
    pytest.fail(f"fewer than {count} statements ever waited for a lock")


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_votes_wait_for_a_merge_in_progress_then_see_it(ideas, database_url):
    duplicate, original, voters = ideas["duplicate"], ideas["original"], ideas["voters"]
    staff = ideas["staff"]
    # Hold the staff member's row: the merge stops at writing its Merge row (which points at
    # them), after it locked both ideas and copied the votes, until this transaction ends.
    holder = psycopg2.connect(database_url)
    results: dict = {}
    try:
        with holder.cursor() as cursor:
            cursor.execute('SELECT id FROM "user" WHERE id = %s FOR UPDATE', [staff.id])
        merging = run_in_thread(results, "merge", lambda: merge_ideas(duplicate, original, staff))
        waiting_for_locks(database_url, 1)
        late = [
            run_in_thread(results, "on duplicate", lambda: set_vote(duplicate, voters[8], True)),
            run_in_thread(results, "new on original", lambda: set_vote(original, voters[9], True)),
            run_in_thread(results, "moved voter", lambda: set_vote(original, voters[1], True)),
        ]
        waiting_for_locks(database_url, 4)
    finally:
        holder.rollback()
        holder.close()
    for thread in [merging, *late]:
        thread.join(timeout=THREAD_SECONDS)
    assert results["merge"].votes_moved == 3
    # The vote meant for the duplicate waited, then found it merged: refused, not lost.
    assert isinstance(results["on duplicate"], VotingMerged)
    assert results["new on original"].changed
    # The moved voter's vote was already there: counted once.
    assert not results["moved voter"].changed
    assert vote_users(original) == {v.id for v in voters[:4]} | {voters[9].id}
    assert vote_users(duplicate) == {v.id for v in voters[:4]}
    assert_consistent()


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_merge_waits_for_a_vote_in_flight_and_moves_it(ideas, database_url):
    duplicate, original, voters = ideas["duplicate"], ideas["original"], ideas["voters"]
    voter = voters[10]
    # A vote on the duplicate, written but not committed: as set_vote leaves it mid-way.
    flight = psycopg2.connect(database_url)
    results: dict = {}
    try:
        with flight.cursor() as cursor:
            cursor.execute(
                "INSERT INTO vote (idea_id, user_id, created_at) SELECT id, %s, now()"
                " FROM idea WHERE id = %s AND is_open AND merged_into_id IS NULL FOR KEY SHARE",
                [voter.id, duplicate],
            )
            hot = hot_sql("(vote_count + 1)", "comment_count", "created_at")
            cursor.execute(
                f"UPDATE idea SET vote_count = vote_count + 1, hot = {hot} WHERE id = %s",
                [duplicate],
            )
        merging = run_in_thread(
            results, "merge", lambda: merge_ideas(duplicate, original, ideas["staff"])
        )
        waiting_for_locks(database_url, 1)
        flight.commit()
    finally:
        flight.close()
    merging.join(timeout=THREAD_SECONDS)
    assert results["merge"].votes_moved == 4
    assert voter.id in vote_users(original)
    with db.connection_context():
        assert Idea.get_by_id(original).vote_count == 5
    assert_consistent()
