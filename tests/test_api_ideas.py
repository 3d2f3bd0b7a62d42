"""/api/v1/ideas: the site's listing, search and cursors; one idea; posting and editing."""

import html
import re
from datetime import timedelta

import pytest

from ideaboard.board.ideas import create_idea
from ideaboard.board.listing import DEFAULT_SHOW, SORTS, list_ideas, show_of
from ideaboard.board.merge import merge_ideas
from ideaboard.board.moderation import hide_idea
from ideaboard.board.pipeline import change_status
from ideaboard.board.search import SEARCH_SORTS, search
from ideaboard.db import db
from ideaboard.models import ACCEPTED, DECLINED, LAUNCHED, UNDER_REVIEW, Category, Idea, utcnow
from tests.api_support import (
    API,
    EVERY_SCOPE,
    ApiClient,
    assert_error,
    board_state,
    token_client,
)

SITE_TITLE = re.compile(r'class="idea-title"><a href="/ideas/(\d+)')
SITE_NEXT = re.compile(r'<a rel="next" href="([^"]+)"')


@pytest.fixture
def board(app, users, category) -> dict:
    """Ideas with ties and spread on every sort column, in two categories and every state;
    and some that no listing holds (hidden, waiting for review, merged away)."""
    now, staff = utcnow(), users["staff"]
    # (title, days old, votes, comments, hot, status, in the second category)
    rows = [
        ("Oat milk", 9, 5, 1, 3.5, UNDER_REVIEW, False),
        ("Soy milk", 8, 5, 4, 3.5, ACCEPTED, True),
        ("Almond milk", 7, 2, 4, 9.0, UNDER_REVIEW, False),
        ("Rice milk", 6, 0, 0, 1.0, LAUNCHED, True),
        ("Free refills", 5, 7, 2, 2.0, UNDER_REVIEW, True),
        ("Milk frother", 4, 2, 0, 3.5, DECLINED, False),
        ("Bigger cups", 3, 1, 9, 0.5, ACCEPTED, False),
        ("Quiet music", 2, 0, 1, 9.0, UNDER_REVIEW, False),
    ]
    with db.connection_context():
        snacks = Category.create(name="Snacks")
        made = {}
        for title, days, votes, comments, hot, status, second in rows:
            idea = create_idea(
                users["other"],
                title,
                f"About {title.lower()}.",
                snacks.id if second else category.id,
                created_at=now - timedelta(days=days),
            )
            if status != UNDER_REVIEW:
                change_status(idea, status, staff, "Decided.")
            # The counters stand for votes and comments: only the order matters here.
            Idea.update(vote_count=votes, comment_count=comments, hot=hot).where(
                Idea.id == idea.id
            ).execute()
            made[title] = idea.id
        hidden = create_idea(users["other"], "Hidden milk", "", category.id)
        hide_idea(hidden.id, staff, "Spam.")
        create_idea(users["other"], "Waiting milk", "", category.id, pending_review=True)
        merged = create_idea(users["other"], "Oat milk please", "", category.id)
        merge_ideas(merged.id, made["Oat milk"], staff)
    return {"ideas": made, "snacks": snacks.id, "drinks": category.id}


