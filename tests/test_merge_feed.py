"""Word of a merge: the duplicate's feed says where it went, and its author and followers are
told in the app and by mail (the status-change choice governs that mail)."""

import pytest

from ideaboard.board import feeds
from ideaboard.board.follows import set_following
from ideaboard.board.mail import mail_settings
from ideaboard.board.merge import merge_ideas, unmerge
from ideaboard.board.notifications import send_digests
from ideaboard.board.version import bump_version
from ideaboard.db import db
from ideaboard.models import Notification, OutgoingMail, User, utcnow
from tests.feed_checks import valid_feed
from tests.mail_support import work
from tests.test_feed_queries import plans

# Fixtures: the redundant aliases tell ruff the imports are used (as test arguments).
from tests.test_merge import board as board
from tests.test_merge import people as people

HOST = "http://localhost"


@pytest.fixture
def verified(board):
    with db.connection_context():
        User.update(email_verified_at=utcnow()).execute()
    return board


def merge(board):
    with db.connection_context():
        done = merge_ideas(board["duplicate"], board["original"], board["staff"])
        bump_version()  # as the merge's POST does: cached pages and feeds go
    return done


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_the_duplicate_feed_says_where_it_went(client, board, kind):
    path = f"/feeds/ideas/{board['duplicate']}.{kind}"
    assert valid_feed(client.get(path), HOST + path) == []
    done = merge(board)
    [item] = valid_feed(client.get(path), HOST + path)
    assert item["title"] == f"Merged into #{board['original']} Oat milk"
    # A stable id of its own; the link leads to the original.
    assert item["id"] == f"{HOST}/ideas/{board['duplicate']}#merged-{done.id}"
    assert item["link"] == f"{HOST}/ideas/{board['original']}"
    assert item["author"] == "Sasha Staff"
    assert "Sasha Staff merged this idea into" in item["summary"]
    # The original's own feed is unchanged, and an unmerge takes the item back.
    original_path = f"/feeds/ideas/{board['original']}.{kind}"
    assert valid_feed(client.get(original_path), HOST + original_path) == []
    with db.connection_context():
        unmerge(done.id, board["staff"])
        bump_version()
    assert valid_feed(client.get(path), HOST + path) == []


def notified(user_id: int) -> list[Notification]:
    with db.connection_context():
        return list(Notification.select().where(Notification.user == user_id))


def test_the_author_and_followers_are_told_not_the_staff_member(app, runner, verified):
    with db.connection_context():
        # The author stopped following their own idea: a merge of it still reaches them.
        set_following(verified["member"].id, verified["duplicate"], False)
        User.update(mail_status="never").where(User.id == verified["b"].id).execute()
    app.config["SMTP_URL"] = ""
    merge(verified)
    work(runner)
    for name in ("member", "a", "b", "c"):
        assert len(notified(verified[name].id)) == 1, name
    for name in ("staff", "other", "d"):
        assert notified(verified[name].id) == [], name
    with db.connection_context():
        mails = {
            m.to_address: m
            for m in OutgoingMail.select().where(OutgoingMail.kind == "notify_merged")
        }
    # b chose no mail about status changes, which governs merges too.
    assert set(mails) == {"member@example.com", "a@example.com", "c@example.com"}
    mail = mails["a@example.com"]
    assert mail.subject == '"Plant milk please" is merged into "Oat milk"'
    assert f"http://127.0.0.1:8000/ideas/{verified['original']}" in mail.text_body
    assert f"/ideas/{verified['duplicate']}?merged=1" in mail.html_body
    assert "/unsubscribe/" in mail.unsubscribe_url

    member = app.test_client()
    member.login("member@example.com")
    listing = member.get("/notifications").get_data(as_text=True)
    assert "<strong>Sasha Staff</strong> merged" in listing
    assert f'href="/ideas/{verified["duplicate"]}/plant-milk-please?merged=1"' in listing
    assert f'href="/ideas/{verified["original"]}/oat-milk">Oat milk</a>' in listing


def test_a_real_mail_reaches_the_inbox(app, runner, verified, inbox):
    merge(verified)
    work(runner)
    [message] = [m for m in inbox.messages if m["To"] == "member@example.com"]
    assert message["Subject"] == '"Plant milk please" is merged into "Oat milk"'
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Sasha Staff merged" in text and "anyone who voted for both counts once" in text
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "<strong>Oat milk</strong>" in html


def test_those_who_chose_a_daily_digest_read_it_there(app, runner, verified):
    with db.connection_context():
        User.update(mail_status="daily").where(User.id == verified["a"].id).execute()
    app.config["SMTP_URL"] = ""
    done = merge(verified)
    with db.connection_context():
        unmerge(done.id, verified["staff"])
    work(runner)
    with db.connection_context():
        send_digests(mail_settings(app.config), now=utcnow())
        [digest] = OutgoingMail.select().where(
            (OutgoingMail.kind == "digest") & (OutgoingMail.to_address == "a@example.com")
        )
    assert 'Plant milk please: Sasha Staff merged it into "Oat milk"' in digest.text_body
    assert "merged it into <a" in digest.html_body
    # The bell's list says when a merge was undone since.
    member = app.test_client()
    member.login("member@example.com")
    assert "Oat milk</a> (since undone)" in member.get("/notifications").get_data(as_text=True)


def test_the_merge_item_is_read_through_the_merge_index(app, sql_log, board):
    merge(board)
    with db.connection_context():
        found = plans(sql_log, lambda: feeds.idea_feed(board["duplicate"], 50, merged=True))
        # An idea that is not merged costs no third query.
        assert len(plans(sql_log, lambda: feeds.idea_feed(board["original"], 50))) == 2
    assert len(found) == 3
    assert any("merge_duplicate_id" in plan for plan in found), found
