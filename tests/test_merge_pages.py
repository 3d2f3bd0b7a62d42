"""Merge and unmerge pages: the staff steps, the redirect, the read-only duplicate, the history,
and who may do what (both databases)."""

import re
from urllib.parse import urlsplit

import pytest

from ideaboard.board.comments import add_comment
from ideaboard.board.ideas import create_idea
from ideaboard.board.merge import merge_ideas, unmerge
from ideaboard.db import db
from ideaboard.models import Comment, Idea, Merge, Vote, utcnow
from tests.attack_support import assert_consistent, db_state

# Fixtures: the redundant aliases tell ruff the imports are used (as test arguments).
from tests.test_merge import board as board
from tests.test_merge import people as people
from tests.test_merge import voters

JSON = {"Accept": "application/json"}


def staff_client(app):
    client = app.test_client()
    assert client.login("staff@example.com").status_code == 302
    return client


def page(response) -> str:
    return response.get_data(as_text=True)


def merged(board) -> Merge:
    with db.connection_context():
        return merge_ideas(board["duplicate"], board["original"], board["staff"])


def test_staff_merge_in_two_steps(app, board):
    staff = staff_client(app)
    duplicate, original = board["duplicate"], board["original"]
    panel = page(staff.get(f"/ideas/{duplicate}"))
    assert "Merge into another idea" in panel
    assert f'action="/ideas/{duplicate}/merge"' in panel
    # The first step takes the number or the address, and only shows what would move.
    before = db_state()
    review = staff.get(
        f"/ideas/{duplicate}/merge", query_string={"original": f"http://x/ideas/{original}/oat"}
    )
    assert review.status_code == 200
    text = page(review)
    assert "Plant milk please" in text and "Oat milk" in text
    assert re.search(r"<strong>2</strong> of the duplicate's 3 voters", text)
    assert "<strong>1</strong> already voted for both and counts once" in text
    assert "goes from 2 to 4 votes" in text
    assert "<strong>3</strong> of its 4 followers" in text
    assert db_state() == before
    done = staff.post_form(f"/ideas/{duplicate}/merge", {"original": str(original)})
    assert done.status_code == 302
    assert urlsplit(done.headers["Location"]).path == f"/ideas/{original}/oat-milk"
    landed = page(staff.get(done.headers["Location"]))
    assert f"Merged #{duplicate} “Plant milk please” into this idea: 2 votes" in landed
    assert "Merged here" in landed
    assert f'href="/ideas/{duplicate}/unmerge"' in landed
    assert voters(original) == {"a", "b", "c", "d"}
    assert_consistent()


@pytest.mark.parametrize(
    "typed", ["{id}", "#{id}", " {id} ", "/ideas/{id}", "https://h/ideas/{id}/x?y=1"]
)
def test_the_original_may_be_a_number_or_an_address(app, board, typed):
    staff = staff_client(app)
    value = typed.format(id=board["original"])
    review = staff.get(f"/ideas/{board['duplicate']}/merge", query_string={"original": value})
    assert review.status_code == 200
    assert f"Merge #{board['duplicate']} into #{board['original']}" in page(review)


@pytest.mark.parametrize(
    ("typed", "status", "message"),
    [
        ("", 400, "Give the number or the address"),
        ("oat milk", 400, "Give the idea&#39;s number"),
        ("99999999999", 400, "There is no idea #99999999999"),
        ("999999", 409, "There is no idea #999999"),
        ("{duplicate}", 409, "cannot be merged into itself"),
    ],
)
def test_a_wrong_original_is_a_field_error(app, board, typed, status, message):
    staff = staff_client(app)
    value = typed.format(duplicate=board["duplicate"])
    before = db_state()
    for response in (
        staff.get(f"/ideas/{board['duplicate']}/merge", query_string={"original": value}),
        staff.post_form(f"/ideas/{board['duplicate']}/merge", {"original": value}),
    ):
        assert response.status_code == status
        text = page(response)
        assert 'id="original-error"' in text and message in text
        assert "autofocus" in text  # the field with the error is where the cursor goes
    assert db_state() == before


def test_the_first_step_without_a_number_shows_the_empty_form(app, board):
    response = staff_client(app).get(f"/ideas/{board['duplicate']}/merge")
    assert response.status_code == 200
    assert 'name="original"' in page(response) and "original-error" not in page(response)


def test_json_clients_merge_and_get_json_errors(app, board):
    staff = staff_client(app)
    url = f"/ideas/{board['duplicate']}/merge"
    refused = staff.post_form(url, {"original": str(board["duplicate"])}, headers=JSON)
    assert refused.status_code == 409 and refused.is_json
    assert "cannot be merged into itself" in refused.json["message"]
    invalid = staff.post_form(url, {"original": "nope"}, headers=JSON)
    assert invalid.status_code == 400 and invalid.json["status"] == 400
    done = staff.post_form(url, {"original": str(board["original"])}, headers=JSON)
    assert done.status_code == 200
    assert done.json["merged"] is True
    assert (done.json["votes_moved"], done.json["original"]) == (2, board["original"])
    again = staff.post_form(url, {"original": str(board["original"])}, headers=JSON)
    assert again.status_code == 409 and "already merged" in again.json["message"]


