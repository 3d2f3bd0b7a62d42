"""Search: publicly listed ideas whose title, description or visible comments hold every word
typed, in any listing order or by best match, with the matches highlighted; and the ideas
like a title being typed (similar_ideas), so people vote instead of posting a duplicate.

One interface over SQLite FTS5 and PostgreSQL full-text search (the index: migrations/
v12_search.py; the query text: board/search_text.py; how each page is read: board/
search_plans.py). Whatever was typed, the database gets a query it can parse.
"""

from dataclasses import dataclass

from peewee import fn

from ideaboard.board import search_plans as plans
from ideaboard.board.listing import (
    ALL,
    SORTS,
    Page,
    decode_cursor,
    encode_cursor,
    idea_query,
    listing_conditions,
)
from ideaboard.board.search_text import (
    ANYWHERE,
    CONTROL,
    TIERS,
    TITLE,
    Marker,
    Pieces,
    Query,
    is_marked,
    parse,
)
from ideaboard.models import Comment, Idea
from ideaboard.text import excerpt, plain_text

BEST = "best"
SEARCH_SORTS = {BEST: "Best match", **{key: label for key, (label, _) in SORTS.items()}}
# The listing's orders, but "new" is posting order (the id): the index yields it.
SEARCH_COLUMNS = {key: column for key, (_, column) in SORTS.items()} | {"new": Idea.id}
DEFAULT_SEARCH_SORT = BEST
# Words of a title that similar_ideas considers, and how many of them (the rarest) it looks up.
SIMILAR_WORDS = 8
SIMILAR_LOOKUPS = 3
# Comments read per idea to quote the one that matched.
QUOTED_COMMENTS = 100
TIER_SEPARATOR = ":"

# --- pages ---------------------------------------------------------------------------------


def _sorted_page(text, conditions, column, per_page, after, before) -> Page:
    """Like listing.keyset_page, over the matches only."""
    after_key, before_key = decode_cursor(after, column), decode_cursor(before, column)
    if before_key:
        rows = plans.fetch(text, conditions, column, per_page + 1, before_key, forward=False)
        more_before = len(rows) > per_page
        items = list(reversed(rows[:per_page]))
        return Page(
            items,
            next_cursor=encode_cursor(items[-1], column) if items else None,
            previous_cursor=encode_cursor(items[0], column) if more_before else None,
            is_first=not more_before,
        )
    rows = plans.fetch(text, conditions, column, per_page + 1, after_key)
    items = rows[:per_page]
    return Page(
        items,
        next_cursor=encode_cursor(items[-1], column) if len(rows) > per_page else None,
        previous_cursor=encode_cursor(items[0], column) if after_key and items else None,
        is_first=not after_key,
    )


def _decode_tier_cursor(raw: str | None) -> tuple[int, tuple | None] | None:
    tier, separator, rest = (raw or "").partition(TIER_SEPARATOR)
    if not separator or tier not in {str(t) for t in TIERS}:
        return None
    return int(tier), decode_cursor(rest, Idea.vote_count) if rest else None


def _tier_cursor(tier: int, row) -> str:
    return f"{tier}{TIER_SEPARATOR}{encode_cursor(row, Idea.vote_count)}"


def _best_page(query: Query, conditions, per_page, after, before) -> Page:
    """Ideas with every word in the title first, then the others (the words in the
    description or comments); the most voted first within each. Paged by (tier, votes, id)."""
    column = Idea.vote_count
    start = _decode_tier_cursor(before or after)
    forward = not (before and start)
    if start is None:
        start, after = (TIERS[0], None), None
    tier, key = start
    order = [t for t in TIERS if (t >= tier if forward else t <= tier)]
    found: list[tuple[int, Idea]] = []
    for current in order if forward else reversed(order):
        need = per_page + 1 - len(found)
        rows = plans.fetch(
            plans.words(query, current),
            conditions,
            column,
            need,
            key if current == tier else None,
            forward,
        )
        found += [(current, row) for row in rows]
        if len(found) > per_page:
            break
    more = len(found) > per_page
    found = found[:per_page]
    if not forward:
        found.reverse()
    items = [row for _, row in found]
    first, last = (found[0], found[-1]) if found else (None, None)
    return Page(
        items,
        next_cursor=_tier_cursor(*last) if last and (more or not forward) else None,
        previous_cursor=_tier_cursor(*first) if first and (not forward and more or after) else None,
        is_first=not (after if forward else more),
    )


# --- results --------------------------------------------------------------------------------


@dataclass
class Hit:
    """An idea found, with its title and a passage highlighted (pieces: (text, is_match))."""

    idea: Idea
    title: Pieces
    passage: Pieces | None = None
    # Where the passage comes from: "description", "comment", or None (no passage).
    source: str | None = None


@dataclass
class Results:
    query: Query
    page: Page  # items: Hit

    @property
    def hits(self) -> list[Hit]:
        return self.page.items


def _hydrate(rows: list) -> list[Idea]:
    """The full ideas (author, category) for a page of ids, in the page's order."""
    ids = [row.id for row in rows]
    by_id = {idea.id: idea for idea in idea_query().where(Idea.id.in_(ids))} if ids else {}
    return [by_id[i] for i in ids if i in by_id]


