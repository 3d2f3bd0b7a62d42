"""Hidden ideas and comments, and first posts awaiting review, reach nobody else: not the
listings, roadmap, feeds, profiles, changelog, notifications or digests. Pre-moderation on and
off, approve and reject. Both databases."""

from datetime import timedelta

import pytest

from ideaboard.board.changelog import publish
from ideaboard.board.feeds import replace_feed_token
from ideaboard.board.ideas import create_idea
from ideaboard.board.mail import mail_settings
from ideaboard.board.moderation import hide_comment, hide_idea, restore_idea
from ideaboard.board.notifications import fan_out_due, send_digests
from ideaboard.board.pipeline import change_status
from ideaboard.board.version import bump_version
from ideaboard.board.votes import set_vote
from ideaboard.db import db
from ideaboard.models import ACCEPTED, DAILY, Idea, Notification, User, utcnow
from tests.moderation_support import a_comment, audit_rows, fresh, logged_in

SECRET = "Cold brew on tap"


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def accepted(users, category):
    """An accepted idea with a vote and a follower (other), and a release that ships it."""
    with db.connection_context():
        idea = create_idea(users["member"], SECRET, "Body", category.id)
        set_vote(idea.id, users["other"], True)
        change_status(idea, ACCEPTED, users["staff"], "Yes, this spring.")
        publish(users["staff"], "Spring release", "", [idea.id], mark_launched=False)
        return Idea.get_by_id(idea.id)


def public_pages(app, category_id: int, token: str) -> dict[str, str]:
    client = app.test_client()
    paths = [
        "/?show=all",
        "/?sort=new&show=all",
        f"/?category={category_id}&show=all",
        "/roadmap",
        "/changelog",
        "/feeds/accepted.rss",
        "/feeds/status/accepted.atom",
        f"/feeds/category/{category_id}.rss",
        "/feeds/changelog.atom",
        f"/feeds/private/{token}.rss",
    ]
    return {path: text(client.get(path)) for path in paths}


def test_a_hidden_idea_leaves_every_public_list_and_comes_back(app, users, category, accepted):
    with db.connection_context():
        token = replace_feed_token(users["other"].id)
    before = public_pages(app, category.id, token)
    assert all(SECRET in page for page in before.values()), [
        path for path, page in before.items() if SECRET not in page
    ]
    with db.connection_context():
        hide_idea(accepted.id, users["staff"])
        bump_version()  # as the staff member's POST does: cached pages go
    after = public_pages(app, category.id, token)
    assert [path for path, page in after.items() if SECRET in page] == []
    with db.connection_context():
        restore_idea(accepted.id, users["staff"])
        bump_version()
    again = public_pages(app, category.id, token)
    assert all(SECRET in page for page in again.values())


def test_profiles_show_hidden_ideas_and_comments_only_to_the_person_and_staff(
    app, users, idea, accepted
):
    comment = a_comment(idea.id, users["member"], "My hidden remark")
    on_hidden = a_comment(accepted.id, users["member"], "Said on the hidden idea")
    with db.connection_context():
        hide_idea(accepted.id, users["staff"])
        hide_comment(comment.id, users["staff"])
    profile = f"/people/{users['member'].id}"
    for viewer in (None, "other@example.com"):
        page = text(logged_in(app, viewer).get(profile))
        assert SECRET not in page and "My hidden remark" not in page
        assert "Said on the hidden idea" not in page
        assert 'Ideas <span class="count">1</span>' in page
        assert 'Comments <span class="count">0</span>' in page
    for viewer in ("member@example.com", "staff@example.com"):
        page = text(logged_in(app, viewer).get(profile))
        assert SECRET in page and "Hidden by the moderators" in page
        assert "My hidden remark" in page and on_hidden.body in page
        assert 'Ideas <span class="count">2</span>' in page


def fan_out(app):
    with db.connection_context():
        return fan_out_due(mail_settings(app.config))


def notified(user_id: int) -> list[str]:
    with db.connection_context():
        rows = Notification.select().where(Notification.user == user_id)
        return [n.event.kind for n in rows]


def test_news_of_hidden_things_reaches_nobody(app, users, idea):
    """The author follows the idea; each comment would reach them, unless hidden first."""
    staff = users["staff"]
    fan_out(app)
    hidden_comment = a_comment(idea.id, users["other"], "Spam link")
    with db.connection_context():
        hide_comment(hidden_comment.id, staff)
    done = fan_out(app)
    assert (done.events, done.notifications) == (1, 0)
    a_comment(idea.id, users["other"], "A fair point")
    with db.connection_context():
        hide_idea(idea.id, staff)
    assert fan_out(app).notifications == 0
    assert notified(users["member"].id) == []