def api_order(client: ApiClient, params: dict, per_page: int = 2) -> list[int]:
    """Every idea of a listing, page after page by next_cursor; then back by previous_cursor,
    which must give the same pages in reverse."""
    pages, cursor = [], None
    while True:
        query = {**params, "per_page": per_page, **({"after": cursor} if cursor else {})}
        page = client.get(f"{API}/ideas", query_string=query).json
        pages.append([idea["id"] for idea in page["data"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert len(pages) <= 20, "the cursors go round in circles"
    backwards, cursor = [pages[-1]], page["previous_cursor"]
    while cursor:
        page = client.get(f"{API}/ideas", query_string={**params, "per_page": per_page,
                                                       "before": cursor}).json  # fmt: skip
        backwards.append([idea["id"] for idea in page["data"]])
        cursor = page["previous_cursor"]
    assert backwards[::-1] == pages
    return [idea_id for page in pages for idea_id in page]


def site_order(client, params: dict) -> list[int]:
    """The ideas the site's listing shows for the same filters, following its Next links."""
    found, url = [], "/?" + "&".join(f"{k}={v}" for k, v in params.items())
    while url:
        page = client.get(url).get_data(as_text=True)
        found += [int(number) for number in SITE_TITLE.findall(page)]
        following = SITE_NEXT.search(page)
        url = html.unescape(following.group(1)) if following else None
    return found


LISTINGS = [
    {"show": "all"},
    {"show": "closed"},
    {},
    {"status": ACCEPTED},
    {"status": LAUNCHED, "show": "all"},
]


@pytest.mark.parametrize("sort", sorted(SORTS))
def test_listing_matches_the_site_page_by_page(app, board, client, sort, subtests):
    app.config["IDEAS_PER_PAGE"] = 3
    api = ApiClient(app, None)
    filters = [*LISTINGS, {"category": board["snacks"]}, {"category": board["drinks"]}]
    for params in filters:
        with subtests.test(**params):
            params = {**params, "sort": sort}
            show = show_of(params.get("status"), params.get("show", DEFAULT_SHOW))
            with db.connection_context():
                expected = list_ideas(sort, params.get("status"), params.get("category"), 50,
                                      show=show).items  # fmt: skip
            expected = [idea.id for idea in expected]
            assert api_order(api, params) == expected
            assert site_order(client, params) == expected
    # The default sort is the site's default (hot), and only listed ideas ever show.
    listed = api_order(api, {"show": "all"}, per_page=100)
    assert listed == api_order(api, {"show": "all", "sort": "hot"})
    assert sorted(listed) == sorted(board["ideas"].values())


@pytest.mark.parametrize("sort", sorted(SEARCH_SORTS))
def test_search_matches_the_board_search(app, board, sort):
    api = ApiClient(app, None)
    for params in ({"q": "milk"}, {"q": "milk", "show": "open"}, {"q": "refills"}):
        params = {**params, "sort": sort}
        with db.connection_context():
            found = search(params["q"], sort, None, None, 50, show=params.get("show", "all"))
        expected = [hit.idea.id for hit in found.page.items]
        assert expected, params
        assert api_order(api, params) == expected
    # A search with no sort is by best match.
    assert api_order(api, {"q": "milk"}) == api_order(api, {"q": "milk", "sort": "best"})


def test_listing_refuses_bad_filters_with_fields(app, board):
    api = ApiClient(app, None)
    for params, field in [
        ({"sort": "random"}, "sort"),
        ({"status": "shipped"}, "status"),
        ({"per_page": 0}, "per_page"),
        ({"per_page": 101}, "per_page"),
        ({"per_page": "ten"}, "per_page"),
        ({"category": "drinks"}, "category"),
        ({"after": "x" * 81}, "after"),
    ]:
        response = api.get(f"{API}/ideas", query_string=params)
        assert_error(response, 400, "invalid_request")
        assert field in response.json["fields"]
    # Best match ranks search hits: a plain listing has no words to match, so it is hot.
    hot = api.get(f"{API}/ideas", query_string={"show": "all", "sort": "hot"}).json
    assert api.get(f"{API}/ideas", query_string={"show": "all", "sort": "best"}).json == hot
    # A cursor that is not one of ours is the first page, as on the site.
    first = api.get(f"{API}/ideas", query_string={"show": "all"}).json["data"]
    odd = api.get(f"{API}/ideas", query_string={"show": "all", "after": "9~x"}).json["data"]
    assert odd == first


def test_detail_names_the_author_and_never_an_email(app, users, idea):
    for client in (ApiClient(app, None), token_client(app, users["staff"], EVERY_SCOPE)):
        response = client.get(f"{API}/ideas/{idea.id}")
        shown = response.json
        assert shown["author"] == {
            "id": users["member"].id,
            "name": "Mia Member",
            "url": f"http://localhost/people/{users['member'].id}",
        }
        assert (shown["title"], shown["status"], shown["votes"]) == (
            "Free refills",
            UNDER_REVIEW,
            0,
        )
        assert shown["category"]["name"] == "Drinks"
        assert "@" not in response.get_data(as_text=True)
    assert ApiClient(app, None).get(f"{API}/ideas/{idea.id}").json["voted"] is None


def test_missing_idea_is_a_404_error_object(app, users):
    for raw in ("999999", "0", "-1", "abc", str(2**64)):
        assert_error(ApiClient(app, None).get(f"{API}/ideas/{raw}"), 404, "not_found")


# --- posting ----------------------------------------------------------------------------


def test_post_an_idea(app, users, category):
    client = token_client(app, users["member"])
    body = {"title": "  Oat milk  ", "body": "**Please.**", "category_id": category.id}
    response = client.post(f"{API}/ideas", body)
    assert response.status_code == 201
    made = response.json
    assert (made["title"], made["author"]["name"], made["status"]) == (
        "Oat milk",
        "Mia Member",
        UNDER_REVIEW,
    )
    assert made["body_html"].strip() == "<p><strong>Please.</strong></p>"
    with db.connection_context():
        idea = Idea.get_by_id(made["id"])
    assert (idea.author_id, idea.category_id, idea.vote_count) == (
        users["member"].id,
        category.id,
        0,
    )
    assert client.get(f"{API}/ideas/{idea.id}").json == {**made, "voted": False}


def test_same_title_asks_for_confirmation(app, users, idea):
    client = token_client(app, users["other"])
    response = client.post(f"{API}/ideas", {"title": "Free refills"})
    assert_error(response, 409, "duplicate")
    assert response.json["duplicate_id"] == idea.id
    confirmed = client.post(f"{API}/ideas", {"title": "Free refills", "confirm_duplicate": idea.id})
    assert confirmed.status_code == 201
    assert confirmed.json["id"] != idea.id


def test_first_posts_wait_for_review_when_asked(app, users):
    app.config["PREMODERATE_FIRST_POSTS"] = True
    author = token_client(app, users["member"])
    response = author.post(f"{API}/ideas", {"title": "Oat milk"})
    assert response.status_code == 201
    with db.connection_context():
        assert Idea.get_by_id(response.json["id"]).pending_review
    # Its author sees it; nobody else does yet.
    assert author.get(f"{API}/ideas/{response.json['id']}").status_code == 200
    assert_error(ApiClient(app, None).get(f"{API}/ideas/{response.json['id']}"), 404, "not_found")


INVALID_IDEAS = [
    ({"title": ""}, "title"),
    ({"title": "   "}, "title"),
    ({"title": "x" * 121}, "title"),
    ({"title": 5}, "title"),
    ({"title": "Oat milk", "body": "x" * 10_001}, "body"),
    ({"title": "Oat milk", "category_id": "1"}, "category_id"),
    ({"title": "Oat\x00milk"}, "title"),
    ({"body": "No title"}, "body"),
]


@pytest.mark.parametrize(("body", "field"), INVALID_IDEAS)
def test_invalid_idea_is_400_with_fields(app, users, category, body, field):
    before = board_state()
    response = token_client(app, users["member"]).post(f"{API}/ideas", body)
    assert_error(response, 400, "invalid_request")
    assert field in response.json["fields"]
    assert board_state() == before


def test_columns_sent_along_are_refused_and_nothing_is_stored(app, users, category):
    """Mass assignment: only the fields of the schema; tests/test_mass_assignment_api.py
    tries every write with many more."""
    before = board_state()
    sneaky = {"title": "Oat milk", "vote_count": 999, "author_id": 1, "status": "launched"}
    response = token_client(app, users["other"]).post(f"{API}/ideas", sneaky)
    assert_error(response, 400, "invalid_request")
    for name in ("vote_count", "author_id", "status"):
        assert f"'{name}'" in response.json["fields"]["body"]
    assert board_state() == before


def test_unknown_or_archived_category_is_409(app, users, category):
    with db.connection_context():
        archived = Category.create(name="Old", archived_at=utcnow())
    before = board_state()
    client = token_client(app, users["member"])
    for category_id in (999_999, archived.id):
        response = client.post(f"{API}/ideas", {"title": "Oat milk", "category_id": category_id})
        assert_error(response, 409, "unknown_category")
    assert board_state() == before


def test_body_must_be_json(app, users):
    client = token_client(app, users["member"])
    before = board_state()
    form = client.post(f"{API}/ideas", data={"title": "Oat milk"})
    assert_error(form, 415, "unsupported_media_type")
    broken = client.post(f"{API}/ideas", data='{"title": ', content_type="application/json")
    assert_error(broken, 400, "invalid_json")
    for shape in ([{"title": "Oat milk"}], "Oat milk", 5):
        assert_error(client.post(f"{API}/ideas", shape), 400, "invalid_request")
    assert board_state() == before


# --- editing ------------------------------------------------------------------------------


def test_author_edits_only_what_is_sent(app, users, idea):
    client = token_client(app, users["member"])
    response = client.patch(f"{API}/ideas/{idea.id}", {"title": "Free refills, always"})
    assert response.status_code == 200
    assert (response.json["title"], response.json["body"]) == (
        "Free refills, always",
        "On every cup.",
    )
    assert response.json["category"]["id"] == idea.category_id
    cleared = client.patch(f"{API}/ideas/{idea.id}", {"category_id": None})
    assert cleared.json["category"] is None
    assert_error(client.patch(f"{API}/ideas/{idea.id}", {}), 400, "invalid_request")


def test_only_the_author_or_staff_edit(app, users, idea):
    before = board_state()
    other = token_client(app, users["other"]).patch(f"{API}/ideas/{idea.id}", {"title": "Mine"})
    assert_error(other, 403, "forbidden")
    assert board_state() == before
    staff = token_client(app, users["staff"], EVERY_SCOPE)
    edited = staff.patch(f"{API}/ideas/{idea.id}", {"title": "Free refills (tidied)"})
    assert edited.status_code == 200
    with db.connection_context():
        assert Idea.get_by_id(idea.id).title == "Free refills (tidied)"
        assert Idea.get_by_id(idea.id).author_id == users["member"].id


def test_author_cannot_edit_once_staff_moved_it(app, users, idea):
    with db.connection_context():
        change_status(idea, ACCEPTED, users["staff"], "On it.")
    before = board_state()
    response = token_client(app, users["member"]).patch(f"{API}/ideas/{idea.id}", {"title": "X"})
    assert_error(response, 403, "forbidden")
    assert board_state() == before


def test_edit_of_a_missing_idea_is_404(app, users):
    response = token_client(app, users["member"]).patch(f"{API}/ideas/999999", {"title": "X"})
    assert_error(response, 404, "not_found")
