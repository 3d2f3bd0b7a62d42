"""Moderation pages on both databases: flag forms, the staff queue, and what each person sees
of a hidden idea or comment (placeholder, author's banner, staff's Restore)."""

import re

import pytest

from ideaboard.board.moderation import flag_content, hide_comment, hide_idea
from ideaboard.db import db
from ideaboard.models import Comment, Flag, Idea
from tests.moderation_support import a_comment, audit_rows, fresh, logged_in, open_flags

HIDDEN_PLACEHOLDER = "This idea was hidden by the moderators"
COMMENT_PLACEHOLDER = "This comment was hidden by the moderators."


def text(response) -> str:
    return response.get_data(as_text=True)


def test_a_member_flags_an_idea_through_the_form(app, users, idea):
    other = logged_in(app, "other@example.com")
    page = other.get(f"/ideas/{idea.id}")
    assert f'href="/ideas/{idea.id}/flag"' in text(page)
    form = other.get(f"/ideas/{idea.id}/flag")
    assert form.status_code == 200
    assert "Why should the moderators look at this?" in text(form)
    assert idea.title in text(form)
    sent = other.post_form(f"/ideas/{idea.id}/flag", {"reason": "spam", "details": "Ads"})
    assert sent.status_code == 302 and sent.location.startswith(f"/ideas/{idea.id}/")
    assert "the moderators will look at it" in text(other.get(sent.location))
    assert open_flags() == [(idea.id, None, "spam: Ads")]
    # Twice: said plainly, nothing new stored; the form page says so before anyone types.
    again = other.post_form(f"/ideas/{idea.id}/flag", {"reason": "offensive"})
    assert "already flagged" in text(other.get(again.location))
    assert "already flagged" in text(other.get(f"/ideas/{idea.id}/flag"))
    refused = other.post_form(
        f"/ideas/{idea.id}/flag", {"reason": "spam"}, headers={"Accept": "application/json"}
    )
    assert refused.status_code == 409 and "already flagged" in refused.json["message"]
    assert len(open_flags()) == 1


def test_the_flag_form_refuses_bad_input_next_to_the_field(app, users, idea):
    other = logged_in(app, "other@example.com")
    missing = other.post_form(f"/ideas/{idea.id}/flag", {"details": "x"})
    assert missing.status_code == 400
    assert 'id="reason-error"' in text(missing) and "Choose why" in text(missing)
    long = other.post_form(f"/ideas/{idea.id}/flag", {"reason": "other", "details": "x" * 501})
    assert long.status_code == 400 and 'id="details-error"' in text(long)
    as_json = other.post_form(
        f"/ideas/{idea.id}/flag", {"reason": "bogus"}, headers={"Accept": "application/json"}
    )
    assert as_json.status_code == 400 and "reason" in as_json.json["fields"]
    assert open_flags() == []


def test_flagging_needs_an_account_and_someone_elses_words(app, client, users, idea):
    visitor = client.get(f"/ideas/{idea.id}/flag")
    assert visitor.status_code == 302 and "/login" in visitor.location
    assert client.post(f"/ideas/{idea.id}/flag").status_code in (302, 400)
    author = logged_in(app, "member@example.com")
    assert f"/ideas/{idea.id}/flag" not in text(author.get(f"/ideas/{idea.id}"))
    own = author.get(f"/ideas/{idea.id}/flag")
    assert "your own idea" in text(own) and 'name="reason"' not in text(own)
    assert author.get("/ideas/2147483647/flag").status_code == 404
    assert author.get("/comments/2147483647/flag").status_code == 404
    assert open_flags() == []


def test_a_member_flags_a_comment(app, users, idea):
    comment = a_comment(idea.id, users["member"], "Rude")
    other = logged_in(app, "other@example.com")
    page = text(other.get(f"/ideas/{idea.id}"))
    assert f'href="/comments/{comment.id}/flag"' in page
    sent = other.post_form(f"/comments/{comment.id}/flag", {"reason": "offensive"})
    assert sent.status_code == 302 and sent.location.endswith(f"#comment-{comment.id}")
    assert open_flags() == [(idea.id, comment.id, "offensive")]


