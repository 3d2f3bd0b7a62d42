"""Posting, editing, listing and commenting on ideas."""

from datetime import timedelta

import pytest

from ideaboard.board.comments import add_comment
from ideaboard.board.ideas import create_idea
from ideaboard.board.votes import set_vote
from ideaboard.db import db
from ideaboard.models import Comment, Idea, utcnow
from ideaboard.web.templating import slugify


def test_post_an_idea(client, users, category):
    client.login("member@example.com")
    response = client.post_form(
        "/ideas/new", {"title": "Oat milk", "body": "Please **add** it", "category": category.id}
    )
    assert response.status_code == 302
    with db.connection_context():
        idea = Idea.get(Idea.title == "Oat milk")
    assert response.headers["Location"] == f"/ideas/{idea.id}/oat-milk"
    assert (idea.author_id, idea.category_id, idea.status) == (
        users["member"].id,
        category.id,
        "under_review",
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<strong>add</strong>" in page
    assert "Thanks! Your idea is posted" in page


def test_preview_renders_without_saving(client, users, category):
    client.login("member@example.com")
    response = client.post_form(
        "/ideas/new",
        {"title": "Preview me", "body": "*soft*", "category": category.id, "preview": "1"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<em>soft</em>" in page
    assert 'value="Preview me"' in page
    with db.connection_context():
        assert Idea.select().count() == 0


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"title": ""}, "title", "This field is required."),
        ({"title": "   "}, "title", "This field is required."),
        ({"title": "x" * 121}, "title", "120 characters"),
        ({"title": "ok", "body": "b" * 10_001}, "body", "10000 characters"),
        ({"title": "nul\x00byte"}, "title", "not allowed"),
        ({"title": "ok", "category": "999"}, "category", "Not a valid choice"),
    ],
)
def test_invalid_idea_shows_field_errors_and_keeps_input(
    client, users, category, data, field, message
):
    client.login("member@example.com")
    data = {"body": "my careful text", "category": category.id, **data}
    response = client.post_form("/ideas/new", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    error = page.split(f'id="{field}-error"')[1].split("</p>")[0]
    assert message in error
    assert f'aria-describedby="{field}-help {field}-error"' in page or (
        f'aria-describedby="{field}-error"' in page
    )
    if field != "body":
        assert "my careful text" in page
    with db.connection_context():
        assert Idea.select().count() == 0


def test_author_edits_while_under_review(client, users, category):
    with db.connection_context():
        idea = create_idea(users["member"], "Typo in titel", "", category.id)
    client.login("member@example.com")
    form = client.get(f"/ideas/{idea.id}/edit").get_data(as_text=True)
    assert 'value="Typo in titel"' in form
    response = client.post_form(
        f"/ideas/{idea.id}/edit", {"title": "Typo in title", "body": "", "category": category.id}
    )
    assert response.status_code == 302
    with db.connection_context():
        assert Idea.get_by_id(idea.id).title == "Typo in title"


def test_detail_shows_everything(client, users, category):
    with db.connection_context():
        idea = create_idea(users["member"], "Cold brew", "Stronger please", category.id)
        add_comment(idea.id, users["other"], "Agreed!")
        add_comment(idea.id, users["staff"], "We are testing recipes.")
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    for text in (
        "Cold brew",
        "Stronger please",
        "Mia Member",
        "Drinks",
        "Agreed!",
        "We are testing recipes.",
        "Status history",
        "Under review",
    ):
        assert text in page
    official = page.split("We are testing recipes.")[0].rsplit('<li id="comment-', 1)[1]
    assert "Sasha Staff" in official and "Official" in official
    regular = page.split("Agreed!")[0].rsplit('<li id="comment-', 1)[1]
    assert "Official" not in regular


def test_slug_is_optional(client, users):
    with db.connection_context():
        idea = create_idea(users["member"], "Any slug works")
    assert client.get(f"/ideas/{idea.id}").status_code == 200
    assert client.get(f"/ideas/{idea.id}/{slugify(idea.title)}").status_code == 200
    assert client.get("/ideas/0").status_code == 404


def test_comment_posts_and_counts(client, users):
    with db.connection_context():
        idea = create_idea(users["member"], "Talk about it")
    client.login("other@example.com")
    response = client.post_form(f"/ideas/{idea.id}/comments", {"body": "See [docs](https://x.org)"})
    assert response.status_code == 302
    assert "#comment-" in response.headers["Location"]
    with db.connection_context():
        assert Idea.get_by_id(idea.id).comment_count == 1
        assert Comment.select().count() == 1
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert 'rel="nofollow ugc noopener"' in page


def test_empty_comment_keeps_page_and_shows_error(client, users):
    with db.connection_context():
        idea = create_idea(users["member"], "Quiet idea")
    client.login("other@example.com")
    response = client.post_form(f"/ideas/{idea.id}/comments", {"body": "   "})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="body-error"' in page
    assert "Quiet idea" in page


def test_comment_too_long_keeps_the_text(client, users):
    with db.connection_context():
        idea = create_idea(users["member"], "Long talk")
    client.login("other@example.com")
    text = "word " * 1001
    response = client.post_form(f"/ideas/{idea.id}/comments", {"body": text})
    assert response.status_code == 400
    assert text.strip() in response.get_data(as_text=True)


@pytest.fixture
def board(app, users, category):
    """Four ideas with distinct orders by hot, votes, age and comments."""
    with db.connection_context():
        now = utcnow()
        old_popular = create_idea(
            users["member"], "Old popular", "", category.id, created_at=now - timedelta(days=60)
        )
        for voter in ("other", "staff", "admin"):
            set_vote(old_popular.id, users[voter], True)
        chatty = create_idea(
            users["member"], "Chatty", "", None, created_at=now - timedelta(days=3)
        )
        for _ in range(4):
            add_comment(chatty.id, users["other"], "hm")
        newest = create_idea(users["member"], "Newest", "", category.id, created_at=now)
        middle = create_idea(
            users["member"], "Middle", "", None, created_at=now - timedelta(days=1)
        )
        set_vote(middle.id, users["other"], True)
    return {"old": old_popular, "chatty": chatty, "new": newest, "middle": middle}


def listed_titles(client, query: str) -> list[str]:
    page = client.get("/" + query).get_data(as_text=True)
    return [
        part.split('">', 1)[1].split("</a>")[0]
        for part in page.split('<h2 class="idea-title"><a href="')[1:]
    ]


def test_sorts(client, board):
    assert listed_titles(client, "?sort=top")[0] == "Old popular"
    assert listed_titles(client, "?sort=new") == ["Newest", "Middle", "Chatty", "Old popular"]
    assert listed_titles(client, "?sort=discussed")[0] == "Chatty"
    hot = listed_titles(client, "")
    # Decay by age: the 60-day-old idea with more votes ranks below recent activity.
    assert hot.index("Old popular") == 3
    assert listed_titles(client, "?sort=bogus") == hot


def test_filters(client, board, users, category):
    from ideaboard.board.pipeline import change_status

    with db.connection_context():
        change_status(board["middle"], "accepted", users["staff"], "ok")
    assert listed_titles(client, "?status=accepted") == ["Middle"]
    assert set(listed_titles(client, f"?category={category.id}")) == {"Old popular", "Newest"}
    assert listed_titles(client, f"?status=accepted&category={category.id}") == []
    assert "No ideas match" in client.get("/?status=declined").get_data(as_text=True)
    # Nonsense filters are ignored, never an error.
    assert len(listed_titles(client, "?status=zzz&category=abc&after=-4")) == 4


def test_listing_row_shows_counts_author_status_age(client, board):
    page = client.get("/?sort=discussed").get_data(as_text=True)
    row = page.split('<li class="idea-row">')[1].split("</li>")[0]
    assert "Chatty" in row and "4 comments" in row and "Mia Member" in row
    assert "Under review" in row and "3 days ago" in row


def link(client, query: str, rel: str) -> str | None:
    """The query string of the page's rel=next/prev link, if it has one."""
    page = client.get("/" + query).get_data(as_text=True)
    marker = f'rel="{rel}" href="'
    if marker not in page:
        return None
    return "?" + page.split(marker)[1].split('"')[0].split("?", 1)[1].replace("&amp;", "&")


@pytest.mark.parametrize("sort", ["new", "hot", "top", "discussed"])
def test_keyset_pagination_walks_every_idea_once(app, client, users, sort):
    app.config["IDEAS_PER_PAGE"] = 3
    with db.connection_context():
        for n in range(8):
            idea = create_idea(
                users["member"], f"Idea {n}", created_at=utcnow() - timedelta(hours=n)
            )
            # Ties on votes and comments: the id must break them without skipping anyone.
            if n % 3 == 0:
                set_vote(idea.id, users["other"], True)
    pages, query = [], f"?sort={sort}"
    while query and len(pages) < 10:
        pages.append(listed_titles(client, query))
        query = link(client, query, "next")
    assert [len(p) for p in pages] == [3, 3, 2]
    seen = [title for page in pages for title in page]
    assert sorted(seen) == sorted(f"Idea {n}" for n in range(8))
    if sort == "new":
        assert seen == [f"Idea {n}" for n in range(8)]
    # And back again from the last page.
    last = f"?sort={sort}&" + link(client, link(client, f"?sort={sort}", "next"), "next")[1:]
    previous = link(client, last, "prev")
    assert listed_titles(client, previous) == pages[1]
    assert "First page" in client.get("/" + last).get_data(as_text=True)


def test_malformed_cursors_show_the_first_page(client, users):
    with db.connection_context():
        create_idea(users["member"], "Only idea")
    for cursor in ("x", "1~", "~5", "nan~1", "inf~3", "1e400~2", "5~99999999999", "1~-1"):
        assert listed_titles(client, f"?sort=top&after={cursor}") == ["Only idea"]
        assert listed_titles(client, f"?sort=new&before={cursor}") == ["Only idea"]


def test_empty_board_invites_first_idea(client):
    page = client.get("/").get_data(as_text=True)
    assert "No ideas yet" in page
    assert "Post the first idea" in page


def test_voted_state_shown_in_listing(client, board):
    client.login("other@example.com")
    page = client.get("/?sort=new").get_data(as_text=True)
    assert page.count('aria-pressed="true"') == 2


def test_favicon_is_linked_and_served(client):
    page = client.get("/").get_data(as_text=True)
    link = page.split('<link rel="icon" href="', 1)[1].split('"', 1)[0]
    assert link.startswith("/static/favicon") and link.endswith(".svg")
    with client.get(link) as icon:
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
        assert b"#00704a" in icon.data
    # Browsers ask for /favicon.ico whatever the page says: no 404 in the logs.
    asked = client.get("/favicon.ico")
    assert (asked.status_code, asked.location) == (301, link)
