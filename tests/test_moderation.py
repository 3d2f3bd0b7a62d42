"""Moderation rules (board/moderation.py, board/moderation_queue.py) on both databases:
flagging, the queue's content and order, hiding and restoring, dismissing, the audit log."""

from datetime import timedelta

import pytest

from ideaboard.board.counters import rebuild_counters
from ideaboard.board.ideas import create_idea
from ideaboard.board.moderation import (
    ModerationError,
    NotAllowed,
    dismiss_flags,
    flag_content,
    hide_comment,
    hide_idea,
    hide_reason,
    restore_comment,
    restore_idea,
)
from ideaboard.board.moderation_queue import (
    flagged_page,
    hidden_comments_page,
    hidden_ideas_page,
    open_counts,
)
from ideaboard.db import db
from ideaboard.models import FLAG_DISMISSED, FLAG_HIDDEN, Comment, Flag, Idea, hot_score, utcnow
from tests.moderation_support import a_comment, audit_rows, fresh, idea_counts, open_flags


def run(function, *args, **kwargs):
    with db.connection_context():
        return function(*args, **kwargs)


def test_a_member_flags_once_per_item_with_a_reason(users, idea):
    other = users["other"]
    flag = run(flag_content, other, idea.id, "spam", details="  Buy   pills\nnow ")
    assert (flag.reporter_id, flag.idea_id, flag.comment_id) == (other.id, idea.id, None)
    assert open_flags() == [(idea.id, None, "spam: Buy pills now")]
    with pytest.raises(ModerationError, match="already flagged"):
        run(flag_content, other, idea.id, "offensive")
    # Someone else may flag the same idea; the queue counts both.
    run(flag_content, users["admin"], idea.id, "offensive")
    assert len(open_flags()) == 2


@pytest.mark.parametrize(
    ("who", "reason", "message"),
    [
        ("member", "spam", "your own idea"),
        ("other", "nonsense", "Choose why"),
        ("other", "", "Choose why"),
    ],
)
def test_flags_that_are_refused(users, idea, who, reason, message):
    with pytest.raises(ModerationError, match=message):
        run(flag_content, users[who], idea.id, reason)
    assert open_flags() == []


def test_no_flag_on_what_is_missing_hidden_or_elsewhere(users, idea):
    other, staff = users["other"], users["staff"]
    assert run(flag_content, other, 2**31 - 1, "spam") is None
    mine = a_comment(idea.id, other)
    elsewhere = run(create_idea, users["admin"], "Another idea")
    # A comment is flagged through its own idea only.
    assert run(flag_content, users["member"], elsewhere.id, "spam", comment_id=mine.id) is None
    with pytest.raises(ModerationError, match="your own comment"):
        run(flag_content, other, idea.id, "spam", comment_id=mine.id)
    run(hide_idea, idea.id, staff)
    # Hidden: the author still sees it, so a flag says why not; others cannot see it at all.
    assert run(flag_content, other, idea.id, "spam") is None
    with pytest.raises(ModerationError, match="already hidden"):
        run(flag_content, users["admin"], idea.id, "spam")
    assert open_flags() == []


def test_after_a_dismissal_the_same_person_may_flag_again(users, idea):
    other, staff = users["other"], users["staff"]
    run(flag_content, other, idea.id, "spam")
    assert run(dismiss_flags, idea.id, staff) == 1
    with db.connection_context():
        flag = Flag.get()
    assert (flag.resolution, flag.resolved_by_id) == (FLAG_DISMISSED, staff.id)
    assert flag.resolved_at is not None
    run(flag_content, other, idea.id, "duplicate", details="Same as #3")
    assert open_flags() == [(idea.id, None, "duplicate: Same as #3")]
    assert audit_rows("dismiss_flag") == [
        ("dismiss_flag", idea.id, None, {"comment_id": None, "flags": 1})
    ]
    with pytest.raises(ModerationError, match="no open flags"):
        run(dismiss_flags, idea.id, staff, comment_id=2**31 - 1)


def age_flags(minutes_ago: dict[int, int]) -> None:
    """Backdate flags by id: the queue orders by the first open flag."""
    with db.connection_context():
        for flag_id, minutes in minutes_ago.items():
            Flag.update(created_at=utcnow() - timedelta(minutes=minutes)).where(
                Flag.id == flag_id
            ).execute()


def test_the_queue_groups_open_flags_per_item_oldest_first(users, idea):
    other, admin, staff = users["other"], users["admin"], users["staff"]
    comment = a_comment(idea.id, users["member"], "Rude words")
    second = run(create_idea, other, "Second idea", "Body")
    first = run(flag_content, admin, second.id, "spam", details="Link farm")
    run(flag_content, other, idea.id, "offensive", comment_id=comment.id)
    run(flag_content, other, idea.id, "spam")
    run(flag_content, admin, idea.id, "spam")
    run(flag_content, users["member"], second.id, "duplicate")
    age_flags({first.id: 30})

    page = run(flagged_page, 10)
    keys = [(item.idea.id, item.comment.id if item.comment else None) for item in page.items]
    assert keys == [(second.id, None), (idea.id, comment.id), (idea.id, None)]
    second_item, comment_item, idea_item = page.items
    assert (second_item.count, second_item.reasons) == (
        2,
        [("Spam or advertising", 1), ("Duplicate of another idea", 1)],
    )
    assert [(reporter.name, note) for reporter, note in second_item.notes] == [
        ("Ada Admin", "Link farm")
    ]
    assert second_item.author.id == other.id and second_item.suggested_reason
    assert (comment_item.count, comment_item.author.id, comment_item.comment.body) == (
        1,
        users["member"].id,
        "Rude words",
    )
    assert (idea_item.count, idea_item.reasons) == (2, [("Spam or advertising", 2)])
    assert run(open_counts) == (3, 0)

    # Two per page: the cursor carries on where the first page stopped.
    first_page = run(flagged_page, 2)
    assert len(first_page.items) == 2 and first_page.next_cursor
    rest = run(flagged_page, 2, after=int(first_page.next_cursor))
    assert [i.idea.id for i in rest.items] == [idea.id] and rest.next_cursor is None
    assert not rest.is_first

    # Hiding the idea resolves its own flags, not those of its comments.
    run(hide_idea, idea.id, staff, reason="Spam")
    keys = [(i.idea.id, i.comment.id if i.comment else None) for i in run(flagged_page, 10).items]
    assert keys == [(second.id, None), (idea.id, comment.id)]
    assert run(open_counts) == (2, 0)


