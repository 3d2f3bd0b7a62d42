"""How a page of search results is read at a million ideas, on SQLite FTS5 and PostgreSQL.

How common the words are decides the plan:

- FEW matches (a rare word): the index lists them all, each idea is looked up, the page is
  sorted. The cost grows with the matches.
- SOME (SQLite, up to tens of thousands): the index lists them once, into a set the database
  keeps for the query; the listing's own index is read in the page's order, each idea
  checked against that set, until the page is full.
- MANY (common words): the listing's index is read in order and each idea is checked against
  the search index on its own; with a match every few ideas, the page fills at once.

SQLite counts the matches (FTS5 walks its lists fast; past a cap, the newest ideas' matches
are counted and scaled). PostgreSQL reads a row for every match a GIN index yields, so it
does not count: ANALYZE's statistics say how common each word is (a word they do not list is
rare). A MANY walk has a budget of rows; a page it cannot fill is read the FEW way.
"Newest first" needs no plan on SQLite: FTS5 yields its matches in id order.
Numbers: docs/DATA-LAYER.md, "Search".
"""

import time
from dataclasses import dataclass
from functools import lru_cache

from peewee import JOIN, SQL, Expression, NodeList, Table, Tuple, fn

from ideaboard.board.search_text import (
    ANYWHERE,
    TITLE,
    Query,
    fts5_match,
    tsquery,
    tsquery_any,
)
from ideaboard.db import db, is_sqlite
from ideaboard.migrations.v12_search import SEARCH_TABLE, TEXT_CONFIG
from ideaboard.models import Idea

FEW, SOME, MANY = "few", "some", "many"


@dataclass(frozen=True)
class Limits:
    """Where one plan gives way to the next (measured at a million ideas)."""

    counted: int  # matches counted exactly (PostgreSQL: of words its statistics call rare)
    few: int  # up to this many matches, sorting them all is cheapest...
    some: int  # ...up to this many, a set of them checked along the listing's index
    window: int  # SQLite: the newest ideas whose matches estimate how common words are


SQLITE_LIMITS = Limits(counted=2000, few=2000, some=40_000, window=20_000)
POSTGRES_LIMITS = Limits(counted=300, few=4000, some=4000, window=0)
# Rows a MANY walk reads for each idea the page needs, at the words' estimated share.
WALK_MARGIN = 4
WALK_MAX = 20_000


def limits() -> Limits:
    return SQLITE_LIMITS if is_sqlite() else POSTGRES_LIMITS


@dataclass(frozen=True)
class Words:
    """A query, or a best-match tier of it, as the connected engine looks for it."""

    query: Query
    tier: int | None = ANYWHERE

    @property
    def fts5(self) -> str:
        return fts5_match(self.query, self.tier)


def words(query: Query, tier: int | None = ANYWHERE) -> Words:
    return Words(query, tier)


_fts = Table(SEARCH_TABLE, ("rowid", SEARCH_TABLE))
_documents = Table(SEARCH_TABLE, ("idea_id", "title_document", "document"))


def _tsquery(text: str):
    return fn.to_tsquery(SQL(f"'{TEXT_CONFIG}'::regconfig"), text)


def _match(found: Words):
    """The search index's condition for these words (on SQLite, its MATCH)."""
    if is_sqlite():
        return Expression(getattr(_fts, SEARCH_TABLE), "MATCH", found.fts5)
    query = found.query
    everywhere = Expression(_documents.document, "@@", _tsquery(tsquery(query)))
    in_title = Expression(_documents.title_document, "@@", _tsquery(tsquery(query, False)))
    if found.tier is ANYWHERE:
        return everywhere
    if found.tier == TITLE:
        if not query.excluded:
            return in_title
        left_out = Expression(_documents.document, "@@", _tsquery(tsquery_any(query.excluded)))
        return in_title & ~left_out
    return everywhere & ~in_title


def _matching_ids(found: Words):
    """The ids of every idea the index matches."""
    if is_sqlite():
        return _fts.select(_fts.rowid).where(_match(found))
    return _documents.select(_documents.idea_id).where(_match(found))


def count_upto(found: Words, limit: int) -> int:
    """How many ideas match, counting no further than `limit`."""
    matching = _matching_ids(found).limit(limit)
    return Idea.select(fn.COUNT(SQL("*"))).from_(matching.alias("found")).scalar()


def _sqlite_estimate(found: Words, window: int, newest: int) -> int:
    """About how many ideas match: the matches among the newest `window` ideas, scaled."""
    recent = _matching_ids(found).where(_fts.rowid > newest - window)
    count = Idea.select(fn.COUNT(SQL("*"))).from_(recent.alias("recent")).scalar()
    return count * max(newest, window) // window


