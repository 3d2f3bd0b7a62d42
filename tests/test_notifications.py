"""Following ideas and hearing about them: in the app under the bell, and by mail."""

import re
from datetime import timedelta

import pytest

from ideaboard.board.follows import set_following
from ideaboard.board.mail import mail_settings
from ideaboard.board.notifications import send_digests
from ideaboard.board.suspension import suspend, unsuspend
from ideaboard.board.votes import set_vote
from ideaboard.db import db
from ideaboard.models import Event, Follow, Notification, OutgoingMail, User, utcnow
from tests.mail_support import start_smtp, work


def follows(idea_id: int) -> dict[str, bool]:
    with db.connection_context():
        rows = Follow.select(Follow, User).join(User).where(Follow.idea == idea_id)
        return {row.user.email.split("@")[0]: row.active for row in rows}


def unread(user_id: int) -> tuple[int, int]:
    """The stored count the bell shows, and the rows it counts: always equal."""
    with db.connection_context():
        stored = User.get_by_id(user_id).unread_notifications
        rows = Notification.select().where(
            (Notification.user == user_id) & Notification.read_at.is_null()
        )
        return stored, rows.count()


def mails(kind: str | None = None) -> list[OutgoingMail]:
    with db.connection_context():
        query = OutgoingMail.select().order_by(OutgoingMail.id)
        if kind:
            query = query.where(OutgoingMail.kind == kind)
        return list(query)


@pytest.fixture
def verified(users):
    with db.connection_context():
        User.update(email_verified_at=utcnow()).execute()
    return users


def staff_moves(app, idea, note="We are on it."):
    staff = app.test_client()
    staff.login("staff@example.com")
    response = staff.post_form(f"/ideas/{idea.id}/status", {"status": "accepted", "note": note})
    assert response.status_code == 302
    return staff


def test_authors_voters_and_commenters_follow_without_asking(app, client, users, idea):
    assert follows(idea.id) == {"member": True}  # the author
    other = app.test_client()
    other.login("other@example.com")
    other.post_form(f"/ideas/{idea.id}/vote", {"vote": "1"})
    staff = app.test_client()
    staff.login("staff@example.com")
    staff.post_form(f"/ideas/{idea.id}/comments", {"body": "Thanks!"})
    assert follows(idea.id) == {"member": True, "other": True, "staff": True}


def test_follow_and_unfollow_without_javascript_and_unfollow_sticks(app, client, users, idea):
    client.login("other@example.com")
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert ">Follow<" in page
    assert client.post_form(f"/ideas/{idea.id}/follow", {"follow": "1"}).status_code == 302
    assert "Following ✓" in client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    client.post_form(f"/ideas/{idea.id}/follow", {"follow": "0"})
    assert follows(idea.id)["other"] is False
    # Voting afterwards does not follow the idea again behind the person's back.
    client.post_form(f"/ideas/{idea.id}/vote", {"vote": "1"})
    assert follows(idea.id)["other"] is False
    assert client.post_form("/ideas/999999/follow", {"follow": "1"}).status_code == 404


def test_each_kind_of_following_without_asking_can_be_turned_off(app, client, users, idea):
    client.login("other@example.com")
    response = client.post_form(
        "/account/mail",
        {
            "mail_status": "instant",
            "mail_answers": "instant",
            "mail_comments": "never",
            "mail_changelog": "daily",
            "follow_own": "y",
            # follow_voted and follow_commented unticked
        },
    )
    assert response.status_code == 302
    client.post_form(f"/ideas/{idea.id}/vote", {"vote": "1"})
    client.post_form(f"/ideas/{idea.id}/comments", {"body": "Me too"})
    assert "other" not in follows(idea.id)
    with db.connection_context():
        other = User.get_by_id(users["other"].id)
        assert (other.mail_comments, other.mail_changelog, other.follow_own) == (
            "never",
            "daily",
            True,
        )
    bad = client.post_form("/account/mail", {"mail_status": "hourly"})
    assert bad.status_code == 400 and b"Not a valid choice" in bad.data


