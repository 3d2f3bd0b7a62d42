"""People, not accounts: profiles, avatars, author links, bios, the data export, deleting one's
account (keeping or taking one's words along) with every counter still right."""

import json
import re
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from flask import render_template

from ideaboard.board.accounts import authenticate
from ideaboard.board.comments import add_comment
from ideaboard.board.counters import rebuild_counters
from ideaboard.board.deletion import (
    STAFF_MUST_KEEP,
    UNUSABLE_PASSWORD,
    DeletionRefused,
    delete_account,
)
from ideaboard.board.ideas import create_idea
from ideaboard.board.passwords import check_password
from ideaboard.board.people import set_bio
from ideaboard.board.pipeline import change_status
from ideaboard.board.votes import set_vote
from ideaboard.db import db
from ideaboard.models import (
    ACCEPTED,
    EVENT_COMMENT,
    Comment,
    Event,
    Follow,
    Idea,
    Notification,
    OutgoingMail,
    StatusChange,
    User,
    UserSession,
    Vote,
    utcnow,
)
from ideaboard.web.people import NO_SUCH_PERSON, avatar_colour, initials
from tests.conftest import PASSWORD
from tests.xss_checks import assert_inert

SVG = "{http://www.w3.org/2000/svg}"
XSS = "<script>alert(1)</script> [safe](https://example.com) **bold**"


def page_of(response) -> str:
    return response.get_data(as_text=True)


def profile_link(user) -> str:
    return f'href="/people/{user.id}"'


def fetch(model, **where):
    with db.connection_context():
        query = model.select()
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return list(query)


def get_user(user_id: int) -> User | None:
    with db.connection_context():
        return User.get_or_none(User.id == user_id)


def no_drift() -> list[int]:
    with db.connection_context():
        return rebuild_counters(fix=False).wrong_ids


@pytest.fixture
def board(users, category):
    """The member's idea (voted and commented on by others), and another member's idea that
    the member voted for and commented on twice; the staff member answered on it."""
    member, other, staff = users["member"], users["other"], users["staff"]
    with db.connection_context():
        own = create_idea(member, "Free refills", "On every cup.", category.id)
        theirs = create_idea(other, "Oat milk", "Same price.", category.id)
        set_vote(own.id, other, True)
        set_vote(own.id, staff, True)
        set_vote(theirs.id, member, True)
        add_comment(own.id, other, "Great idea from Mia.")
        mine = [add_comment(theirs.id, member, f"Mia says yes ({n}).") for n in (1, 2)]
        change_status(theirs, ACCEPTED, staff, "Coming in **spring**.")
        answer = add_comment(theirs.id, staff, "We start next month.")
        Follow.insert(user=member, idea=theirs.id, active=False, reason="asked").on_conflict(
            conflict_target=[Follow.idea, Follow.user],
            update={Follow.active: False, Follow.reason: "asked"},
        ).execute()
        event = Event.create(kind=EVENT_COMMENT, idea=theirs.id, actor=staff.id)
        Notification.create(user=member, event=event)
        other_event = Event.create(kind=EVENT_COMMENT, idea=own.id, actor=other.id)
        Notification.create(user=other, event=other_event)
    return {"own": own, "theirs": theirs, "comments": mine, "answer": answer}


@pytest.fixture
def member(client, users):
    """The test client, logged in as the member."""
    client.login("member@example.com")
    return client


# --- Profiles -------------------------------------------------------------------------------


def test_profile_shows_the_person_their_bio_ideas_and_comments(client, users, board):
    mia = users["member"]
    with db.connection_context():
        set_bio(mia.id, "I drink **oat** flat whites.")
    response = client.get(f"/people/{mia.id}")
    page = page_of(response)
    assert response.status_code == 200
    assert "<h1>Mia Member</h1>" in page
    # Joined: relative, with the exact time in a tooltip.
    assert re.search(r'Joined\s*<time datetime="[^"]+Z" title="[^"]+ UTC">just now</time>', page)
    assert "<strong>oat</strong>" in page
    assert f'src="/people/{mia.id}/avatar.svg" width="72" height="72" alt=""' in page
    assert f'href="/ideas/{board["own"].id}/free-refills"' in page
    assert 'class="badge status-under-review"' in page
    for comment in board["comments"]:
        assert f'href="/ideas/{board["theirs"].id}/oat-milk#comment-{comment.id}"' in page
    assert "Mia says yes (2)" in page
    # Newest first.
    assert page.index("Mia says yes (2)") < page.index("Mia says yes (1)")
    # A member has no official answers to show.
    assert "Answers" not in page
    # Other people's words are not theirs.
    assert "Great idea from Mia." not in page
    assert "Oat milk</a>\n" not in page.split('id="comments-title"')[0]


