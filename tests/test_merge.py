"""Merging a duplicate into its original and unmerging it: the rules, on both databases.

Pages, feeds and notifications are in test_merge_pages.py and test_merge_feed.py.
"""

import json

import pytest

from ideaboard.board.comments import add_comment
from ideaboard.board.follows import set_following
from ideaboard.board.ideas import create_idea
from ideaboard.board.merge import MergeError, merge_ideas, unmerge
from ideaboard.board.merge_info import preview_merge, preview_unmerge
from ideaboard.board.votes import VotingMerged, set_vote
from ideaboard.db import db
from ideaboard.models import (
    EVENT_MERGED,
    AuditEntry,
    Event,
    Follow,
    Idea,
    Merge,
    User,
    Vote,
    hot_score,
    utcnow,
)
from tests.attack_support import assert_consistent


@pytest.fixture
def people(users, password_hash) -> dict:
    """Customers a to e, besides the fixture's member (who posts) and staff."""
    with db.connection_context():
        made = {
            name: User.create(email=f"{name}@example.com", name=name.upper(), password_hash="x")
            for name in "abcde"
        }
    return {**users, **made}


@pytest.fixture
def board(people, category) -> dict:
    """A duplicate with voters a, b, c and an original with voters c, d (c voted for both).

    Everyone who voted follows what they voted for; the member wrote the duplicate, the
    other member the original.
    """
    with db.connection_context():
        original = create_idea(people["other"], "Oat milk", "At no extra charge.", category.id)
        duplicate = create_idea(people["member"], "Plant milk please", "Same price.", category.id)
        for name in "abc":
            set_vote(duplicate.id, people[name], True)
        for name in "cd":
            set_vote(original.id, people[name], True)
    return {"duplicate": duplicate.id, "original": original.id, **people}


def voters(idea_id: int) -> set[str]:
    with db.connection_context():
        rows = Vote.select(Vote, User).join(User).where(Vote.idea == idea_id)
        return {row.user.email.split("@")[0] for row in rows}


def followers(idea_id: int) -> set[str]:
    with db.connection_context():
        rows = (
            Follow.select(Follow, User).join(User).where((Follow.idea == idea_id) & Follow.active)
        )
        return {row.user.email.split("@")[0] for row in rows}


def snapshot(*idea_ids: int) -> dict:
    """Everything a merge may touch, as rows: votes, follows, the ideas' own columns."""
    with db.connection_context():
        return {
            "votes": sorted(
                Vote.select(
                    Vote.id,
                    Vote.idea,
                    Vote.user,
                    Vote.created_at,
                    Vote.recorded_by,
                    Vote.merged_from,
                )
                .where(Vote.idea.in_(idea_ids))
                .tuples()
            ),
            "follows": sorted(
                Follow.select(
                    Follow.id,
                    Follow.idea,
                    Follow.user,
                    Follow.active,
                    Follow.reason,
                    Follow.merged_from,
                )
                .where(Follow.idea.in_(idea_ids))
                .tuples()
            ),
            "ideas": sorted(
                Idea.select(
                    Idea.id,
                    Idea.title,
                    Idea.vote_count,
                    Idea.comment_count,
                    Idea.status,
                    Idea.updated_at,
                    Idea.merged_into,
                )
                .where(Idea.id.in_(idea_ids))
                .tuples()
            ),
        }


def idea(idea_id: int) -> Idea:
    with db.connection_context():
        return Idea.get_by_id(idea_id)


def merge(board, actor="staff") -> Merge:
    with db.connection_context():
        return merge_ideas(board["duplicate"], board["original"], board[actor])


def undo(board, merge_id: int, actor="staff") -> Merge:
    with db.connection_context():
        return unmerge(merge_id, board[actor])


def test_votes_move_and_who_voted_for_both_counts_once(board):
    done = merge(board)
    assert voters(board["original"]) == {"a", "b", "c", "d"}
    assert idea(board["original"]).vote_count == 4
    assert done.votes_moved == 2
    # The duplicate's own rows stay where they are, untouched.
    assert voters(board["duplicate"]) == {"a", "b", "c"}
    assert idea(board["duplicate"]).vote_count == 3
    assert idea(board["duplicate"]).merged_into_id == board["original"]
    with db.connection_context():
        copies = Vote.select().where(Vote.merged_from == board["duplicate"])
        originals = {
            v.user_id: v.created_at for v in Vote.select().where(Vote.idea == board["duplicate"])
        }
        assert {(v.idea_id, v.user_id) for v in copies} == {
            (board["original"], board["a"].id),
            (board["original"], board["b"].id),
        }
        # A copy keeps when the vote was cast.
        assert all(v.created_at == originals[v.user_id] for v in copies)
    assert_consistent()