def test_the_duplicate_address_leads_to_the_original_with_a_notice(app, client, board):
    merged(board)
    duplicate, original = board["duplicate"], board["original"]
    for path in (f"/ideas/{duplicate}", f"/ideas/{duplicate}/plant-milk-please"):
        response = client.get(path)
        # Not 301: an unmerge must be able to give the address back.
        assert response.status_code == 302
        target = urlsplit(response.headers["Location"])
        assert (target.path, target.query) == (
            f"/ideas/{original}/oat-milk",
            f"merged_from={duplicate}",
        )
    landed = page(client.get(f"/ideas/{original}/oat-milk?merged_from={duplicate}"))
    assert f"#{duplicate} Plant milk please</strong>, which is merged into this idea" in landed
    # A made-up or stale merged_from says nothing.
    assert "which is merged" not in page(client.get(f"/ideas/{original}?merged_from={original}"))


def test_the_duplicate_stays_readable_under_a_banner(app, client, board):
    with db.connection_context():
        add_comment(board["duplicate"], board["a"], "Soy too, please.")
    merged(board)
    duplicate, original = board["duplicate"], board["original"]
    listed = page(client.get(f"/ideas/{original}"))
    assert "Merged here" in listed
    assert f'href="/ideas/{duplicate}/plant-milk-please?merged=1"' in listed
    assert "(3 votes, 1 comment)" in listed
    assert "/unmerge" not in listed  # visitors see no staff controls
    for viewer in (client, app.test_client()):
        if viewer is not client:
            viewer.login("member@example.com")
        response = viewer.get(f"/ideas/{duplicate}/plant-milk-please?merged=1")
        assert response.status_code == 200
        text = page(response)
        assert f'Merged into <a href="/ideas/{original}/oat-milk">#{original} Oat milk</a>' in text
        assert "Soy too, please." in text
        assert "data-vote-form" not in text and 'action="/ideas/' not in text.split("<main")[1]
        assert "the conversation goes on at" in text
        assert "/unmerge" not in text
    staff_view = page(staff_client(app).get(f"/ideas/{duplicate}?merged=1"))
    assert f'href="/ideas/{duplicate}/unmerge"' in staff_view
    assert "Change status" not in staff_view and "Merge into another idea" not in staff_view
    # No vote to record on it, nor a badge to embed: both belong to the original now.
    assert "This idea is merged into another: record votes there." in staff_view
    assert 'name="customer_email"' not in staff_view and 'id="embed-code"' not in staff_view
    assert 'name="customer_email"' in page(staff_client(app).get(f"/ideas/{original}"))


def test_a_merged_idea_refuses_votes_and_comments_naming_the_original(app, board):
    merged(board)
    member = app.test_client()
    member.login("member@example.com")
    duplicate = board["duplicate"]
    before = db_state()
    vote = member.post_form(f"/ideas/{duplicate}/vote", {"vote": "1"}, headers=JSON)
    assert vote.status_code == 409
    assert f"merged into #{board['original']} “Oat milk”" in vote.json["message"]
    comment = member.post_form(f"/ideas/{duplicate}/comments", {"body": "Hello?"}, headers=JSON)
    assert comment.status_code == 409 and "merged" in comment.json["message"]
    refused = member.post_form(f"/ideas/{duplicate}/comments", {"body": "Hello?"})
    assert refused.status_code == 302
    flashed = page(member.get(refused.headers["Location"], follow_redirects=True))
    assert "merged into another: comment there" in flashed
    assert member.get(f"/ideas/{duplicate}/vote").status_code == 302
    assert db_state() == before


def test_unmerge_in_two_steps_gives_the_address_back(app, client, board):
    merged(board)
    duplicate, original = board["duplicate"], board["original"]
    with db.connection_context():
        Vote.delete().where((Vote.idea == original) & (Vote.user == board["a"].id)).execute()
        Idea.update(vote_count=Idea.vote_count - 1).where(Idea.id == original).execute()
    staff = staff_client(app)
    review = staff.get(f"/ideas/{duplicate}/unmerge")
    assert review.status_code == 200
    text = page(review)
    assert f"<strong>1</strong> vote the merge copied leave #{original}" in text
    assert "(the other 1 were withdrawn since)" in text
    done = staff.post_form(f"/ideas/{duplicate}/unmerge")
    assert done.status_code == 302
    assert urlsplit(done.headers["Location"]).path == f"/ideas/{duplicate}/plant-milk-please"
    back = page(staff.get(done.headers["Location"]))
    assert "Unmerged: this idea stands on its own again" in back
    assert "Merge into another idea" in back
    assert client.get(f"/ideas/{duplicate}").status_code == 200
    assert "Merged here" not in page(client.get(f"/ideas/{original}"))
    assert voters(original) == {"c", "d"}
    assert_consistent()
    # A second unmerge (a stale page) says so and changes nothing.
    before = db_state()
    stale = staff.post_form(f"/ideas/{duplicate}/unmerge")
    assert stale.status_code == 302
    assert "is not merged into another idea" in page(staff.get(stale.headers["Location"]))
    assert staff.post_form(f"/ideas/{duplicate}/unmerge", headers=JSON).status_code == 409
    assert db_state() == before


