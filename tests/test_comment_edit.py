"""Authors edit and delete their comments, staff delete any (board/comments.py, web/comments.py),
with counters, notifications and the audit log right, on both databases."""

import re

import pytest

from ideaboard.board.comments import (
    CommentError,
    CommentNotAllowed,
    delete_comment,
    edit_comment,
)
from ideaboard.board.counters import rebuild_counters
from ideaboard.board.mail import mail_settings
from ideaboard.board.moderation import flag_content, hide_comment
from ideaboard.board.notifications import fan_out_due
from ideaboard.db import db
from ideaboard.models import Comment, Flag, Notification, User
from tests.moderation_support import a_comment, audit_rows, fresh, idea_counts, logged_in


def text(response) -> str:
    return response.get_data(as_text=True)


def run(function, *args):
    with db.connection_context():
        return function(*args)


def exists(comment_id: int) -> bool:
    with db.connection_context():
        return Comment.select().where(Comment.id == comment_id).exists()


def test_the_author_edits_and_the_page_says_when(app, users, idea):
    comment = a_comment(idea.id, users["other"], "Frist!")
    other = logged_in(app, "other@example.com")
    page = text(other.get(f"/ideas/{idea.id}"))
    assert f'href="/comments/{comment.id}/edit"' in page
    form = other.get(f"/comments/{comment.id}/edit")
    assert form.status_code == 200 and "Frist!</textarea>" in text(form)
    saved = other.post_form(f"/comments/{comment.id}/edit", {"body": "First, **really**."})
    assert saved.status_code == 302 and saved.location.endswith(f"#comment-{comment.id}")
    row = fresh(Comment, comment.id)
    assert row.body == "First, **really**." and row.edited_at is not None
    page = text(logged_in(app, None).get(f"/ideas/{idea.id}"))
    assert "First, <strong>really</strong>." in page
    assert re.search(r'<span class="edited">edited\s*<time datetime="', page)
    assert idea_counts(idea.id)[0] == 1


def test_saving_the_same_text_does_not_mark_it_edited(users, idea):
    comment = a_comment(idea.id, users["other"], "Same")
    run(edit_comment, comment.id, users["other"], "  Same \n")
    assert fresh(Comment, comment.id).edited_at is None
    with pytest.raises(CommentError, match="Write something"):
        run(edit_comment, comment.id, users["other"], "   ")
    assert run(edit_comment, 2**31 - 1, users["other"], "x") is None


def test_edited_comments_are_sanitized_markdown(app, users, idea):
    comment = a_comment(idea.id, users["other"])
    other = logged_in(app, "other@example.com")
    body = "<script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=alert(3)>"
    assert other.post_form(f"/comments/{comment.id}/edit", {"body": body}).status_code == 302
    page = text(logged_in(app, None).get(f"/ideas/{idea.id}"))
    assert "<script>alert(1)" not in page and 'href="javascript:' not in page
    assert "<img" not in page and "&lt;script&gt;alert(1)" in page


def test_bad_edits_come_back_with_the_error_next_to_the_field(app, users, idea):
    comment = a_comment(idea.id, users["other"], "Keep me")
    other = logged_in(app, "other@example.com")
    empty = other.post_form(f"/comments/{comment.id}/edit", {"body": "  "})
    assert empty.status_code == 400 and 'id="body-error"' in text(empty)
    assert "autofocus" in text(empty)
    long = other.post_form(f"/comments/{comment.id}/edit", {"body": "y" * 5001})
    assert long.status_code == 400 and "y" * 5001 in text(long)
    assert fresh(Comment, comment.id).body == "Keep me"


@pytest.mark.parametrize("who", ["member@example.com", "staff@example.com"])
def test_nobody_else_edits_a_comment(app, users, idea, who):
    comment = a_comment(idea.id, users["other"], "Mine")
    client = logged_in(app, who)
    assert f"/comments/{comment.id}/edit" not in text(client.get(f"/ideas/{idea.id}"))
    assert client.get(f"/comments/{comment.id}/edit").status_code == 403
    refused = client.post_form(f"/comments/{comment.id}/edit", {"body": "Hijacked"})
    assert refused.status_code == 403
    assert fresh(Comment, comment.id).body == "Mine"
    with pytest.raises(CommentNotAllowed):
        run(edit_comment, comment.id, users[who.split("@")[0]], "Hijacked")
    visitor = logged_in(app, None).get(f"/comments/{comment.id}/edit")
    assert visitor.status_code == 302 and "/login" in visitor.location
    assert logged_in(app, who).get("/comments/2147483647/edit").status_code == 404