def _comment_passages(idea_ids: list[int], marker: Marker) -> dict[int, Pieces]:
    """For each idea, the first of its (first QUOTED_COMMENTS) visible comments that matches."""
    if not idea_ids:
        return {}
    number = fn.ROW_NUMBER().over(partition_by=[Comment.idea], order_by=[Comment.id])
    ranked = (
        Comment.select(Comment.idea, Comment.body, number.alias("n"))
        .where(Comment.idea.in_(idea_ids) & Comment.hidden_at.is_null())
        .alias("ranked")
    )
    rows = (
        Comment.select(ranked.c.idea_id, ranked.c.body)
        .from_(ranked)
        .where(ranked.c.n <= QUOTED_COMMENTS)
        .order_by(ranked.c.idea_id, ranked.c.n)
        .tuples()
    )
    passages: dict[int, Pieces] = {}
    for idea_id, body in rows:
        if idea_id not in passages:
            passage = marker.snippet(plain_text(body))
            if passage:
                passages[idea_id] = passage
    return passages


def _hits(ideas: list[Idea], query: Query) -> list[Hit]:
    """Each idea with its title highlighted and a passage: where the description matches,
    else (title matches) the description's start, else the first comment that matches."""
    hits, marker = [], Marker(query)
    for idea in ideas:
        title = marker.highlight(idea.title)
        passage = marker.snippet(plain_text(idea.body))
        if passage is None and is_marked(title) and idea.body:
            passage = [(excerpt(idea.body), False)]
        hits.append(Hit(idea, title, passage, passage and "description"))
    quoted = _comment_passages([h.idea.id for h in hits if h.passage is None], marker)
    for hit in hits:
        if hit.idea.id in quoted:
            hit.passage, hit.source = quoted[hit.idea.id], "comment"
    return hits


def search(
    text: str | Query,
    sort: str = DEFAULT_SEARCH_SORT,
    status: str | None = None,
    category_id: int | None = None,
    per_page: int = 20,
    after: str | None = None,
    before: str | None = None,
    show: str = ALL,
    passages: bool = True,
) -> Results:
    """One page of the publicly listed ideas that hold every word, with the listing's filters
    and any of its sorts (or best match); an empty page for a query without words."""
    query = text if isinstance(text, Query) else parse(text)
    if query.is_empty:
        return Results(query, Page([]))
    conditions = listing_conditions(status, category_id, show)
    if sort in SORTS:
        column = SEARCH_COLUMNS[sort]
        page = _sorted_page(
            plans.words(query, ANYWHERE), conditions, column, per_page, after, before
        )
    else:
        page = _best_page(query, conditions, per_page, after, before)
    ideas = _hydrate(page.items)
    page.items = _hits(ideas, query) if passages else [Hit(i, [(i.title, False)]) for i in ideas]
    return Results(query, page)


# --- while posting --------------------------------------------------------------------------


def _rarest_first(words) -> list[str]:
    """The words that some title holds, the rarest first (a count each, capped)."""
    frequency = {w: plans.frequency(plans.words(Query(words=(w,)), TITLE)) for w in words}
    return sorted((w for w in words if frequency[w]), key=lambda w: frequency[w])


def similar_ideas(title: str, limit: int = 5) -> list[Idea]:
    """The publicly listed ideas most like a title being typed: those whose titles hold the
    most of its words, the most voted first.

    Candidates: the most voted titles with all of its rarest words, and those with each of
    them (rare words say most about an idea; a word no title holds, a typo or a word still
    being typed, is left out). A bounded number of small queries, at any size.
    """
    query = parse(title)
    rarest = _rarest_first(query.terms[:SIMILAR_WORDS])[:SIMILAR_LOOKUPS]
    lookups = [tuple(rarest)] if len(rarest) > 1 else []
    lookups += [(word,) for word in rarest[: SIMILAR_LOOKUPS - 1 or 1]]
    conditions = listing_conditions(None, None, ALL)
    candidates: dict[int, object] = {}
    for words in lookups:
        found = plans.words(Query(words=words), TITLE)
        for row in plans.fetch(found, conditions, Idea.vote_count, limit, bounded=True):
            candidates.setdefault(row.id, row)
    ideas = _hydrate(list(candidates.values()))
    marker = Marker(query)
    shared = {i.id: sum(marked for _, marked in marker.highlight(i.title)) for i in ideas}
    ideas.sort(key=lambda i: (-shared[i.id], -i.vote_count, -i.id))
    return ideas[:limit]


def duplicate_of(title: str) -> Idea | None:
    """An open, publicly listed idea with exactly this title (capitals and runs of spaces
    aside), the most voted if several; read from the index of lower-cased titles."""
    # Control characters (NUL: PostgreSQL refuses it) are never in a stored title.
    wanted = " ".join(CONTROL.sub(" ", title).split())
    if not wanted:
        return None
    # No ORDER BY: sorted by votes, PostgreSQL would walk the votes index looking for the
    # title instead of reading the title's few rows from its own index.
    same = (
        Idea.select(Idea.id, Idea.vote_count)
        # lower() on both sides: SQLite's lowers only ASCII, the same way for both.
        .where(
            fn.LOWER(Idea.title) == fn.LOWER(wanted),
            Idea.is_open == True,  # noqa: E712
            *listing_conditions(None, None, ALL),
        )
    )
    best = max(same, key=lambda row: (row.vote_count, row.id), default=None)
    return idea_query().where(Idea.id == best.id).first() if best else None