STAFF_PAGES = [
    ("GET", "/ideas/{duplicate}/merge?original={original}"),
    ("POST", "/ideas/{duplicate}/merge"),
    ("GET", "/ideas/{duplicate}/unmerge"),
    ("POST", "/ideas/{duplicate}/unmerge"),
    ("GET", "/staff/merges"),
]


def send(client, method: str, path: str, board, **kwargs):
    path = path.format(duplicate=board["duplicate"], original=board["original"])
    if method == "GET":
        return client.get(path, **kwargs)
    return client.post_form(path, {"original": str(board["original"])}, **kwargs)


@pytest.mark.parametrize(("method", "path"), STAFF_PAGES)
def test_members_get_403_and_visitors_log_in_first(app, board, method, path):
    if "unmerge" in path:
        merged(board)
    member = app.test_client()
    member.login("member@example.com")
    before = db_state()
    assert send(member, method, path, board).status_code == 403
    as_json = send(member, method, path, board, headers=JSON)
    assert as_json.status_code == 403 and as_json.is_json
    visitor = send(app.test_client(), method, path, board)
    assert visitor.status_code == 302 and urlsplit(visitor.headers["Location"]).path == "/login"
    assert db_state() == before


def test_merge_and_unmerge_need_the_form_token(app, board):
    staff = staff_client(app)
    before = db_state()
    url = f"/ideas/{board['duplicate']}/merge"
    response = staff.post(url, data={"original": str(board["original"])})
    assert response.status_code == 400 and "This form has expired" in page(response)
    assert db_state() == before
    merged(board)
    before = db_state()
    assert staff.post(f"/ideas/{board['duplicate']}/unmerge").status_code == 400
    assert db_state() == before


def test_missing_ideas_are_404(app, board):
    staff = staff_client(app)
    assert staff.get("/ideas/999999/merge").status_code == 404
    assert staff.post_form("/ideas/999999/merge", {"original": "1"}).status_code == 404
    assert staff.get("/ideas/999999/unmerge").status_code == 404


def test_merge_history_lists_who_when_what_and_pages(app, board, category):
    staff = staff_client(app)
    empty = page(staff.get("/staff/merges"))
    assert "No merges yet" in empty
    first = merged(board)
    with db.connection_context():
        unmerge(first.id, board["admin"])
        extra = [create_idea(board["e"], f"Copy {n}", "", category.id) for n in range(30)]
        for idea in extra:
            merge_ideas(idea.id, board["original"], board["staff"])
    newest = page(staff.get("/staff/merges"))
    assert f"#{extra[-1].id} Copy 29" in newest
    assert "Plant milk please" not in newest  # the oldest is on the next page
    older = re.search(r'href="(/staff/merges\?before=\d+)"', newest).group(1)
    second = page(staff.get(older))
    assert "Plant milk please" in second and "Undone by Ada Admin" in second
    assert "Sasha Staff" in second and "2 votes, 3 followers" in second
    assert "« Newest" in second and "Older" not in second
    assert staff.get("/staff/merges?before=abc").status_code == 200
    assert staff.get("/staff/merges?before=99999999999").status_code == 200


def test_the_merge_panel_is_for_staff_only(app, client, board):
    assert "Merge into another idea" not in page(client.get(f"/ideas/{board['duplicate']}"))
    member = app.test_client()
    member.login("member@example.com")
    assert "Merge into another idea" not in page(member.get(f"/ideas/{board['duplicate']}"))


def test_comments_of_a_merged_idea_stay_where_they_are(app, board):
    with db.connection_context():
        comment = add_comment(board["duplicate"], board["b"], "Oat would do.")
    first = merged(board)
    with db.connection_context():
        assert Comment.get_by_id(comment.id).idea_id == board["duplicate"]
        unmerge(first.id, board["staff"])
        assert Idea.get_by_id(board["duplicate"]).comment_count == 1


def test_a_duplicate_hidden_since_is_not_named_on_the_original(app, client, board):
    merged(board)
    with db.connection_context():
        Idea.update(hidden_at=utcnow()).where(Idea.id == board["duplicate"]).execute()
    assert "Merged here" not in page(client.get(f"/ideas/{board['original']}"))
    assert "Plant milk please" in page(staff_client(app).get("/staff/merges"))