def test_status_change_reaches_followers_through_the_worker(app, runner, verified, idea):
    with db.connection_context():
        set_vote(idea.id, verified["other"], True)
    staff_moves(app, idea, note="Coming in **May**.")
    # The request wrote an event, not the notifications: the fan-out is the worker's.
    with db.connection_context():
        assert Event.select().count() == 1
        assert Notification.select().count() == 0

    out = work(runner)
    assert "1 fanned out to 2 notifications" in out
    for role in ("member", "other"):
        assert unread(verified[role].id) == (1, 1)
    assert unread(verified["staff"].id) == (0, 0)  # not about one's own act

    member = app.test_client()
    member.login("member@example.com")
    home = member.get("/").get_data(as_text=True)
    assert 'aria-label="Notifications: 1 unread"' in home
    listing = member.get("/notifications").get_data(as_text=True)
    assert "Sasha Staff" in listing and "Free refills" in listing and "Coming in May." in listing

    [status_mail_to_member, status_mail_to_other] = mails("notify_status_change")
    assert {status_mail_to_member.to_address, status_mail_to_other.to_address} == {
        "member@example.com",
        "other@example.com",
    }
    assert "Mia Member" in status_mail_to_member.text_body + status_mail_to_other.text_body
    assert "Coming in **May**." in status_mail_to_member.text_body
    assert "Accepted" in status_mail_to_member.subject


def test_mark_one_and_all_read_keep_the_count_right(app, runner, verified, idea):
    staff = staff_moves(app, idea)
    staff.post_form(f"/ideas/{idea.id}/comments", {"body": "More soon."})
    work(runner)
    member_id = verified["member"].id
    assert unread(member_id) == (2, 2)
    with db.connection_context():
        first, second = Notification.select().where(Notification.user == member_id)

    other = app.test_client()
    other.login("other@example.com")
    other.post_form(f"/notifications/{first.id}/read")  # not theirs: nothing happens
    assert unread(member_id) == (2, 2)

    member = app.test_client()
    member.login("member@example.com")
    member.post_form(f"/notifications/{first.id}/read")
    assert unread(member_id) == (1, 1)
    member.post_form(f"/notifications/{first.id}/read")  # twice counts once
    assert unread(member_id) == (1, 1)
    member.post_form("/notifications/read")
    assert unread(member_id) == (0, 0)
    assert 'aria-label="Notifications"' in member.get("/").get_data(as_text=True)


def test_no_news_mail_to_an_unconfirmed_address(app, runner, users, idea):
    staff_moves(app, idea)
    work(runner)
    assert unread(users["member"].id) == (1, 1)  # in the app, yes
    assert mails("notify_status_change") == []  # by mail, no


def test_official_answers_come_at_once_and_comments_in_a_daily_digest(app, runner, verified, idea):
    staff = app.test_client()
    staff.login("staff@example.com")
    staff.post_form(f"/ideas/{idea.id}/comments", {"body": "We hear you."})
    other = app.test_client()
    other.login("other@example.com")
    other.post_form(f"/ideas/{idea.id}/comments", {"body": "Please do it."})
    work(runner)
    assert [m.to_address for m in mails("notify_official_answer")] == ["member@example.com"]
    assert mails("notify_comment") == []
    # Comment news is daily by default: the author and the staff member who answered (now a
    # follower) each get one digest; the commenter hears nothing of their own comment.
    digests = {m.to_address: m for m in mails("digest")}
    assert set(digests) == {"member@example.com", "staff@example.com"}
    digest = digests["member@example.com"]
    assert "Otto Other commented" in digest.text_body
    assert digest.unsubscribe_url and "/unsubscribe/" in digest.unsubscribe_url

    # Within the day nothing more; a day later, only what is new.
    other.post_form(f"/ideas/{idea.id}/comments", {"body": "Still waiting."})
    work(runner)
    assert len(mails("digest")) == 2
    settings = mail_settings(app.config)
    with db.connection_context():
        assert send_digests(settings, now=utcnow() + timedelta(days=1, minutes=1)) == 2
    assert len(mails("digest")) == 4
    [_, second] = [m for m in mails("digest") if m.to_address == "member@example.com"]
    assert second.text_body.count("Otto Other commented") == 1  # only what is new


def test_a_suspended_follower_gets_no_mail_but_keeps_the_news(app, runner, verified, idea):
    with db.connection_context():
        set_vote(idea.id, verified["other"], True)
        suspend(verified["other"].id, verified["staff"], remove_votes=False)
    author = app.test_client()
    author.login("member@example.com")
    author.post_form(f"/ideas/{idea.id}/comments", {"body": "Thanks for the votes."})
    staff_moves(app, idea)
    work(runner)
    later = utcnow() + timedelta(days=1, minutes=1)
    settings = mail_settings(app.config)
    with db.connection_context():
        send_digests(settings, now=later)

    def mailed_to_other() -> list[str]:
        return [m.kind for m in mails() if m.to_address == "other@example.com"]

    # The status change (instant) and the comment (daily) wait in the app, unmailed.
    assert mailed_to_other() == []
    assert unread(verified["other"].id)[0] == 2
    assert "member@example.com" in {m.to_address for m in mails("notify_status_change")}
    with db.connection_context():
        unsuspend(verified["other"].id, verified["staff"])
        send_digests(settings, now=later)
    assert mailed_to_other() == ["digest"]


