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
from ideaboard.db import db, is_sqlite
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


def test_statement_count_does_not_grow_with_results(users, sql_log):
    def statements(count: int) -> int:
        with db.connection_context():
            Idea.delete().execute()
            for n in range(count):
                idea = create_idea(users["member"], f"Kiwi {n}", "")
                add_comment(idea.id, users["other"], "kiwi")
            # PostgreSQL's statistics are kept a few minutes: read them each time here.
            search_plans._statistics.cache_clear()
            start = len(sql_log)
            search("kiwi", "hot")
            return len(sql_log) - start

    assert statements(2) == statements(12)


def plans(sql_log, run, in_order: bool = False) -> list[str]:
    """The plans of the statements run() sends to the search index. PostgreSQL may not scan
    whole tables (tiny here, where that is cheapest) but may use bitmaps: GIN needs them;
    `in_order`: nor sort a page, as it would not at a million ideas."""
    start = len(sql_log)
    run()
    found = []
    for sql, params in sql_log[start:]:
        # Counts and statistics say which plan; the page's own statement is the one to see.
        if SEARCH_TABLE not in sql or sql.startswith("SELECT COUNT") or "pg_stats" in sql:
            continue
        if is_sqlite():
            rows = db.execute_sql("EXPLAIN QUERY PLAN " + sql, params)
            found.append(" | ".join(row[3] for row in rows))
        else:
            with db.atomic():
                db.execute_sql("SET LOCAL enable_seqscan = off")
                if in_order:
                    db.execute_sql("SET LOCAL enable_sort = off")
                rows = db.execute_sql("EXPLAIN " + sql, params)
                found.append(" | ".join(row[0] for row in rows))
    return found


def test_a_few_matches_are_read_from_the_index_then_sorted(board, sql_log):
    with db.connection_context():
        [plan] = plans(sql_log, lambda: search("oat", "top", show="open"))
    if is_sqlite():
        assert plan.startswith("SCAN t2 VIRTUAL TABLE INDEX 0:M"), plan
        assert "SEARCH t1 USING INTEGER PRIMARY KEY" in plan, plan
    else:
        assert f"Bitmap Index Scan on {SEARCH_TABLE}_document" in plan, plan
        assert "CTE found" in plan and "Seq Scan" not in plan, plan


def test_many_matches_are_checked_along_the_listing_index(board, sql_log, monkeypatch):
    monkeypatch.setattr(search_plans, "limits", lambda: search_plans.Limits(0, 0, 0, 10))
    # PostgreSQL reads how common words are from ANALYZE's statistics: say "half the board".
    monkeypatch.setattr(search_plans, "_postgres_share", lambda found: (0.5, 1000.0))
    with db.connection_context():
        assert search_plans.plan(search_plans.words(parse("oat")))[0] == search_plans.MANY
        found = plans(sql_log, lambda: search("oat", "top", show="open"), in_order=True)
    plan = found[0]
    if is_sqlite():
        assert len(found) == 1
        assert plan.startswith("SEARCH t1 USING INDEX idea_is_open_vote_count_id"), plan
        assert "VIRTUAL TABLE INDEX 0:=M" in plan and "TEMP B-TREE" not in plan, plan
    else:
        # A budget of rows from the listing index, each checked until the page is full;
        # this page cannot be (four ideas), so the matches are then read the FEW way.
        assert len(found) == 2 and "CTE found" in found[1], found
        assert plan.startswith("Limit"), plan
        assert "Index Scan Backward using idea_is_open_vote_count_id" in plan, plan
        assert f"Index Scan using {SEARCH_TABLE}_pkey" in plan, plan
        assert "Sort" not in plan and "Seq Scan" not in plan, plan


def test_some_matches_are_listed_once_then_read_in_listing_order(board, sql_log, monkeypatch):
    """SQLite only: on PostgreSQL listing the matches costs what reading them does."""
    if not is_sqlite():
        assert search_plans.POSTGRES_LIMITS.few == search_plans.POSTGRES_LIMITS.some
        return
    monkeypatch.setattr(search_plans, "limits", lambda: search_plans.Limits(0, 0, 100, 10))
    with db.connection_context():
        assert search_plans.plan(search_plans.words(parse("oat")))[0] == search_plans.SOME
        [plan] = plans(sql_log, lambda: search("oat", "top", show="open"))
    assert plan.startswith("SEARCH t1 USING INDEX idea_is_open_vote_count_id"), plan
    assert "LIST SUBQUERY 1 | SCAN t2 VIRTUAL TABLE INDEX 0:M" in plan, plan
    assert "TEMP B-TREE" not in plan, plan


def test_newest_first_reads_matches_in_id_order(board, sql_log):
    with db.connection_context():
        [plan] = plans(sql_log, lambda: search("oat", "new"))
    if is_sqlite():
        # The index hands its matches newest first: no sorting, however many match.
        assert plan.startswith("SCAN t2 VIRTUAL TABLE INDEX"), plan
        assert "SEARCH t1 USING INTEGER PRIMARY KEY" in plan and "TEMP B-TREE" not in plan
    else:
        assert f"Bitmap Index Scan on {SEARCH_TABLE}_document" in plan, plan


def test_bench_seed_fills_the_index_after_its_load_and_restores_the_triggers(runner):
    size = {"ideas": 60, "votes": 300, "comments": 120, "users": 50}
    args = [
        "bench-seed",
        "--end",
        "2026-01-01",
        *sum(([f"--{k}", str(v)] for k, v in size.items()), []),
    ]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "search index: filled in" in result.output
    with db.connection_context():
        assert db.execute_sql(f"SELECT count(*) FROM {SEARCH_TABLE}").fetchone()[0] == 60
        first = Idea.get_by_id(1)
        assert first.id in ids(search(first.title, per_page=60))
        commented = Comment.select().where(~Comment.is_official).first()
        assert commented.idea_id in ids(search(f'"{commented.body}"', per_page=60))
        walrus = create_idea(Idea.get_by_id(1).author, "Walrus sightings", "")
        assert ids(search("walrus")) == [walrus.id]
