"""Search pages (web/search.py): `/?q=` results in the listing, the header's search box, the
nothing-found page, similar ideas as JSON and on the new-idea form, exact duplicate titles."""

import re

import pytest

from ideaboard.board.comments import add_comment
from ideaboard.board.ideas import create_idea
from ideaboard.board.votes import set_vote
from ideaboard.db import db
from ideaboard.models import ACCEPTED, Idea
from tests.test_search import HOSTILE

HEADER_FORM = re.compile(r'<form class="site-search".*?</form>', re.S)
ROW_TITLES = re.compile(r'<h2 class="idea-title"><a href="[^"]+">(.*?)</a></h2>', re.S)


@pytest.fixture
def ideas(users, category):
    member, other = users["member"], users["other"]
    with db.connection_context():
        made = {
            "oat": create_idea(member, "Oat milk", "Creamy.", category.id),
            "body": create_idea(other, "Dairy free", "Oat drinks, please."),
            "comment": create_idea(member, "Plant choices", "More of them."),
            "xss": create_idea(other, "<b>oat</b> <script>alert(1)</script>", "<i>x</i>"),
        }
        add_comment(made["comment"].id, other, "Oat would be nice")
        Idea.update(status=ACCEPTED).where(Idea.id == made["body"].id).execute()
        Idea.update(vote_count=3).where(Idea.id == made["oat"].id).execute()
        return {key: idea.id for key, idea in made.items()}


def titles(page: str) -> list[str]:
    return ROW_TITLES.findall(page)


def test_results_page_lists_marked_matches(client, ideas):
    response = client.get("/?q=oat")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>Search: oat" in page and "Search results" in page
    assert titles(page)[0] == "<mark>Oat</mark> milk"
    assert len(titles(page)) == 4
    assert "<mark>Oat</mark> drinks, please." in page
    assert "In a comment:</span> <mark>Oat</mark> would be nice" in page
    # Best match is a sort of its own, chosen by default.
    assert re.search(r'<a href="/\?q=oat&amp;sort=best"[^>]*aria-current="page">Best match', page)


def test_user_text_is_escaped_and_only_matches_are_marked(client, ideas):
    page = client.get("/?q=oat+alert").get_data(as_text=True)
    assert "&lt;b&gt;<mark>oat</mark>&lt;/b&gt; &lt;script&gt;<mark>alert</mark>(1)" in page
    assert "<script>alert" not in page and "<b>oat" not in page and "<i>x" not in page


def test_filters_and_sorts_apply_to_the_results(client, ideas, category):
    assert titles(client.get("/?q=oat&status=accepted").get_data(as_text=True)) == ["Dairy free"]
    page = client.get(f"/?q=oat&category={category.id}&sort=new").get_data(as_text=True)
    assert titles(page) == ["<mark>Oat</mark> milk"]
    # The filter form and the sort tabs keep the search.
    assert '<input type="hidden" name="q" value="oat">' in page
    assert f'href="/?q=oat&amp;category={category.id}&amp;sort=top"' in page
    closed = client.get("/?q=oat&show=closed").get_data(as_text=True)
    assert "No ideas match “oat”" in closed and 'href="/?q=oat&amp;show=all"' in closed


def test_header_search_box_keeps_the_filters_in_use(client, ideas, category):
    home = HEADER_FORM.search(client.get("/").get_data(as_text=True)).group(0)
    assert 'name="q" value=""' in home and 'type="hidden"' not in home
    listing = client.get(f"/?status=accepted&category={category.id}&sort=top&q=oat")
    form = HEADER_FORM.search(listing.get_data(as_text=True)).group(0)
    assert 'name="q" value="oat"' in form
    for name, value in (("status", "accepted"), ("category", category.id), ("sort", "top")):
        assert f'<input type="hidden" name="{name}" value="{value}">' in form
    # Elsewhere the box starts a new search over everything.
    detail = client.get(f"/ideas/{ideas['oat']}").get_data(as_text=True)
    assert 'type="hidden"' not in HEADER_FORM.search(detail).group(0)


def test_nothing_found_says_so_and_what_to_try(client, ideas):
    page = client.get("/?q=zanzibar&status=launched").get_data(as_text=True)
    assert "No ideas match “zanzibar”" in page
    assert 'href="/?q=zanzibar&amp;show=all">Search all ideas</a>' in page
    assert "Post it as a new idea" in page
    empty = client.get("/?q=%F0%9F%8E%89").get_data(as_text=True)
    assert "Nothing to search for" in empty