_POSTGRES_SHARE = f"""
WITH lexemes AS (SELECT DISTINCT unnest(tsvector_to_array(to_tsvector('{TEXT_CONFIG}', %s))) AS e),
common AS (
  SELECT s.f FROM pg_stats p,
    unnest(p.most_common_elems::text::text[], p.most_common_elem_freqs) AS s(e, f)
  WHERE p.schemaname = current_schema() AND p.tablename = '{SEARCH_TABLE}'
    AND p.attname = %s AND s.e IN (SELECT e FROM lexemes))
SELECT (SELECT count(*) FROM lexemes), (SELECT count(*) FROM common),
  (SELECT min(f) FROM common),
  (SELECT reltuples FROM pg_class WHERE oid = '{SEARCH_TABLE}'::regclass)
"""


def _postgres_share(found: Words) -> tuple[float, float]:
    """ANALYZE's share of rows holding the rarest of the words, and the rows: (0, rows) when
    one of them is not among the common ones."""
    column = "title_document" if found.tier == TITLE else "document"
    # The statistics change when ANALYZE runs (minutes apart): a few minutes' answers kept.
    return _statistics(" ".join(found.query.terms), column, int(time.monotonic() // 300))


@lru_cache(maxsize=2048)
def _statistics(text: str, column: str, period: int) -> tuple[float, float]:
    lexemes, common, rarest, rows = db.execute_sql(_POSTGRES_SHARE, (text, column)).fetchone()
    share = float(rarest or 0) if lexemes and common == lexemes else 0.0
    return share, max(float(rows or 0), 0.0)


# SQLite: how common the words are that matched more ideas than are counted, by (database,
# limits, words), with the five-minute period it was estimated in. Like PostgreSQL's
# statistics, a slightly old estimate only picks the plan: every plan finds the same ideas.
# Words under the cap are counted each time (cheap, and exact where a new idea matters).
_common: dict[tuple, tuple[int, int, int]] = {}
_COMMON_KEPT = 4096


def forget_statistics() -> None:
    """Drop the estimates kept in this process (a new board under the same name: tests)."""
    _common.clear()
    _statistics.cache_clear()


def _sqlite_common(found: Words, chosen: Limits) -> tuple[int, int] | None:
    """(estimated matches, newest id) for words over the counting cap; None under it."""
    period = int(time.monotonic() // 300)
    key = (db.database, chosen, found.fts5)
    kept = _common.get(key)
    if kept and kept[0] == period:
        return kept[1], kept[2]
    if count_upto(found, chosen.counted + 1) <= chosen.counted:
        return None
    newest = max(Idea.select(fn.MAX(Idea.id)).scalar() or 1, 1)
    # More than `counted` match, whatever the newest ideas say.
    estimate = max(_sqlite_estimate(found, chosen.window, newest), chosen.counted + 1)
    if len(_common) >= _COMMON_KEPT:
        _common.clear()
    _common[key] = (period, estimate, newest)
    return estimate, newest


def frequency(found: Words) -> int:
    """About how many ideas match: counted (up to a cap) where that is cheap, else from
    the engine's statistics (PostgreSQL's) or an estimate kept a few minutes (SQLite)."""
    chosen = limits()
    if is_sqlite():
        common = _sqlite_common(found, chosen)
        if common:
            return common[0]
    else:
        share, rows = _postgres_share(found)
        if share:
            return max(int(share * rows), 1)
    return count_upto(found, chosen.counted + 1)


def plan(found: Words) -> tuple[str, float]:
    """FEW, SOME or MANY for these words, and their estimated share of ideas."""
    chosen = limits()
    if not is_sqlite():
        share, rows = _postgres_share(found)
        return (MANY if share * rows > chosen.few else FEW), share
    common = _sqlite_common(found, chosen)
    if common is None:
        return FEW, 0.0
    estimate, newest = common
    if estimate <= chosen.few:
        return FEW, estimate / newest
    return (SOME if estimate <= chosen.some else MANY), estimate / newest


def _each_checked(found: Words, idea_id):
    """The condition "this idea matches", evaluated for each idea a listing index yields."""
    if is_sqlite():
        return fn.EXISTS(_fts.select(SQL("1")).where(_match(found) & (_fts.rowid == idea_id)))
    # A correlated subquery PostgreSQL cannot turn into a join that reads every match first;
    # inside coalesce() its selectivity is not guessed as tiny (which would make it read and
    # sort every idea, JIT-compiling the plan on the way). OFFSET 0 keeps it from hashing
    # every match instead (its estimate of two common words together can be 20 times low:
    # 200 ms for "oat milk" at a million ideas, against a few ms checking each idea walked).
    row = _documents.select(SQL("1")).where(_documents.idea_id == idea_id, _match(found))
    return fn.COALESCE(fn.EXISTS(row.offset(0)), False)


def _in_set(found: Words):
    """The condition "this idea is among the matches", the matches listed once (SQLite)."""
    # Unary +: the id may not be looked up from the list; the listing index is read.
    return NodeList((SQL("+"), Idea.id), glue="").in_(_matching_ids(found))


def _few(found: Words, column, conditions: list):
    if is_sqlite():
        # CROSS JOIN: SQLite keeps the matches as the outer loop, whatever its statistics say.
        return (
            Idea.select(*_keys(column))
            .from_(_fts)
            .join(Idea, JOIN.CROSS)
            .where(_match(found), Idea.id == _fts.rowid, *conditions)
        )
    # Materialized: PostgreSQL reads the matches from the GIN index first.
    matching = _matching_ids(found).cte("found", materialized=True)
    return (
        Idea.select(*_keys(column))
        .with_cte(matching)
        .where(*conditions, Idea.id.in_(matching.select(matching.c.idea_id)))
    )


def _newest_sqlite(found: Words, conditions: list, limit: int, key, forward: bool) -> list:
    """FTS5 hands its matches over in id order: read them so, stop when the page is full."""
    query = (
        Idea.select(Idea.id)
        .from_(_fts)
        .join(Idea, on=(Idea.id == _fts.rowid))
        .where(_match(found), *conditions)
        .order_by(_fts.rowid.desc() if forward else _fts.rowid.asc())
    )
    if key is not None:
        query = query.where(_fts.rowid < key[1] if forward else _fts.rowid > key[1])
    return list(query.limit(limit))


def _keys(column) -> tuple:
    """What a page's rows are read as: the id and the sort value (once, when it is the id)."""
    return (Idea.id,) if column is Idea.id else (Idea.id, column)


def _ordered(query, column, limit: int, key, forward: bool):
    """The query after the (value, id) key, in the column's order, up to `limit` rows."""
    if key is not None:
        position = Tuple(column, Idea.id)
        query = query.where(position < Tuple(*key) if forward else position > Tuple(*key))
    order = (column.desc(), Idea.id.desc()) if forward else (column.asc(), Idea.id.asc())
    return query.order_by(*order).limit(limit)


def _walk_postgres(found: Words, conditions, column, limit, key, forward, share, bounded) -> list:
    """The MANY walk, with a budget of rows: a page it cannot fill is read the FEW way
    (unless `bounded`: then the matches among the rows walked are all there is)."""
    budget = min(WALK_MAX, int(limit * WALK_MARGIN / max(share, 1e-6)) + 100)
    walk = _ordered(Idea.select(*_keys(column)).where(*conditions), column, budget, key, forward)
    walked = walk.alias("walk")
    sort_value = getattr(walked.c, column.column_name)
    order = (sort_value.desc(), walked.c.id.desc()) if forward else (sort_value.asc(), walked.c.id)
    hits = list(
        Idea.select(*((walked.c.id,) if column is Idea.id else (walked.c.id, sort_value)))
        .from_(walked)
        .where(_each_checked(found, walked.c.id))
        .order_by(*order)
        .limit(limit)
    )
    if len(hits) == limit or bounded:
        return hits
    return list(_ordered(_few(found, column, conditions), column, limit, key, forward))


def fetch(
    found: Words, conditions: list, column, limit: int, key=None, forward=True, bounded=False
) -> list:
    """Up to `limit` matching ideas (id, sort value) in the column's order (descending when
    forward), after the (value, id) key, read by the plan these words call for. `bounded`:
    common words' matches may be looked for among the first rows of the order only (words
    common apart, rare together: similar ideas' lookups)."""
    if not limit:
        return []
    if column is Idea.id and is_sqlite():
        return _newest_sqlite(found, conditions, limit, key, forward)
    chosen, share = plan(found)
    if chosen == FEW:
        return list(_ordered(_few(found, column, conditions), column, limit, key, forward))
    if is_sqlite():
        check = _in_set(found) if chosen == SOME else _each_checked(found, Idea.id)
        query = Idea.select(*_keys(column)).where(*conditions, check)
        return list(_ordered(query, column, limit, key, forward))
    return _walk_postgres(found, conditions, column, limit, key, forward, share, bounded)