def test_staff_profile_shows_their_signed_answers(client, users, board):
    response = client.get(f"/people/{users['staff'].id}")
    page = page_of(response)
    assert response.status_code == 200
    assert 'class="badge badge-staff">Staff</span>' in page
    assert 'id="answers-title">Answers</h2>' in page
    assert "Coming in spring." in page  # the note, as plain text
    assert 'class="badge status-accepted"' in page
    theirs = board["theirs"]
    assert f'href="/ideas/{theirs.id}/oat-milk#history"' in page
    answer_link = f'href="/ideas/{theirs.id}/oat-milk#comment-{board["answer"].id}"'
    # Listed once, under the answers: not again with the comments.
    assert page.count(answer_link) == 1
    assert page.index('id="answers-title"') < page.index(answer_link)
    assert 'id="comments-title">Comments <span class="count">0</span>' in page


def test_profile_ideas_are_bounded_and_page_by_keyset(client, users):
    mia = users["member"]
    start = utcnow() - timedelta(days=30)
    with db.connection_context():
        for n in range(25):
            create_idea(mia, f"Idea number {n:02d}", created_at=start + timedelta(hours=n))
    first = page_of(client.get(f"/people/{mia.id}"))
    titles = re.findall(r"Idea number (\d\d)", first)
    assert titles == [f"{n:02d}" for n in range(24, 4, -1)]
    assert '<span class="count">25</span>' in first
    more = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = page_of(client.get(more))
    assert re.findall(r"Idea number (\d\d)", second) == ["04", "03", "02", "01", "00"]
    assert 'rel="next"' not in second
    # A cursor that is not one falls back to the first page, never an error.
    assert client.get(f"/people/{mia.id}?after=nonsense~x").status_code == 200


@pytest.mark.parametrize("path", ["/people/999", "/people/999/avatar.svg", "/people/2147483648"])
def test_no_such_person_is_404(client, users, path):
    response = client.get(path)
    assert response.status_code == 404
    if path != "/people/2147483648":
        assert NO_SUCH_PERSON in page_of(response)


def test_author_names_link_to_profiles_everywhere(app, client, users, board):
    mia, otto, sasha = users["member"], users["other"], users["staff"]
    listing = page_of(client.get("/"))
    assert f'<a class="person" href="/people/{mia.id}">Mia Member</a>' in listing
    assert profile_link(otto) in listing
    own_page = page_of(client.get(f"/ideas/{board['own'].id}"))
    # Author in the head and in the history, and a comment's author.
    assert own_page.count(profile_link(mia)) == 2
    assert profile_link(otto) in own_page
    their_page = page_of(client.get(f"/ideas/{board['theirs'].id}"))
    # The status change's signer, the official answer's author, and Mia's two comments.
    assert their_page.count(profile_link(sasha)) == 2
    assert their_page.count(profile_link(mia)) == 2
    assert profile_link(otto) in page_of(client.get("/roadmap"))
    client.login("staff@example.com")
    assert profile_link(mia) in page_of(client.get("/staff/triage"))


# --- Avatars --------------------------------------------------------------------------------


def test_avatar_is_a_cacheable_deterministic_svg(client, users):
    mia, otto = users["member"], users["other"]
    first = client.get(f"/people/{mia.id}/avatar.svg")
    assert first.status_code == 200
    assert first.mimetype == "image/svg+xml"
    assert first.cache_control.public and first.cache_control.max_age == 86400
    assert client.get(f"/people/{mia.id}/avatar.svg").data == first.data
    svg = ElementTree.fromstring(first.data)
    assert svg.tag == f"{SVG}svg"
    assert svg.find(f"{SVG}text").text == "MM"
    assert svg.find(f"{SVG}circle").get("fill") == avatar_colour(mia.id)
    other = ElementTree.fromstring(client.get(f"/people/{otto.id}/avatar.svg").data)
    assert other.find(f"{SVG}circle").get("fill") != avatar_colour(mia.id)
    # Browsers revalidate it with the tag it came with.
    again = client.get(
        f"/people/{mia.id}/avatar.svg", headers={"If-None-Match": first.get_etag()[0]}
    )
    assert again.status_code == 304