def test_one_click_unsubscribe_needs_no_cookie_and_no_token(app, runner, verified, idea):
    app.config["SMTP_URL"] = ""
    staff_moves(app, idea)
    work(runner)
    [mail] = [m for m in mails("notify_status_change") if m.to_address == "member@example.com"]
    assert mail.unsubscribe_url.startswith("http://127.0.0.1:8000/unsubscribe/")
    path = mail.unsubscribe_url.removeprefix("http://127.0.0.1:8000")
    assert path in mail.text_body and path in mail.html_body

    stranger = app.test_client()  # no cookie, no CSRF token: as a mail provider posts
    asked = stranger.get(path)
    assert asked.status_code == 200 and b"Stop this mail" in asked.data
    with db.connection_context():
        assert User.get_by_id(verified["member"].id).mail_status == "instant"  # GET alone: no
    done = stranger.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and b"no more mail about status changes" in done.data
    with db.connection_context():
        assert User.get_by_id(verified["member"].id).mail_status == "never"

    staff = app.test_client()
    staff.login("staff@example.com")
    staff.post_form(f"/ideas/{idea.id}/status", {"status": "in_progress", "note": "Building."})
    work(runner)
    to_member = [m for m in mails("notify_status_change") if m.to_address == "member@example.com"]
    assert len(to_member) == 1  # nothing new for the member

    forged = stranger.post(re.sub(r"/unsubscribe/.", "/unsubscribe/x", path))
    assert forged.status_code == 400


def test_mail_carries_the_unsubscribe_headers(app, runner, verified, idea, smtp_port):
    controller, inbox = start_smtp(smtp_port)
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{smtp_port}"
    try:
        staff_moves(app, idea)
        work(runner)
    finally:
        controller.stop()
    [message] = [m for m in inbox.messages if m["To"] == "member@example.com"]
    # A long header may be folded onto its next line: the value is what follows the space.
    assert message["List-Unsubscribe"].strip().startswith("<http://127.0.0.1:8000/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Id"]
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Mia Member" in html and "/account/mail" in html


def test_names_in_mail_rendered_for_many_stay_escaped(app, runner, verified, idea):
    with db.connection_context():
        User.update(name="<b>Mia</b> & co").where(User.id == verified["member"].id).execute()
    app.config["SMTP_URL"] = ""
    staff_moves(app, idea)
    work(runner)
    [mail] = [m for m in mails("notify_status_change") if m.to_address == "member@example.com"]
    assert "&lt;b&gt;Mia&lt;/b&gt; &amp; co" in mail.html_body
    assert "<b>Mia</b> & co" in mail.text_body


def test_notifications_page_is_for_signed_in_people_and_has_an_empty_state(client, users):
    assert client.get("/notifications").status_code == 302
    client.login("member@example.com")
    page = client.get("/notifications").get_data(as_text=True)
    assert "Nothing yet." in page


def test_deleting_an_account_with_its_ideas_keeps_others_counts_right(app, runner, users, idea):
    from ideaboard.board.deletion import delete_account

    with db.connection_context():
        set_following(users["other"].id, idea.id, True)
    staff_moves(app, idea)
    work(runner)
    assert unread(users["other"].id) == (1, 1)
    with db.connection_context():
        assert delete_account(users["member"].id, "delete")
    assert unread(users["other"].id) == (0, 0)  # the notification went with the idea


def test_the_notifications_page_costs_the_same_for_one_or_many(app, runner, users, idea, sql_log):
    member = app.test_client()
    member.login("member@example.com")
    staff = app.test_client()
    staff.login("staff@example.com")

    def statements_for_the_page() -> int:
        work(runner)
        before = len(sql_log)
        assert member.get("/notifications").status_code == 200
        return len(sql_log) - before

    staff.post_form(f"/ideas/{idea.id}/comments", {"body": "First answer."})
    one = statements_for_the_page()
    for number in range(5):
        staff.post_form(f"/ideas/{idea.id}/comments", {"body": f"Answer {number}."})
    assert statements_for_the_page() == one  # not a query (or four) per notification