def test_the_notification_list_and_digest_leave_out_what_was_hidden_since(app, users, accepted):
    other = users["other"]  # follows the accepted idea (voted)
    a_comment(accepted.id, users["admin"], "Bold claim")
    fan_out(app)
    assert "Bold claim" in text(logged_in(app, "other@example.com").get("/notifications"))
    with db.connection_context():
        daily = {"mail_status": DAILY, "mail_answers": DAILY, "mail_changelog": DAILY}
        User.update(email_verified_at=utcnow(), **daily).where(User.id == other.id).execute()
        hide_idea(accepted.id, users["staff"])
    page = text(logged_in(app, "other@example.com").get("/notifications"))
    assert SECRET not in page and "Bold claim" not in page
    assert "An idea you follow was hidden by the moderators." in page
    later = utcnow() + timedelta(days=2)
    with db.connection_context():
        assert send_digests(mail_settings(app.config), later) == 0
        restore_idea(accepted.id, users["staff"])
        assert send_digests(mail_settings(app.config), later) == 1
    # The idea's own author still sees its title in their notifications.
    assert SECRET in text(logged_in(app, "member@example.com").get("/notifications"))


def post_idea(client, title: str) -> str:
    response = client.post_form("/ideas/new", {"title": title, "body": "Why", "category": "0"})
    assert response.status_code == 302
    return response.location


def test_with_pre_moderation_a_first_post_waits_for_approval(app, users):
    app.config["PREMODERATE_FIRST_POSTS"] = True
    author = logged_in(app, "other@example.com")
    where = post_idea(author, "Waiting idea")
    page = text(author.get(where))
    assert "it is saved, awaiting review" in page  # the flash
    assert "Awaiting review" in page and "A moderator looks at it" in page
    second = post_idea(author, "Second waiting idea")
    with db.connection_context():
        first, other_one = Idea.select().order_by(Idea.id)
    assert first.pending_review and other_one.pending_review
    # Nobody else sees them anywhere; nobody hears of them.
    for viewer in (None, "member@example.com"):
        client = logged_in(app, viewer)
        assert client.get(where).status_code == 404
        assert "Waiting idea" not in text(client.get("/?show=all&sort=new"))
        assert "Waiting idea" not in text(client.get(f"/people/{users['other'].id}"))
    staff = logged_in(app, "staff@example.com")
    a_comment(first.id, users["staff"], "Thanks, looking at it")  # an official answer
    assert fan_out(app).notifications == 0
    queue = text(staff.get("/staff/moderation?view=pending"))
    assert queue.index("Waiting idea") < queue.index("Second waiting idea")
    assert "Approve and publish" in text(staff.get(where))

    done = staff.post_form(f"/ideas/{first.id}/approve", {"next": "/staff/moderation?view=pending"})
    assert "Approved" in text(staff.get(done.location))
    assert not fresh(Idea, first.id).pending_review
    assert logged_in(app, None).get(where).status_code == 200
    assert "Waiting idea" in text(logged_in(app, None).get("/?show=all&sort=new"))
    # Its waiting news goes out now: the author hears of the official answer.
    assert fan_out(app).notifications == 1
    assert notified(users["other"].id) == ["official_answer"]
    # Rejecting the other one hides it; an approved account posts straight away.
    staff.post_form(f"/ideas/{other_one.id}/hide", {"reason": "Duplicate"})
    rejected = fresh(Idea, other_one.id)
    assert rejected.hidden_at is not None and not rejected.pending_review
    assert logged_in(app, None).get(second).status_code == 404
    post_idea(author, "Third idea")
    with db.connection_context():
        assert not Idea.get(Idea.title == "Third idea").pending_review
    assert [(a, d.get("was_pending")) for a, _, _, d in audit_rows()] == [
        ("approve", None),
        ("hide", True),
    ]
    again = staff.post_form(f"/ideas/{first.id}/approve")
    assert "not awaiting review" in text(staff.get(again.location))


def test_without_pre_moderation_nothing_waits(app, users):
    assert app.config["PREMODERATE_FIRST_POSTS"] is False
    author = logged_in(app, "other@example.com")
    where = post_idea(author, "Straight on the board")
    assert "Awaiting review" not in text(author.get(where))
    assert logged_in(app, None).get(where).status_code == 200


def test_staff_never_wait(app, users):
    app.config["PREMODERATE_FIRST_POSTS"] = True
    where = post_idea(logged_in(app, "staff@example.com"), "From the team")
    assert logged_in(app, None).get(where).status_code == 200


def test_hidden_and_pending_ideas_take_no_votes(app, users, category):
    """Voting on an idea one cannot see is as voting on a missing idea: nothing changes."""
    with db.connection_context():
        hidden = create_idea(users["member"], "Hidden one", "", category.id)
        hide_idea(hidden.id, users["staff"], "spam")
        pending = create_idea(users["member"], "Pending one", "", category.id, pending_review=True)
        for idea_id in (hidden.id, pending.id):
            assert set_vote(idea_id, users["other"], True) is None
            assert Idea.get_by_id(idea_id).vote_count == 0
        restore_idea(hidden.id, users["staff"])
        assert set_vote(hidden.id, users["other"], True).votes == 1