def test_avatar_escapes_the_initials(app, client, users):
    with db.connection_context():
        User.update(name='<script> &"evil').where(User.id == users["member"].id).execute()
    response = client.get(f"/people/{users['member'].id}/avatar.svg")
    assert b"<script" not in response.data and b'&"' not in response.data
    assert ElementTree.fromstring(response.data).find(f"{SVG}text").text == "SE"
    # The template escapes whatever letters it is given, not only the ones names give.
    with app.test_request_context():
        svg = render_template("people/avatar.svg", letters='<&"', colour="#000000")
    assert "&lt;&amp;&#34;" in svg
    assert ElementTree.fromstring(svg).find(f"{SVG}text").text == '<&"'


def test_initials_and_colours():
    assert initials("Mia Member") == "MM"
    assert initials("ada lovelace byron") == "AB"
    assert initials("Priya") == "P"
    assert initials("Priya (Product)") == "PP"
    assert initials("émile — zola") == "ÉZ"
    assert initials("   ") == "?"
    assert re.fullmatch(r"#[0-9a-f]{6}", avatar_colour(1))
    assert avatar_colour(1) == avatar_colour(1) != avatar_colour(2)


def test_pages_allow_only_own_images(client, users):
    response = client.get(f"/people/{users['member'].id}")
    assert "img-src 'self'" in response.headers["Content-Security-Policy"]


# --- Bio ------------------------------------------------------------------------------------


def test_account_page_has_the_profile_section(member, users):
    page = page_of(member.get("/account"))
    assert 'action="/account/bio"' in page
    assert 'maxlength="500"' in page
    assert profile_link(users["member"]) in page
    assert 'href="/account/export"' in page
    assert 'href="/account/delete"' in page


def test_bio_is_saved_and_rendered_inert(member, client, users):
    response = member.post_form("/account/bio", {"bio": XSS})
    assert response.status_code == 302
    assert response.headers["Location"] == "/account"
    assert "Your profile is saved." in page_of(member.get("/account"))
    assert get_user(users["member"].id).bio == XSS
    page = page_of(client.get(f"/people/{users['member'].id}"))
    assert "<script>alert" not in page
    bio = re.search(r'<div class="prose profile-bio">.*?</div>', page, re.S).group(0)
    assert "<strong>bold</strong>" in bio
    scan = assert_inert(bio)
    assert "<script>alert(1)</script>" in "".join(scan.prose_text)


def test_bio_too_long_is_400_with_the_error_by_the_field(member, users):
    too_long = "x" * 501
    response = member.post_form("/account/bio", {"bio": too_long})
    page = page_of(response)
    assert response.status_code == 400
    error = re.search(r'<p class="error" id="bio-error">([^<]+)</p>', page).group(1)
    assert "500" in error
    assert 'aria-describedby="bio-help bio-error"' in page
    assert too_long in page  # the text typed is kept
    assert get_user(users["member"].id).bio == ""


def test_bio_counts_a_line_break_once_and_refuses_control_characters(member, users):
    # A browser sends 500 typed characters with a line break as 501 (CR LF).
    response = member.post_form("/account/bio", {"bio": "a" * 249 + "\r\n" + "b" * 250})
    assert response.status_code == 302
    assert get_user(users["member"].id).bio == "a" * 249 + "\n" + "b" * 250
    refused = member.post_form("/account/bio", {"bio": "bell\x07"})
    assert refused.status_code == 400
    assert 'id="bio-error"' in page_of(refused)


# --- Export ---------------------------------------------------------------------------------


