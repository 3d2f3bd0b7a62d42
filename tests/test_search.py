"""Search (board/search.py) on SQLite FTS5 and PostgreSQL: what matches, in which order, with
the listing's filters; the index kept in step by the database's triggers; hostile input."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ideaboard.board import search as board_search
from ideaboard.board import search_plans
from ideaboard.board.comments import add_comment, delete_comment, edit_comment
from ideaboard.board.ideas import create_idea, edit_idea
from ideaboard.board.merge import merge_ideas
from ideaboard.board.moderation import hide_comment, hide_idea, restore_comment, restore_idea
from ideaboard.board.search import BEST, SEARCH_SORTS, duplicate_of, search, similar_ideas
from ideaboard.board.search_text import fts5_match, parse, tsquery
from ideaboard.db import db
from ideaboard.migrations.v12_search import (
    SEARCH_TABLE,
    create_search_triggers,
    drop_search_triggers,
    fill_search_index,
)
from ideaboard.models import ACCEPTED, LAUNCHED, Comment, Idea

HOSTILE = [
    '"',
    '""',
    '"oat',
    "oat*",
    "*",
    "AND (",
    "oat AND (milk OR",
    "NEAR(oat milk, 2)",
    "oat NEAR milk",
    "-",
    "-oat",
    "oat -",
    "title:oat",
    ":",
    "{title}: oat",
    "^oat",
    "oat & milk | !cup",
    "'oat' <-> 'milk'",
    "oat:*",
    "\\",
    "\x00oat\x00",
    "oat\x00milk",
    "🎉🥛",
    "🥛 oat 🥛",
    "!!!???...",
    "x" * 2000,
    "oat " * 500,
    "ǅ ẞ ﬁ Ⅻ ²",
    "  ",
    "the and of",
]


def ids(results) -> list[int]:
    return [hit.idea.id for hit in results.hits]


@pytest.fixture
def board(users, category):
    """Ideas whose words sit in their title, description or a comment, with votes set."""
    member, other = users["member"], users["other"]
    with db.connection_context():
        made = {
            "title": create_idea(member, "Oat milk for every drink", "Plant based, please."),
            "title_low": create_idea(other, "Cold oat milk", "Iced.", category.id),
            "body": create_idea(member, "Dairy free options", "Oat milk would be great."),
            "comment": create_idea(other, "More plant choices", "Soy, almond and more."),
            "none": create_idea(member, "Free refills", "On every cup."),
        }
        add_comment(made["comment"].id, member, "And oat milk too!")
        for key, votes in (("title", 5), ("title_low", 2), ("body", 9), ("comment", 1)):
            Idea.update(vote_count=votes).where(Idea.id == made[key].id).execute()
        return {key: idea.id for key, idea in made.items()}


def test_finds_words_in_titles_descriptions_and_comments(board):
    with db.connection_context():
        found = ids(search("oat milk"))
        assert set(found) == {board["title"], board["title_low"], board["body"], board["comment"]}
        assert ids(search("almond")) == [board["comment"]]
        assert ids(search("refills")) == [board["none"]]
        # Stemmed: "drinks" finds "drink", "choice" finds "choices".
        assert ids(search("drinks")) == [board["title"]]
        assert ids(search("choice")) == [board["comment"]]
        assert ids(search("oat milk refills")) == []


def test_best_match_puts_title_matches_first_then_description_then_comments(board):
    with db.connection_context():
        # Within each, the most voted first.
        assert ids(search("oat milk", BEST)) == [
            board["title"],
            board["title_low"],
            board["body"],
            board["comment"],
        ]


def test_phrases_and_exclusions(board):
    with db.connection_context():
        assert board["title"] in ids(search('"oat milk"'))
        assert ids(search('"milk oat"')) == []
        assert set(ids(search("oat -cold"))) == {board["title"], board["body"], board["comment"]}


@pytest.mark.parametrize("sort", sorted(SEARCH_SORTS))
def test_every_sort_with_status_and_category_filters(board, category, sort):
    with db.connection_context():
        Idea.update(status=LAUNCHED, is_open=False).where(Idea.id == board["body"]).execute()
        everything = search("oat", sort, per_page=50).hits
        assert {hit.idea.id for hit in everything} == {
            board["title"],
            board["title_low"],
            board["body"],
            board["comment"],
        }
        if sort != BEST:
            column = board_search.SEARCH_COLUMNS[sort]
            keys = [getattr(hit.idea, column.name) for hit in everything]
            assert keys == sorted(keys, reverse=True)
        assert ids(search("oat", sort, status=LAUNCHED)) == [board["body"]]
        assert ids(search("oat", sort, status=ACCEPTED)) == []
        assert ids(search("oat", sort, category_id=category.id)) == [board["title_low"]]
        assert ids(search("oat", sort, status=LAUNCHED, category_id=category.id)) == []
        assert board["body"] not in ids(search("oat", sort, show="open"))
        assert ids(search("oat", sort, show="closed")) == [board["body"]]


@pytest.mark.parametrize("sort", sorted(SEARCH_SORTS))
@pytest.mark.parametrize("way", ["few", "some", "many"])
def test_pages_forward_and_back_cover_every_match_once(users, sort, way, monkeypatch):
    """Whichever way the words make the pages read, each match shows once, in order."""
    if way != "few":
        some = 10**6 if way == "some" else 0
        monkeypatch.setattr(search_plans, "limits", lambda: search_plans.Limits(0, 0, some, 10))
        monkeypatch.setattr(search_plans, "_postgres_share", lambda found: (0.5, 10**6))
    with db.connection_context():
        for n in range(7):
            idea = create_idea(users["member"], f"Tea idea {n}", "tea" if n % 2 else "")
            Idea.update(vote_count=n % 3, comment_count=n % 4).where(Idea.id == idea.id).execute()
            if n % 3 == 0:
                add_comment(idea.id, users["other"], "More tea")
        first = search("tea", sort, per_page=3)
        assert first.page.is_first and first.page.previous_cursor is None
        pages, page = [ids(first)], first
        while page.page.next_cursor:
            page = search("tea", sort, per_page=3, after=page.page.next_cursor)
            pages.append(ids(page))
            assert not page.page.is_first
        assert [len(p) for p in pages] == [3, 3, 1]
        assert sorted(sum(pages, [])) == sorted(ids(search("tea", sort, per_page=50)))
        back = search("tea", sort, per_page=3, before=page.page.previous_cursor)
        assert ids(back) == pages[1]
        back = search("tea", sort, per_page=3, before=back.page.previous_cursor)
        assert ids(back) == pages[0] and back.page.is_first


def test_passages_are_marked_pieces_of_the_matching_text(board):
    with db.connection_context():
        hits = {hit.idea.id: hit for hit in search("oat milk").hits}
    title_hit, body_hit, comment_hit = (hits[board[k]] for k in ("title", "body", "comment"))
    assert title_hit.title == [
        ("Oat", True),
        (" ", False),
        ("milk", True),
        (" for every drink", False),
    ]
    # A title match quotes the start of the description, unmarked.
    assert title_hit.passage == [("Plant based, please.", False)] and title_hit.source
    assert ("Oat", True) in body_hit.passage and body_hit.source == "description"
    assert comment_hit.source == "comment" and ("milk", True) in comment_hit.passage


def test_the_index_follows_edits(board):
    with db.connection_context():
        edit_idea(board["none"], "Free coffee refills", "Espresso too.", None)
        assert ids(search("espresso")) == [board["none"]]
        assert ids(search("cup")) == []
        edit_idea(board["none"], "Free refills", "Tea.", None)
        assert ids(search("espresso")) == [] and ids(search("tea")) == [board["none"]]


def test_the_index_follows_comments_added_edited_deleted_and_hidden(board, users):
    member, staff = users["member"], users["staff"]
    with db.connection_context():
        comment = add_comment(board["none"], member, "Hazelnut syrup?")
        assert ids(search("hazelnut")) == [board["none"]]
        edit_comment(comment.id, member, "Vanilla syrup?")
        assert ids(search("hazelnut")) == [] and ids(search("vanilla")) == [board["none"]]
        hide_comment(comment.id, staff)
        assert ids(search("vanilla")) == []
        restore_comment(comment.id, staff)
        assert ids(search("vanilla")) == [board["none"]]
        delete_comment(comment.id, member)
        assert ids(search("vanilla")) == []
        # The idea's other comment still counts.
        assert ids(search("almond")) == [board["comment"]]


def test_hidden_merged_and_pending_ideas_leave_results(board, users):
    staff = users["staff"]
    with db.connection_context():
        hide_idea(board["body"], staff, "spam")
        assert board["body"] not in ids(search("oat"))
        restore_idea(board["body"], staff)
        assert board["body"] in ids(search("oat"))
        merge_ideas(board["title_low"], board["title"], staff)
        assert board["title_low"] not in ids(search("oat"))
        assert board["title"] in ids(search("oat"))
        Idea.update(pending_review=True).where(Idea.id == board["comment"]).execute()
        assert board["comment"] not in ids(search("oat"))
        assert duplicate_of("More plant choices") is None


def test_deleted_ideas_leave_the_index(board):
    with db.connection_context():
        Idea.delete().where(Idea.id == board["comment"]).execute()
        assert ids(search("almond")) == []
        rows = db.execute_sql(f"SELECT count(*) FROM {SEARCH_TABLE}").fetchone()[0]
        assert rows == len(board) - 1


def test_filling_the_index_in_bulk_finds_rows_written_without_triggers(board, users):
    """What v12 does for a board upgraded from v11, and bench-seed after its bulk load."""
    with db.connection_context():
        drop_search_triggers(db.obj)
        idea = create_idea(users["member"], "Matcha latte", "")
        Comment.create(idea=idea.id, author=users["other"].id, body="Yes, matcha!")
        assert ids(search("matcha")) == []
        with db.atomic():
            fill_search_index(db.obj)
        create_search_triggers(db.obj)
        assert ids(search("matcha")) == [idea.id]
        assert len(ids(search("oat milk"))) == 4


def test_similar_ideas_and_exact_duplicates(board):
    with db.connection_context():
        similar = [idea.id for idea in similar_ideas("Oat milk in every store")]
        assert similar[:2] == [board["title"], board["title_low"]]
        assert board["none"] not in similar
        assert similar_ideas("🎉") == [] and similar_ideas("") == []
        assert duplicate_of("  cold   OAT milk ").id == board["title_low"]
        assert duplicate_of("Cold oat milk please") is None
        Idea.update(is_open=False).where(Idea.id == board["title_low"]).execute()
        assert duplicate_of("Cold oat milk") is None


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_gives_a_result_or_nothing(board, text):
    with db.connection_context():
        for sort in SEARCH_SORTS:
            assert isinstance(ids(search(text, sort)), list)
        assert isinstance(similar_ideas(text), list)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=st.text(max_size=300), sort=st.sampled_from(sorted(SEARCH_SORTS)))
def test_any_text_is_a_result_never_an_error(board, text, sort):
    with db.connection_context():
        results = search(text, sort, status=None)
        assert all(hit.idea.id in board.values() for hit in results.hits)
        similar_ideas(text)
        duplicate_of(text)


@given(text=st.text(max_size=2000))
@settings(max_examples=300, deadline=None)
def test_query_text_is_built_from_quoted_words_only(text):
    query = parse(text)
    assert len(query.terms) <= 8 and len(query.excluded) <= 4
    for word in query.terms + query.excluded:
        # Letters and digits only: nothing the engines' query languages read as syntax.
        assert word.isalnum(), word
    if not query.is_empty:
        assert fts5_match(query).count('"') % 2 == 0
        assert tsquery(query).count("'") % 2 == 0