def test_the_queue_is_for_staff_and_lists_items_oldest_first(app, client, users, idea):
    comment = a_comment(idea.id, users["member"], "Rude words here")
    with db.connection_context():
        flag_content(users["other"], idea.id, "spam", details="Link to a casino")
        flag_content(users["other"], idea.id, "offensive", comment_id=comment.id)
    assert client.get("/staff/moderation").status_code == 302
    assert logged_in(app, "member@example.com").get("/staff/moderation").status_code == 403
    staff = logged_in(app, "staff@example.com")
    page = text(staff.get("/staff/moderation"))
    assert page.index(idea.title) < page.index("Rude words here")
    assert "Link to a casino" in page and "Otto Other" in page
    assert "Spam or advertising" in page and "Rude, abusive or offensive" in page
    assert f'href="/people/{users["member"].id}"' in page  # where staff suspend an account
    assert re.search(r"Flagged <span class=\"count\">\(2\)</span>", page)
    # The header counts what waits, on every staff page.
    assert re.search(r'Moderation <span class="nav-count">2<', text(staff.get("/")))
    assert "nav-count" not in text(logged_in(app, "other@example.com").get("/"))


def test_staff_hide_from_the_queue_and_come_back_to_it(app, users, idea):
    with db.connection_context():
        flag_content(users["other"], idea.id, "spam")
    staff = logged_in(app, "staff@example.com")
    done = staff.post_form(
        f"/ideas/{idea.id}/hide",
        {"reason": "Advertising", "next": "/staff/moderation?view=flagged"},
    )
    assert done.status_code == 302 and done.location == "/staff/moderation?view=flagged"
    page = text(staff.get(done.location))
    assert "Hidden. Others see a placeholder" in page and "Nothing flagged" in page
    hidden = text(staff.get("/staff/moderation?view=hidden"))
    assert idea.title in hidden and f'action="/ideas/{idea.id}/restore"' in hidden
    # An outside address in `next` is ignored: back to the idea instead.
    restored = staff.post_form(f"/ideas/{idea.id}/restore", {"next": "https://evil.example/"})
    assert restored.status_code == 302 and restored.location.startswith(f"/ideas/{idea.id}/")
    assert fresh(Idea, idea.id).hidden_at is None
    assert [row[0] for row in audit_rows()] == ["hide", "restore"]


def test_staff_dismiss_flags_from_the_queue(app, users, idea):
    comment = a_comment(idea.id, users["member"])
    with db.connection_context():
        flag_content(users["other"], idea.id, "off_topic", comment_id=comment.id)
    staff = logged_in(app, "staff@example.com")
    done = staff.post_form(f"/comments/{comment.id}/flags/dismiss", {"next": "/staff/moderation"})
    assert "Dismissed 1 flag" in text(staff.get(done.location))
    assert open_flags() == [] and fresh(Comment, comment.id).hidden_at is None
    again = staff.post_form(f"/ideas/{idea.id}/flags/dismiss")
    assert "no open flags" in text(staff.get(again.location))
    assert [row[0] for row in audit_rows()] == ["dismiss_flag"]


@pytest.mark.parametrize("viewer", [None, "other@example.com"])
def test_others_see_a_placeholder_of_a_hidden_idea(app, users, idea, viewer):
    with db.connection_context():
        hide_idea(idea.id, users["staff"], reason="Spam")
    client = logged_in(app, viewer)
    response = client.get(f"/ideas/{idea.id}")
    assert response.status_code == 404
    page = text(response)
    assert HIDDEN_PLACEHOLDER in page
    assert idea.title not in page and "On every cup." not in page and "Spam" not in page
    assert '<meta name="robots" content="noindex">' in page
    as_json = client.get(f"/ideas/{idea.id}", headers={"Accept": "application/json"})
    assert as_json.status_code == 404 and as_json.json["message"] == HIDDEN_PLACEHOLDER + "."
    # Nothing else about it either: its feed, a comment, the vote confirmation.
    assert client.get(f"/feeds/ideas/{idea.id}.rss").status_code == 404
    if viewer:
        assert client.post_form(f"/ideas/{idea.id}/comments", {"body": "Hi"}).status_code == 404
        assert client.get(f"/ideas/{idea.id}/vote").status_code == 404
        assert client.post_form(f"/ideas/{idea.id}/follow", {"follow": "1"}).status_code == 404