def test_hiding_and_restoring_an_idea_is_audited(users, idea):
    staff, other = users["staff"], users["other"]
    run(flag_content, other, idea.id, "spam")
    hidden = run(hide_idea, idea.id, staff, reason="  Advertising,\n  twice ")
    assert hidden.id == idea.id
    row = fresh(Idea, idea.id)
    assert row.hidden_at is not None and not row.pending_review
    with db.connection_context():
        flag = Flag.get()
    assert (flag.resolution, flag.resolved_by_id) == (FLAG_HIDDEN, staff.id)
    assert run(hide_reason, idea.id) == "Advertising, twice"
    with pytest.raises(ModerationError, match="already hidden"):
        run(hide_idea, idea.id, staff)
    restored = run(restore_idea, idea.id, staff)
    assert restored.id == idea.id and fresh(Idea, idea.id).hidden_at is None
    with pytest.raises(ModerationError, match="not hidden"):
        run(restore_idea, idea.id, staff)
    member = users["member"].id
    assert audit_rows() == [
        (
            "hide",
            idea.id,
            member,
            {"flags_resolved": 1, "reason": "Advertising, twice", "was_pending": False},
        ),
        ("restore", idea.id, member, {}),
    ]
    assert run(hide_idea, 2**31 - 1, staff) is None
    assert run(restore_idea, 2**31 - 1, staff) is None


@pytest.mark.parametrize(
    "action",
    [hide_idea, restore_idea, dismiss_flags, lambda item, user: hide_comment(item, user)],
)
def test_only_staff_moderate(users, idea, action):
    with pytest.raises(NotAllowed):
        run(action, idea.id, users["member"])
    assert fresh(Idea, idea.id).hidden_at is None and audit_rows() == []


def test_a_hidden_comment_stops_counting_and_comes_back(users, idea):
    staff, other = users["staff"], users["other"]
    comment = a_comment(idea.id, other, "Spam spam")
    a_comment(idea.id, users["member"], "Fine")
    run(flag_content, users["member"], idea.id, "spam", comment_id=comment.id)
    before = fresh(Idea, idea.id)
    assert before.comment_count == 2
    run(hide_comment, comment.id, staff, reason="Spam")
    assert fresh(Comment, comment.id).hidden_at is not None
    count, hot = idea_counts(idea.id)
    assert count == 1
    assert hot == pytest.approx(hot_score(0, 1, before.created_at), abs=1e-5)
    # Counters match the rows as rebuild-counters counts them (hidden comments do not count).
    assert run(rebuild_counters, fix=False).wrong_ids == []
    assert open_flags() == []
    assert run(hide_reason, idea.id, comment.id) == "Spam"
    assert run(hide_reason, idea.id) == ""
    with pytest.raises(ModerationError, match="already hidden"):
        run(hide_comment, comment.id, staff)
    assert idea_counts(idea.id)[0] == 1  # a refused hide moves nothing

    hidden = run(hidden_comments_page, 10)
    assert [c.id for c in hidden.items] == [comment.id]
    assert hidden.items[0].idea.title == idea.title

    run(restore_comment, comment.id, staff)
    assert idea_counts(idea.id) == (before.comment_count, pytest.approx(before.hot, abs=1e-5))
    assert run(rebuild_counters, fix=False).wrong_ids == []
    with pytest.raises(ModerationError, match="not hidden"):
        run(restore_comment, comment.id, staff)
    assert [(a, i, u, d.get("comment_id")) for a, i, u, d in audit_rows()] == [
        ("hide", idea.id, other.id, comment.id),
        ("restore", idea.id, other.id, comment.id),
    ]
    assert run(hide_comment, 2**31 - 1, staff) is None


def test_the_hidden_lists_page_newest_first(users, idea):
    staff = users["staff"]
    ideas = [run(create_idea, users["other"], f"Idea {n}") for n in range(3)]
    comments = [a_comment(idea.id, users["other"], f"Comment {n}") for n in range(3)]
    for n, (one, comment) in enumerate(zip(ideas, comments, strict=True)):
        run(hide_idea, one.id, staff)
        run(hide_comment, comment.id, staff)
        with db.connection_context():
            moment = utcnow() - timedelta(hours=10 - n)
            Idea.update(hidden_at=moment).where(Idea.id == one.id).execute()
            Comment.update(hidden_at=moment).where(Comment.id == comment.id).execute()
    first = run(hidden_ideas_page, 2)
    assert [i.id for i in first.items] == [ideas[2].id, ideas[1].id]
    rest = run(hidden_ideas_page, 2, after=first.next_cursor)
    assert [i.id for i in rest.items] == [ideas[0].id]
    first = run(hidden_comments_page, 2)
    assert [c.id for c in first.items] == [comments[2].id, comments[1].id]
    rest = run(hidden_comments_page, 2, after=first.next_cursor)
    assert [c.id for c in rest.items] == [comments[0].id] and rest.next_cursor is None