def test_export_is_a_download_of_my_data_only(member, users, board):
    response = member.get("/account/export")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == "attachment; filename=ideaboard-export.json"
    assert "no-store" in response.headers["Cache-Control"]
    data = json.loads(response.data)
    theirs, own = board["theirs"], board["own"]
    assert data["profile"]["email"] == "member@example.com"
    assert data["profile"]["name"] == "Mia Member"
    assert [i["title"] for i in data["ideas"]] == ["Free refills"]
    assert sorted(c["body"] for c in data["comments"]) == ["Mia says yes (1).", "Mia says yes (2)."]
    assert data["votes"][0]["idea_id"] == theirs.id
    assert data["votes"][0]["idea_title"] == "Oat milk"
    assert len(data["votes"]) == 1
    follows = {f["idea_id"]: f for f in data["follows"]}
    assert follows[theirs.id]["active"] is False and follows[theirs.id]["reason"] == "asked"
    assert data["notifications"] == [
        {
            "kind": EVENT_COMMENT,
            "idea_id": theirs.id,
            "created_at": data["notifications"][0]["created_at"],
            "read_at": None,
        }
    ]
    text = response.get_data(as_text=True)
    # Nobody else's words, address or notifications; no secrets of the account.
    assert "Great idea from Mia." not in text and "other@example.com" not in text
    assert own.id not in [n["idea_id"] for n in data["notifications"]]
    assert users["member"].password_hash not in text
    assert "argon2" not in text and "password" not in text
    with db.connection_context():
        key_hashes = [s.key_hash for s in UserSession.select()]
    assert key_hashes and not any(key in text for key in key_hashes)


