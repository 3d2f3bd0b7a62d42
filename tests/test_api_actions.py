"""What callers do to ideas through /api/v1: vote, comment, follow; staff move them along the
pipeline and publish release notes. The board's rules answer, as on the site."""

import pytest

from ideaboard.board.ideas import create_idea
from ideaboard.board.merge import merge_ideas
from ideaboard.board.moderation import hide_comment
from ideaboard.board.pipeline import change_status
from ideaboard.db import db
from ideaboard.models import (
    ACCEPTED,
    DECLINED,
    LAUNCHED,
    UNDER_REVIEW,
    ChangelogPost,
    Comment,
    Idea,
    StatusChange,
    Vote,
)
from tests.api_support import (
    API,
    EVERY_SCOPE,
    ApiClient,
    assert_error,
    board_state,
    token_client,
)
from tests.attack_support import assert_consistent


@pytest.fixture
def member(app, users) -> ApiClient:
    return token_client(app, users["member"])


@pytest.fixture
def staff(app, users) -> ApiClient:
    return token_client(app, users["staff"], EVERY_SCOPE)


def votes_of(idea_id: int) -> list[int]:
    with db.connection_context():
        return [vote.user_id for vote in Vote.select().where(Vote.idea == idea_id)]


# --- votes --------------------------------------------------------------------------------


def test_votes_are_idempotent(app, users, idea, member):
    url = f"{API}/ideas/{idea.id}/vote"
    for _ in range(2):
        assert member.put(url).json == {"idea_id": idea.id, "voted": True, "votes": 1}
        assert votes_of(idea.id) == [users["member"].id]
    assert member.get(f"{API}/ideas/{idea.id}").json["voted"] is True
    for _ in range(2):
        assert member.delete(url).json == {"idea_id": idea.id, "voted": False, "votes": 0}
        assert votes_of(idea.id) == []
    assert_consistent()


@pytest.mark.parametrize("closed_as", [LAUNCHED, DECLINED])
def test_closed_ideas_refuse_votes(app, users, idea, member, closed_as):
    member.put(f"{API}/ideas/{idea.id}/vote")
    with db.connection_context():
        change_status(idea, closed_as, users["staff"], "Decided.")
    before = board_state()
    for method in ("PUT", "DELETE"):
        response = member.call(method, f"{API}/ideas/{idea.id}/vote")
        assert_error(response, 409, "voting_closed")
        assert response.json["votes"] == 1
    assert board_state() == before


def test_merged_ideas_refuse_votes_comments_and_status(app, users, idea, member, staff):
    with db.connection_context():
        duplicate = create_idea(users["other"], "Refills for free", "", idea.category_id)
        merge_ideas(duplicate.id, idea.id, users["staff"])
    before = board_state()
    url = f"{API}/ideas/{duplicate.id}"
    refused = member.put(f"{url}/vote")
    assert_error(refused, 409, "merged")
    assert refused.json["merged_into"] == idea.id
    assert_error(member.post(f"{url}/comments", {"body": "Me too!"}), 409, "merged")
    change = staff.post(f"{url}/status-changes", {"status": ACCEPTED, "note": "Yes."})
    assert_error(change, 409, "merged")
    assert board_state() == before
    # Readers learn where it went.
    assert member.get(url).json["merged_into"] == idea.id


def test_vote_budget_is_kept(app, users, idea, member):
    app.config["VOTE_BUDGET"] = 1
    with db.connection_context():
        second = create_idea(users["other"], "Oat milk", "", idea.category_id)
    assert member.put(f"{API}/ideas/{idea.id}/vote").status_code == 200
    before = board_state()
    spent = member.put(f"{API}/ideas/{second.id}/vote")
    assert_error(spent, 409, "vote_budget_spent")
    assert (spent.json["budget"], spent.json["votes"]) == (1, 0)
    assert board_state() == before
    # A vote taken back is a vote to give again.
    member.delete(f"{API}/ideas/{idea.id}/vote")
    assert member.put(f"{API}/ideas/{second.id}/vote").json["votes"] == 1
    assert votes_of(second.id) == [users["member"].id] and votes_of(idea.id) == []


def test_vote_on_a_missing_idea_is_404(app, users, member):
    before = board_state()
    for raw in ("999999", "0", "abc"):
        assert_error(member.put(f"{API}/ideas/{raw}/vote"), 404, "not_found")
    assert board_state() == before


# --- comments and follows -----------------------------------------------------------------


def test_comment_is_the_callers_and_staff_answer_officially(app, users, idea, member, staff):
    said = member.post(f"{API}/ideas/{idea.id}/comments", {"body": "  Me **too**!  "})
    assert said.status_code == 201
    assert (said.json["body"], said.json["official"], said.json["author"]["name"]) == (
        "Me **too**!",
        False,
        "Mia Member",
    )
    answer = staff.post(f"{API}/ideas/{idea.id}/comments", {"body": "We hear you."})
    assert (answer.json["official"], answer.json["author"]["name"]) == (True, "Sasha Staff")
    listed = ApiClient(app, None).get(f"{API}/ideas/{idea.id}/comments").json["data"]
    assert [c["id"] for c in listed] == [said.json["id"], answer.json["id"]]
    assert ApiClient(app, None).get(f"{API}/ideas/{idea.id}").json["comments"] == 2
    with db.connection_context():
        authors = [c.author_id for c in Comment.select().order_by(Comment.id)]
    assert authors == [users["member"].id, users["staff"].id]
    assert_consistent()


