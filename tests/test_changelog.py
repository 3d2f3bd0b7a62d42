"""The changelog: staff publish what shipped; the people who asked for it are told."""

import feedparser
import pytest

from ideaboard.board.changelog import ChangelogError, parse_idea_numbers
from ideaboard.board.follows import set_following
from ideaboard.board.ideas import create_idea
from ideaboard.board.votes import set_vote
from ideaboard.db import db
from ideaboard.models import (
    EVENT_CHANGELOG,
    EVENT_STATUS,
    ChangelogPost,
    Event,
    Idea,
    Notification,
    OutgoingMail,
    StatusChange,
    User,
    utcnow,
)
from tests.mail_support import work


@pytest.fixture
def staff(app, users):
    client = app.test_client()
    client.login("staff@example.com")
    return client


@pytest.fixture
def two_ideas(users, idea):
    with db.connection_context():
        second = create_idea(users["other"], "Quiet hours", "Music down, please.")
    return idea, second


def publish(staff, numbers: str, **extra):
    form = {"title": "Spring release", "body": "Oat milk **everywhere**.", "ideas": numbers}
    form.update(extra)
    return staff.post_form("/changelog/new", form)


@pytest.mark.parametrize(
    ("text", "numbers"),
    [("12, 31", [12, 31]), ("#12 #31", [12, 31]), (" 12;31 12 ", [12, 31]), ("", [])],
)
def test_idea_numbers_are_read_as_people_write_them(text, numbers):
    assert parse_idea_numbers(text) == numbers


@pytest.mark.parametrize("text", ["12, abc", "1.5", "12-14", "#", "9" * 11])
def test_anything_else_is_a_clear_error(text):
    with pytest.raises(ChangelogError, match="not an idea number"):
        parse_idea_numbers(text)


def test_only_staff_write_release_notes(app, client, users):
    assert client.get("/changelog/new").status_code == 302  # log in first
    client.login("member@example.com")
    assert client.get("/changelog/new").status_code == 403
    assert client.post_form("/changelog/new", {"title": "x"}).status_code == 403


def test_publishing_ships_the_ideas_and_tells_followers_and_voters(
    app, runner, staff, users, two_ideas
):
    first, second = two_ideas
    with db.connection_context():
        User.update(email_verified_at=utcnow()).execute()
        admin = User.get_by_id(users["admin"].id)
        set_vote(first.id, admin, True)
        set_following(admin.id, first.id, False)  # unfollowed, but voted: still told

    page = staff.get("/changelog/new").get_data(as_text=True)
    assert '<input checked id="mark_launched" name="mark_launched"' in page
    response = publish(staff, f"{first.id}, #{second.id}", mark_launched="y")
    assert response.status_code == 302
    with db.connection_context():
        post = ChangelogPost.get()
        assert {i.status for i in Idea.select()} == {"launched"}
        [note] = StatusChange.select().where(StatusChange.idea == first.id)
        assert note.note == f"Shipped in [Spring release](/changelog/{post.id})."
        kinds = [e.kind for e in Event.select().order_by(Event.id)]
    # Followers hear once per idea: the release, not also the status change it made.
    assert kinds == [EVENT_CHANGELOG, EVENT_CHANGELOG]
    assert EVENT_STATUS not in kinds

    work(runner)
    with db.connection_context():
        told = {
            (n.user.email.split("@")[0], n.event.idea_id)
            for n in Notification.select(Notification, User, Event)
            .join(User)
            .switch(Notification)
            .join(Event)
        }
        assert told == {("member", first.id), ("admin", first.id), ("other", second.id)}
        mailed = sorted(m.to_address for m in OutgoingMail.select())
    assert mailed == ["admin@example.com", "member@example.com", "other@example.com"]

    listing = app.test_client().get("/changelog").get_data(as_text=True)
    assert "Spring release" in listing and "Oat milk <strong>everywhere</strong>." in listing
    assert "Free refills" in listing and "Quiet hours" in listing
    idea_page = app.test_client().get(f"/ideas/{first.id}").get_data(as_text=True)
    assert f'Shipped in <a href="/changelog/{post.id}">Spring release</a>' in idea_page


def test_without_the_box_the_ideas_keep_their_status(staff, two_ideas):
    first, _ = two_ideas
    assert publish(staff, str(first.id)).status_code == 302
    with db.connection_context():
        assert Idea.get_by_id(first.id).status == "under_review"
        assert StatusChange.select().count() == 0


def test_mistakes_are_shown_next_to_the_field_and_nothing_is_published(staff, two_ideas):
    first, _ = two_ideas
    unknown = publish(staff, f"{first.id}, 99999")
    assert unknown.status_code == 400
    assert b"There is no idea numbered 99999." in unknown.data
    typo = publish(staff, "twelve")
    assert typo.status_code == 400 and b"is not an idea number" in typo.data
    untitled = publish(staff, str(first.id), title="")
    assert untitled.status_code == 400 and b"This field is required." in untitled.data
    preview = publish(staff, str(first.id), preview="1")
    assert preview.status_code == 200 and b"Oat milk <strong>everywhere</strong>." in preview.data
    with db.connection_context():
        assert ChangelogPost.select().count() == 0
        assert Idea.get_by_id(first.id).status == "under_review"


def test_changelog_pages_and_feeds(app, staff, two_ideas):
    first, second = two_ideas
    visitor = app.test_client()
    assert b"Nothing shipped yet." in visitor.get("/changelog").data
    publish(staff, str(first.id), title="Older release")
    publish(staff, str(second.id), title="Newer release")
    listing = visitor.get("/changelog").get_data(as_text=True)
    assert listing.index("Newer release") < listing.index("Older release")
    assert 'type="application/atom+xml" title="IdeaBoard: changelog (Atom)"' in listing
    with db.connection_context():
        newer = ChangelogPost.get(ChangelogPost.title == "Newer release")
    assert visitor.get(f"/changelog/{newer.id}").status_code == 200
    assert visitor.get("/changelog/99999").status_code == 404
    for kind in ("rss", "atom"):
        response = visitor.get(f"/feeds/changelog.{kind}")
        assert response.mimetype == f"application/{kind}+xml"
        feed = feedparser.parse(response.data)
        assert feed.bozo == 0, feed.bozo_exception
        assert [e.title for e in feed.entries] == ["Newer release", "Older release"]
        assert "Quiet hours" in feed.entries[0].summary