def test_staff_export_includes_the_status_changes_they_signed(client, users, board):
    client.login("staff@example.com")
    data = client.get("/account/export").json
    assert [s["note"] for s in data["status_changes_signed"]] == ["Coming in **spring**."]
    assert [c["official"] for c in data["comments"]] == [True]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/account/export"),
        ("GET", "/account/delete"),
        ("POST", "/account/delete"),
        ("POST", "/account/bio"),
    ],
)
def test_account_routes_need_login(client, users, method, path):
    before = fetch(User)
    if method == "GET":
        response = client.get(path)
    else:
        response = client.post_form(path, {"bio": "x", "current_password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert fetch(User) == before


# --- Deleting an account --------------------------------------------------------------------


def delete_form(client, content: str | None, password: str = PASSWORD):
    data = {"current_password": password}
    if content is not None:
        data["content"] = content
    return client.post_form("/account/delete", data)


def test_delete_page_says_what_happens(member):
    page = page_of(member.get("/account/delete"))
    assert "This cannot be undone" in page
    assert "Your votes are withdrawn" in page
    assert 'type="radio"' in page and 'value="keep"' in page and 'value="delete"' in page
    assert STAFF_MUST_KEEP not in page
    assert " disabled" not in page


def test_keep_anonymises_the_account_and_keeps_the_words(app, member, users, board):
    mia, own, theirs = users["member"], board["own"], board["theirs"]
    anonymous = app.test_client()
    assert "Mia Member" in page_of(anonymous.get(f"/ideas/{own.id}"))  # now in the page cache
    phone = app.test_client()
    phone.login("member@example.com")
    with db.connection_context():
        OutgoingMail.create(
            message_id="<x@example.com>",
            kind="verify_email",
            user=mia.id,
            to_address="member@example.com",
            subject="Confirm",
            text_body="Hi Mia",
            html_body="<p>Hi Mia</p>",
        )

    response = delete_form(member, "keep")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "Your account is deleted." in page_of(member.get("/"))

    gone = get_user(mia.id)
    assert (gone.name, gone.email, gone.password_hash, gone.bio) == (
        "Deleted user",
        f"deleted-{mia.id}@deleted.invalid",
        UNUSABLE_PASSWORD,
        "",
    )
    assert gone.deleted_at is not None
    assert gone.email_verified_at is None and gone.feed_token is None
    # Votes withdrawn with the counters right; words kept; personal rows gone.
    assert no_drift() == []
    assert fetch(Vote, user=mia.id) == []
    assert fetch(Idea, id=theirs.id)[0].vote_count == 0
    assert fetch(Idea, id=own.id)[0].vote_count == 2
    assert len(fetch(Comment, author=mia.id)) == 2
    assert fetch(Follow, user=mia.id) == [] and fetch(Notification, user=mia.id) == []
    assert fetch(UserSession, user=mia.id) == [] and fetch(OutgoingMail, user=mia.id) == []
    # Logged out here and on the other device; nobody logs in again.
    assert member.get("/account").status_code == 302
    assert phone.get("/account").status_code == 302
    assert member.login("member@example.com").status_code == 400
    assert member.get("/account").status_code == 302
    with db.connection_context():
        assert authenticate("member@example.com", PASSWORD) is None
        assert authenticate(gone.email, PASSWORD) is None
    assert not check_password(UNUSABLE_PASSWORD, PASSWORD)
    assert not check_password(UNUSABLE_PASSWORD, "")

    # The words show as "Deleted user", with no link to a trail of them (the cache knew).
    page = page_of(anonymous.get(f"/ideas/{own.id}"))
    assert "Mia Member" not in page
    assert '<span class="person person-deleted">Deleted user</span>' in page
    assert profile_link(mia) not in page
    assert "Mia says yes (1)." in page_of(anonymous.get(f"/ideas/{theirs.id}"))
    profile = page_of(anonymous.get(f"/people/{mia.id}"))
    assert "<h1>Deleted user</h1>" in profile
    assert "Joined" not in profile and "<time" not in profile
    assert "Mia says yes" not in profile and "Free refills" not in profile
    svg = ElementTree.fromstring(anonymous.get(f"/people/{mia.id}/avatar.svg").data)
    assert svg.find(f"{SVG}text") is None


def test_delete_takes_the_ideas_and_comments_along(app, member, users, board):
    mia, otto, own, theirs = users["member"], users["other"], board["own"], board["theirs"]
    response = delete_form(member, "delete")
    assert response.status_code == 302
    assert "your ideas and comments with it" in page_of(member.get("/"))
    assert get_user(mia.id) is None
    assert no_drift() == []
    # Their idea went with what others left on it; their comments elsewhere too.
    assert fetch(Idea, id=own.id) == []
    assert fetch(Vote, user=otto.id) == []
    assert fetch(Comment, author=otto.id) == []
    assert fetch(Notification, user=otto.id) == []
    after = fetch(Idea, id=theirs.id)[0]
    assert (after.vote_count, after.comment_count) == (0, 1)  # the staff answer stays
    assert fetch(StatusChange, idea=theirs.id)[0].author_id == users["staff"].id
    page = page_of(app.test_client().get(f"/ideas/{theirs.id}"))
    assert "Mia says yes" not in page
    assert app.test_client().get(f"/people/{mia.id}").status_code == 404
    assert member.login("member@example.com").status_code == 400
    assert member.get("/account").status_code == 302


def test_wrong_password_is_400_by_the_field_and_changes_nothing(member, users, board):
    before = {m.__name__: fetch(m) for m in (User, Vote, Comment, Idea, UserSession)}
    response = delete_form(member, "delete", password="not my password at all")
    page = page_of(response)
    assert response.status_code == 400
    assert re.search(r'id="current_password-error">That is not your current password.</p>', page)
    assert re.search(r'<input checked id="content-1" name="content"[^>]* value="delete"', page)
    missing = delete_form(member, None)
    assert missing.status_code == 400
    assert (
        '<p class="error" id="content-error">Choose what happens to your ideas and comments.</p>'
        in page_of(missing)
    )
    assert delete_form(member, "everything").status_code == 400
    assert {m.__name__: fetch(m) for m in (User, Vote, Comment, Idea, UserSession)} == before
    assert member.get("/account").status_code == 200


def test_staff_may_only_keep_their_words(client, users, board):
    sasha, theirs = users["staff"], board["theirs"]
    client.login("staff@example.com")
    page = page_of(client.get("/account/delete"))
    assert STAFF_MUST_KEEP.split(":")[0] in page
    assert re.search(r'value="delete"[^>]* disabled|disabled[^>]*value="delete"', page)
    refused = delete_form(client, "delete")
    assert refused.status_code == 400
    assert 'id="content-error">Staff accounts keep' in page_of(refused)
    assert get_user(sasha.id).name == "Sasha Staff"
    with db.connection_context(), pytest.raises(DeletionRefused):
        delete_account(sasha.id, "delete")

    assert delete_form(client, "keep").status_code == 302
    assert no_drift() == []
    # The signed note stays readable, signed by "Deleted user".
    page = page_of(client.get(f"/ideas/{theirs.id}"))
    assert "Coming in <strong>spring</strong>." in page
    assert "Sasha Staff" not in page and "Deleted user" in page
    assert len(fetch(StatusChange, author=sasha.id)) == 1


def test_delete_account_refuses_unknown_choices_and_dead_accounts(app, users):
    with db.connection_context():
        with pytest.raises(DeletionRefused):
            delete_account(users["member"].id, "everything")
        assert delete_account(users["member"].id, "keep") is True
        # Deleted already: nothing left to do, nothing changes.
        assert delete_account(users["member"].id, "delete") is False
        assert delete_account(999, "keep") is False
    assert get_user(users["member"].id).name == "Deleted user"