@pytest.mark.parametrize("body", ["", "   ", "x" * 5_001, "a\x00b"])
def test_invalid_comment_is_400_with_fields(app, idea, member, body):
    before = board_state()
    response = member.post(f"{API}/ideas/{idea.id}/comments", {"body": body})
    assert_error(response, 400, "invalid_request")
    assert "body" in response.json["fields"]
    assert board_state() == before


def test_hidden_comments_show_to_their_author_and_staff_only(app, users, idea, member, staff):
    said = member.post(f"{API}/ideas/{idea.id}/comments", {"body": "Buy pills"}).json
    with db.connection_context():
        hide_comment(said["id"], users["staff"], "Spam.")
    url = f"{API}/ideas/{idea.id}/comments"
    assert ApiClient(app, None).get(url).json["data"] == []
    assert token_client(app, users["other"]).get(url).json["data"] == []
    assert [c["id"] for c in member.get(url).json["data"]] == [said["id"]]
    assert [c["id"] for c in staff.get(url).json["data"]] == [said["id"]]


def test_follow_and_unfollow(app, users, idea):
    client = token_client(app, users["other"])
    url = f"{API}/ideas/{idea.id}/follow"
    assert client.get(url).json == {"idea_id": idea.id, "following": False}
    for _ in range(2):
        assert client.put(url).json["following"] is True
    assert client.get(f"{API}/me").json["following"] == [idea.id]
    for _ in range(2):
        assert client.delete(url).json["following"] is False
    assert client.get(f"{API}/me").json["following"] == []


# --- status changes and release notes -----------------------------------------------------


def test_staff_move_an_idea_with_a_signed_note(app, users, idea, staff):
    response = staff.post(
        f"{API}/ideas/{idea.id}/status-changes", {"status": ACCEPTED, "note": "From May."}
    )
    assert response.status_code == 201
    change = response.json
    assert (change["from_status"], change["to_status"], change["note"]) == (
        UNDER_REVIEW,
        ACCEPTED,
        "From May.",
    )
    assert change["author"]["name"] == "Sasha Staff"
    history = ApiClient(app, None).get(f"{API}/ideas/{idea.id}/status-changes").json["data"]
    assert [c["id"] for c in history] == [change["id"]]
    with db.connection_context():
        assert Idea.get_by_id(idea.id).status == ACCEPTED
        assert StatusChange.get_by_id(change["id"]).author_id == users["staff"].id
    again = staff.post(f"{API}/ideas/{idea.id}/status-changes", {"status": ACCEPTED, "note": "!"})
    assert_error(again, 409, "status_unchanged")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "shipped", "note": "Yes."}, "status"),
        ({"status": ACCEPTED, "note": "   "}, "note"),
        ({"status": ACCEPTED}, "body"),
        ({"status": ACCEPTED, "note": "x" * 5_001}, "note"),
    ],
)
def test_invalid_status_change_is_400(app, idea, staff, body, field):
    before = board_state()
    response = staff.post(f"{API}/ideas/{idea.id}/status-changes", body)
    assert_error(response, 400, "invalid_request")
    assert field in response.json["fields"]
    assert board_state() == before


def test_staff_publish_a_release_note_that_launches_ideas(app, users, idea, staff):
    body = {"title": "Spring release", "body": "Refills!", "idea_ids": [idea.id]}
    response = staff.post(f"{API}/changelog", {**body, "mark_launched": True})
    assert response.status_code == 201
    post = response.json
    assert (post["title"], post["ideas"], post["author"]["name"]) == (
        "Spring release",
        [idea.id],
        "Sasha Staff",
    )
    anonymous = ApiClient(app, None)
    assert anonymous.get(f"{API}/changelog/{post['id']}").json == post
    assert anonymous.get(f"{API}/ideas/{idea.id}").json["status"] == LAUNCHED
    signed = anonymous.get(f"{API}/ideas/{idea.id}/status-changes").json["data"][-1]
    assert (
        signed["author"]["name"] == "Sasha Staff" and f"/changelog/{post['id']}" in signed["note"]
    )


def test_release_note_naming_a_missing_idea_is_refused(app, idea, staff):
    before = board_state()
    response = staff.post(f"{API}/changelog", {"title": "Oops", "idea_ids": [idea.id, 999_999]})
    assert_error(response, 409, "unknown_ideas")
    assert board_state() == before


def test_changelog_pages_newest_first(app, users, staff):
    with db.connection_context():
        made = [ChangelogPost.create(author=users["staff"].id, title=f"R{n}").id for n in range(3)]
    anonymous, seen, cursor = ApiClient(app, None), [], None
    while True:
        query = {"per_page": 2, **({"after": cursor} if cursor else {})}
        page = anonymous.get(f"{API}/changelog", query_string=query).json
        seen += [post["id"] for post in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == made[::-1]
    assert_error(anonymous.get(f"{API}/changelog/999999"), 404, "not_found")