def test_followers_move_except_those_who_unfollowed_the_original(board):
    with db.connection_context():
        set_following(board["b"].id, board["original"], False)  # b chose not to follow it
        set_following(board["a"].id, board["duplicate"], False)  # a stopped following the dup
        set_following(board["e"].id, board["duplicate"], True)
    assert followers(board["duplicate"]) == {"member", "b", "c", "e"}
    done = merge(board)
    # member (the author) and e are new there; c already followed; b keeps the unfollow.
    assert followers(board["original"]) == {"other", "c", "d", "member", "e"}
    assert done.followers_moved == 2
    assert followers(board["duplicate"]) == {"member", "b", "c", "e"}


def test_a_merge_is_recorded_with_an_audit_entry_and_an_event(board):
    done = merge(board)
    with db.connection_context():
        row = Merge.get_by_id(done.id)
        assert (row.duplicate_id, row.original_id, row.actor_id) == (
            board["duplicate"],
            board["original"],
            board["staff"].id,
        )
        assert (row.votes_moved, row.undone_at) == (2, None)
        [entry] = AuditEntry.select().where(AuditEntry.action == "merge")
        assert (entry.actor_id, entry.actor_name, entry.idea_id) == (
            board["staff"].id,
            "Sasha Staff",
            board["duplicate"],
        )
        assert f"#{board['duplicate']}" in entry.summary and "2 votes" in entry.summary
        assert json.loads(entry.detail)["original_id"] == board["original"]
        [event] = Event.select().where(Event.kind == EVENT_MERGED)
        assert (event.idea_id, event.merge_id, event.actor_id) == (
            board["duplicate"],
            done.id,
            board["staff"].id,
        )


def test_unmerge_restores_both_ideas_exactly(board):
    before = snapshot(board["duplicate"], board["original"])
    hot_before = {i: idea(i).hot for i in (board["duplicate"], board["original"])}
    done = merge(board)
    undone = undo(board, done.id)
    assert snapshot(board["duplicate"], board["original"]) == before
    for idea_id, hot in hot_before.items():
        assert idea(idea_id).hot == pytest.approx(hot, abs=1e-5)
    assert undone.undone_by_id == board["staff"].id
    with db.connection_context():
        assert Merge.get_by_id(done.id).undone_at is not None
        [entry] = AuditEntry.select().where(AuditEntry.action == "unmerge")
        assert "2 votes" in entry.summary and entry.idea_id == board["duplicate"]
    assert_consistent()


def test_unmerge_after_more_votes_on_the_original_keeps_them(board):
    done = merge(board)
    with db.connection_context():
        set_vote(board["original"], board["e"], True)
    assert idea(board["original"]).vote_count == 5
    undo(board, done.id)
    assert voters(board["original"]) == {"c", "d", "e"}
    assert idea(board["original"]).vote_count == 3
    assert voters(board["duplicate"]) == {"a", "b", "c"}
    assert idea(board["duplicate"]).vote_count == 3
    assert_consistent()


def test_unmerge_after_a_moved_voter_withdrew_and_another_voted_again(board):
    done = merge(board)
    with db.connection_context():
        set_vote(board["original"], board["a"], False)  # withdraws the copy
        set_vote(board["original"], board["b"], False)  # withdraws the copy...
        set_vote(board["original"], board["b"], True)  # ...then votes there themselves
        set_vote(board["original"], board["c"], False)  # withdraws the own vote
    assert idea(board["original"]).vote_count == 2  # b (own now) and d
    assert preview(board).votes_to_remove == 0
    undo(board, done.id)
    # a is back to the duplicate alone; b voted for the original as themselves: it stays;
    # c took their vote for the original back; d never had anything to do with the merge.
    assert voters(board["original"]) == {"b", "d"}
    assert idea(board["original"]).vote_count == 2
    assert voters(board["duplicate"]) == {"a", "b", "c"}
    assert idea(board["duplicate"]).vote_count == 3
    assert_consistent()


def preview(board):
    with db.connection_context():
        return preview_unmerge(board["duplicate"])


def test_unmerge_keeps_follow_choices_made_since(board):
    done = merge(board)
    with db.connection_context():
        # member's follow was copied; they unfollow the original on purpose.
        set_following(board["member"].id, board["original"], False)
        # a's copy stays a copy: it goes with the unmerge.
    undo(board, done.id)
    assert followers(board["original"]) == {"other", "c", "d"}
    with db.connection_context():
        # The member's own choice, not the merge's, so it is kept (inactive).
        row = Follow.get((Follow.idea == board["original"]) & (Follow.user == board["member"].id))
        assert (row.active, row.merged_from_id) == (False, None)
        assert not Follow.select().where(Follow.merged_from == board["duplicate"]).exists()