def test_an_official_answer_is_edited_by_its_author_and_shows_it(app, users, idea):
    answer = a_comment(idea.id, users["staff"], "We will look at it.")
    staff = logged_in(app, "staff@example.com")
    staff.post_form(f"/comments/{answer.id}/edit", {"body": "We are doing it."})
    page = text(logged_in(app, None).get(f"/ideas/{idea.id}"))
    assert "We are doing it." in page and 'class="edited"' in page
    # Another staff member may not put words in a colleague's mouth.
    assert logged_in(app, "admin@example.com").get(f"/comments/{answer.id}/edit").status_code == 403
    # Official answers stay on the record: nobody deletes them.
    for who in ("staff@example.com", "admin@example.com"):
        client = logged_in(app, who)
        refused = client.get(f"/comments/{answer.id}/delete")
        assert refused.status_code == 403 and "stay on the record" in text(refused)
        assert client.post_form(f"/comments/{answer.id}/delete").status_code == 403
    with pytest.raises(CommentNotAllowed):
        run(delete_comment, answer.id, users["staff"])
    assert exists(answer.id)


def test_an_official_answer_stays_with_the_team_when_its_author_leaves_it(app, users, idea):
    answer = a_comment(idea.id, users["staff"], "Official word")
    with db.connection_context():
        User.update(role="member").where(User.id == users["staff"].id).execute()
    former = logged_in(app, "staff@example.com")
    assert former.get(f"/comments/{answer.id}/edit").status_code == 403


def test_the_author_deletes_a_comment_after_confirming(app, users, idea):
    comment = a_comment(idea.id, users["other"], "Oops, wrong idea")
    count, _ = idea_counts(idea.id)
    other = logged_in(app, "other@example.com")
    confirm = other.get(f"/comments/{comment.id}/delete")
    assert confirm.status_code == 200 and "Oops, wrong idea" in text(confirm)
    assert exists(comment.id)
    done = other.post_form(f"/comments/{comment.id}/delete")
    assert done.status_code == 302 and done.location.endswith("#comments")
    assert "The comment is deleted." in text(other.get(done.location))
    assert not exists(comment.id)
    assert idea_counts(idea.id)[0] == count - 1
    assert run(rebuild_counters, False).wrong_ids == []
    assert audit_rows() == []  # one's own comment: not a staff action
    assert other.post_form(f"/comments/{comment.id}/delete").status_code == 404


def test_staff_delete_anyones_comment_and_it_is_audited(app, users, idea):
    comment = a_comment(idea.id, users["other"], "Spam")
    with db.connection_context():
        flag_content(users["member"], idea.id, "spam", comment_id=comment.id)
        fan_out_due(mail_settings(app.config))  # the idea's author hears of the comment
        assert User.get_by_id(users["member"].id).unread_notifications == 1
    staff = logged_in(app, "staff@example.com")
    assert f'href="/comments/{comment.id}/delete"' in text(staff.get(f"/ideas/{idea.id}"))
    assert "the audit log records it" in text(staff.get(f"/comments/{comment.id}/delete"))
    assert staff.post_form(f"/comments/{comment.id}/delete").status_code == 302
    assert not exists(comment.id)
    with db.connection_context():
        assert Flag.select().count() == 0 and Notification.select().count() == 0
        assert User.get_by_id(users["member"].id).unread_notifications == 0
    assert audit_rows() == [
        (
            "delete_comment",
            idea.id,
            users["other"].id,
            {"comment_id": comment.id, "hidden": False},
        )
    ]
    assert run(rebuild_counters, False).wrong_ids == []


def test_members_cannot_delete_others_comments(app, users, idea):
    comment = a_comment(idea.id, users["other"])
    member = logged_in(app, "member@example.com")
    assert f"/comments/{comment.id}/delete" not in text(member.get(f"/ideas/{idea.id}"))
    assert member.get(f"/comments/{comment.id}/delete").status_code == 403
    assert member.post_form(f"/comments/{comment.id}/delete").status_code == 403
    with pytest.raises(CommentNotAllowed):
        run(delete_comment, comment.id, users["member"])
    assert exists(comment.id) and audit_rows() == []


def test_deleting_a_hidden_comment_leaves_the_counters_alone(app, users, idea):
    comment = a_comment(idea.id, users["other"])
    with db.connection_context():
        hide_comment(comment.id, users["staff"])
    before = idea_counts(idea.id)
    assert run(delete_comment, comment.id, users["other"]).id == comment.id
    assert idea_counts(idea.id) == before
    assert run(rebuild_counters, False).wrong_ids == []
    assert run(delete_comment, comment.id, users["other"]) is None


def test_the_edit_page_offers_deletion_too(app, users, idea):
    comment = a_comment(idea.id, users["other"])
    page = text(logged_in(app, "other@example.com").get(f"/comments/{comment.id}/edit"))
    assert 'class="narrow comment-edit"' in page
    assert f'href="/comments/{comment.id}/delete"' in page