def test_paging_keeps_the_search(client, users):
    with db.connection_context():
        for n in range(25):
            create_idea(users["member"], f"Tea number {n}", "")
    page = client.get("/?q=tea").get_data(as_text=True)
    assert len(titles(page)) == 20
    following = re.search(r'rel="next" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert following.startswith("/?q=tea&after=")
    rest = client.get(following).get_data(as_text=True)
    assert len(titles(rest)) == 5 and set(titles(rest)).isdisjoint(titles(page))


@pytest.mark.parametrize("text", HOSTILE[:12] + ["x" * 2000, "\x00", "%", "' OR 1=1 --"])
def test_hostile_searches_are_pages_not_errors(client, ideas, text):
    assert client.get("/", query_string={"q": text}).status_code == 200
    response = client.get("/ideas/similar", query_string={"title": text})
    assert response.status_code == 200 and isinstance(response.json["ideas"], list)


def test_similar_ideas_json_says_what_the_viewer_voted_for(client, users, ideas):
    with db.connection_context():
        set_vote(ideas["oat"], users["member"], True)
    anonymous = client.get("/ideas/similar?title=Oat+milk+please").json
    assert [i["id"] for i in anonymous["ideas"]][:1] == [ideas["oat"]]
    assert anonymous["ideas"][0]["voted"] is False and anonymous["duplicate"] is None
    client.login("member@example.com")
    response = client.get("/ideas/similar?title=oat  MILK")
    assert response.headers["Cache-Control"] == "private, no-store"
    first = response.json["ideas"][0]
    assert first == {
        "id": ideas["oat"],
        "title": "Oat milk",
        "url": f"/ideas/{ideas['oat']}/oat-milk",
        "vote_url": f"/ideas/{ideas['oat']}/vote",
        "status": "under_review",
        "status_label": "Under review",
        "votes": 4,
        "voted": True,
        "open": True,
    }
    assert response.json["duplicate"]["id"] == ideas["oat"]


def test_preview_lists_similar_ideas_with_vote_buttons(client, users, ideas):
    client.login("other@example.com")
    response = client.post_form("/ideas/new", {"title": "Oat milk lattes", "preview": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    section = page[page.index('id="similar"') :]
    assert "Already suggested?" in section and "hidden" not in section[:200]
    assert f'action="/ideas/{ideas["oat"]}/vote"' in section
    assert "This idea is already on the board" not in page


def test_exact_duplicate_warns_on_preview_and_needs_confirming(client, users, ideas):
    client.login("other@example.com")
    preview = client.post_form("/ideas/new", {"title": "  OAT   milk ", "preview": "1"})
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "This idea is already on the board" in page
    assert f'href="/ideas/{ideas["oat"]}/oat-milk">Oat milk</a>' in page
    refused = client.post_form("/ideas/new", {"title": "Oat milk", "body": "Mine"})
    assert refused.status_code == 400
    assert "An open idea already has this title" in refused.get_data(as_text=True)
    with db.connection_context():
        assert Idea.select().where(Idea.title == "Oat milk").count() == 1
    wrong = client.post_form("/ideas/new", {"title": "Oat milk", "duplicate_ok": "999"})
    assert wrong.status_code == 400
    posted = client.post_form(
        "/ideas/new", {"title": "Oat milk", "body": "Mine", "duplicate_ok": str(ideas["oat"])}
    )
    assert posted.status_code == 302
    with db.connection_context():
        assert Idea.select().where(Idea.title == "Oat milk").count() == 2


def test_a_closed_idea_with_the_same_title_is_no_duplicate(client, users, ideas):
    with db.connection_context():
        Idea.update(status="launched", is_open=False).where(Idea.id == ideas["oat"]).execute()
    client.login("other@example.com")
    assert client.post_form("/ideas/new", {"title": "Oat milk"}).status_code == 302


def test_editing_an_idea_shows_no_similar_ideas(client, users, ideas):
    client.login("member@example.com")
    page = client.get(f"/ideas/{ideas['oat']}/edit").get_data(as_text=True)
    assert 'id="similar"' not in page and "js/search." not in page
    assert "js/search." in client.get("/ideas/new").get_data(as_text=True)