def test_unmerge_keeps_a_copied_follow_the_person_earned_on_the_original_since(board):
    with db.connection_context():
        User.update(follow_voted=False).where(User.id == board["e"].id).execute()
        set_vote(board["duplicate"], board["e"], True)
        set_following(board["e"].id, board["duplicate"], True)
    done = merge(board)
    with db.connection_context():
        set_vote(board["original"], board["a"], False)  # withdraws the copied vote...
        set_vote(board["original"], board["a"], True)  # ...and votes as themselves
        add_comment(board["original"], board["b"], "Same idea, yes.")
        set_vote(board["original"], board["e"], False)  # e follows nothing they vote for:
        set_vote(board["original"], board["e"], True)  # their follow stays the merge's copy
    undo(board, done.id)
    # a voted and b commented on the original while merged: they follow it as themselves; the
    # member's, e's and the other copies went with the unmerge.
    assert followers(board["original"]) == {"other", "a", "b", "c", "d"}
    with db.connection_context():
        reasons = {
            f.user.email.split("@")[0]: (f.reason, f.merged_from_id)
            for f in Follow.select(Follow, User).join(User).where(Follow.idea == board["original"])
        }
    assert reasons["a"] == ("voted", None) and reasons["b"] == ("commented", None)
    assert followers(board["duplicate"]) >= {"a", "b", "e"}
    assert_consistent()


def test_a_merged_idea_takes_no_votes_and_gives_none_back(board):
    merge(board)
    with db.connection_context():
        with pytest.raises(VotingMerged) as refused:
            set_vote(board["duplicate"], board["e"], True)
        assert f"#{board['original']} “Oat milk”" in str(refused.value)
        with pytest.raises(VotingMerged):
            set_vote(board["duplicate"], board["a"], False)
    assert voters(board["duplicate"]) == {"a", "b", "c"}
    assert idea(board["duplicate"]).vote_count == 3


def test_after_unmerge_the_duplicate_takes_votes_again(board):
    done = merge(board)
    undo(board, done.id)
    with db.connection_context():
        assert set_vote(board["duplicate"], board["e"], True).votes == 4


def test_merge_preview_counts_what_would_move(board):
    with db.connection_context():
        shown = preview_merge(board["duplicate"], board["original"])
    assert (shown.voters, shown.overlap, shown.votes_to_move) == (3, 1, 2)
    # The author, a and b follow the duplicate; c follows both already.
    assert (shown.followers, shown.followers_to_move) == (4, 3)
    assert merge(board).votes_moved == shown.votes_to_move


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("self", "cannot be merged into itself"),
        ("missing", "There is no idea #999999"),
        ("twice", "is already merged into"),
        ("chain", "is itself merged into"),
        ("has_merged", "Merges do not chain"),
        ("hidden_duplicate", "is hidden"),
        ("hidden_original", "is hidden"),
        ("pending_original", "waiting for review"),
        ("member", "Only staff"),
    ],
)
def test_refused_merges_change_nothing(board, category, setup, message):
    duplicate, original, actor = board["duplicate"], board["original"], board["staff"]
    with db.connection_context():
        third = create_idea(board["e"], "Oat milk everywhere", "", category.id)
        if setup == "self":
            original = duplicate
        elif setup == "missing":
            original = 999999
        elif setup == "twice":
            merge_ideas(duplicate, third.id, actor)
        elif setup == "chain":
            merge_ideas(original, third.id, actor)
        elif setup == "has_merged":
            merge_ideas(third.id, duplicate, actor)
        elif setup == "hidden_duplicate":
            Idea.update(hidden_at=utcnow()).where(Idea.id == duplicate).execute()
        elif setup == "hidden_original":
            Idea.update(hidden_at=utcnow()).where(Idea.id == original).execute()
        elif setup == "pending_original":
            Idea.update(pending_review=True).where(Idea.id == original).execute()
        elif setup == "member":
            actor = board["member"]
    before = snapshot(duplicate, original, third.id)
    merges = Merge.select().count
    with db.connection_context():
        count = merges()
        with pytest.raises(MergeError, match=message):
            merge_ideas(duplicate, original, actor)
        assert merges() == count
    assert snapshot(duplicate, original, third.id) == before


def test_unmerge_twice_or_by_a_member_is_refused(board):
    done = merge(board)
    with pytest.raises(MergeError, match="Only staff"):
        undo(board, done.id, actor="member")
    undo(board, done.id)
    before = snapshot(board["duplicate"], board["original"])
    with pytest.raises(MergeError, match="already undone"):
        undo(board, done.id)
    with pytest.raises(MergeError, match="no such merge"):
        undo(board, 999999)
    assert snapshot(board["duplicate"], board["original"]) == before


def test_merge_again_after_unmerge_and_into_another(board, category):
    first = merge(board)
    undo(board, first.id)
    with db.connection_context():
        other = create_idea(board["e"], "Soy milk too", "", category.id)
        set_vote(other.id, board["a"], True)
        second = merge_ideas(board["duplicate"], other.id, board["staff"])
    assert second.votes_moved == 2  # b and c; a had voted there already
    assert voters(other.id) == {"a", "b", "c"}
    assert voters(board["original"]) == {"c", "d"}
    assert_consistent()


def test_hot_score_of_the_original_moves_with_its_votes(board):
    merge(board)
    moved = idea(board["original"])
    assert moved.hot == pytest.approx(
        hot_score(moved.vote_count, moved.comment_count, moved.created_at), abs=1e-5
    )