def test_the_author_sees_a_hidden_idea_with_the_reason(app, users, idea):
    with db.connection_context():
        hide_idea(idea.id, users["staff"], reason="Advertising <b>twice</b>")
    page = text(logged_in(app, "member@example.com").get(f"/ideas/{idea.id}"))
    assert idea.title in page and "Hidden by the moderators" in page
    assert "Only you and the team can see it" in page
    assert "Advertising &lt;b&gt;twice&lt;/b&gt;" in page
    assert "Restore this idea" not in page


def test_staff_see_a_hidden_idea_with_restore(app, users, idea):
    with db.connection_context():
        hide_idea(idea.id, users["staff"])
    staff = logged_in(app, "staff@example.com")
    page = text(staff.get(f"/ideas/{idea.id}"))
    assert idea.title in page and "Restore this idea" in page
    assert "The moderators gave none." in page
    done = staff.post_form(f"/ideas/{idea.id}/restore")
    assert "back on the board" in text(staff.get(done.location))
    assert logged_in(app, None).get(f"/ideas/{idea.id}").status_code == 200


def test_a_hidden_comment_is_a_placeholder_for_others(app, users, idea):
    comment = a_comment(idea.id, users["other"], "Visit my **shop**")
    with db.connection_context():
        hide_comment(comment.id, users["staff"])
    for viewer in (None, "member@example.com", "admin@example.com"):
        page = text(logged_in(app, viewer).get(f"/ideas/{idea.id}"))
        if viewer == "admin@example.com":  # staff
            assert "Visit my" in page and f'action="/comments/{comment.id}/restore"' in page
        else:
            assert COMMENT_PLACEHOLDER in page and "Visit my" not in page
    author = text(logged_in(app, "other@example.com").get(f"/ideas/{idea.id}"))
    assert "Visit my <strong>shop</strong>" in author
    assert "Hidden by the moderators" in author and "Only you and the team see" in author
    staff = logged_in(app, "staff@example.com")
    done = staff.post_form(f"/comments/{comment.id}/restore")
    assert done.location.endswith(f"#comment-{comment.id}")
    assert "Visit my" in text(logged_in(app, None).get(f"/ideas/{idea.id}"))


def test_hiding_from_the_idea_page_asks_for_a_reason(app, users, idea):
    comment = a_comment(idea.id, users["other"])
    staff = logged_in(app, "staff@example.com")
    page = text(staff.get(f"/ideas/{idea.id}"))
    assert f'href="/ideas/{idea.id}/hide"' in page and f'href="/comments/{comment.id}/hide"' in page
    form = staff.get(f"/comments/{comment.id}/hide")
    assert form.status_code == 200 and "Reason shown to the author" in text(form)
    too_long = staff.post_form(f"/comments/{comment.id}/hide", {"reason": "x" * 301})
    assert too_long.status_code == 400 and 'id="reason-error"' in text(too_long)
    assert fresh(Comment, comment.id).hidden_at is None
    done = staff.post_form(f"/comments/{comment.id}/hide", {"reason": "Off-topic"})
    assert done.status_code == 302 and fresh(Comment, comment.id).hidden_at is not None
    twice = staff.post_form(
        f"/comments/{comment.id}/hide", {}, headers={"Accept": "application/json"}
    )
    assert twice.status_code == 409
    assert "already hidden" in text(staff.get(f"/comments/{comment.id}/hide"))


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/ideas/{idea}/hide"),
        ("POST", "/ideas/{idea}/hide"),
        ("POST", "/ideas/{idea}/restore"),
        ("POST", "/ideas/{idea}/approve"),
        ("POST", "/ideas/{idea}/flags/dismiss"),
        ("GET", "/comments/{comment}/hide"),
        ("POST", "/comments/{comment}/hide"),
        ("POST", "/comments/{comment}/restore"),
        ("POST", "/comments/{comment}/flags/dismiss"),
    ],
)
def test_members_cannot_moderate(app, users, idea, method, path):
    comment = a_comment(idea.id, users["other"])
    with db.connection_context():
        flag_content(users["other"], idea.id, "spam")
    url = path.format(idea=idea.id, comment=comment.id)
    member = logged_in(app, "member@example.com")
    response = member.get(url) if method == "GET" else member.post_form(url, {"reason": "x"})
    assert response.status_code == 403
    assert fresh(Idea, idea.id).hidden_at is None and fresh(Comment, comment.id).hidden_at is None
    with db.connection_context():
        assert Flag.get().resolved_at is None
    assert audit_rows() == []
