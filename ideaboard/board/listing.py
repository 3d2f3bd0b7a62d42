"""How idea listings are sorted, filtered and paged: home page, triage, roadmap and feeds."""

import math
from dataclasses import dataclass
from datetime import datetime

from peewee import JOIN, DateTimeField, Field, FloatField, Tuple

from ideaboard.models import (
    ACCEPTED_OR_LATER,
    STATUS_LABELS,
    UNDER_REVIEW,
    Category,
    Idea,
    User,
    utcnow,
)

# Each sort is one column, tie-broken by id; models.Idea has an index for each of them.
SORTS = {
    "hot": ("Hot", Idea.hot),
    "top": ("Top", Idea.vote_count),
    "new": ("New", Idea.created_at),
    "discussed": ("Most discussed", Idea.comment_count),
}
DEFAULT_SORT = "hot"
# Which ideas a listing holds: open ones (under review, accepted, in progress), closed ones
# (launched or declined) or all. Open and closed are read from the (is_open, column, id) indexes.
OPEN, CLOSED, ALL = "open", "closed", "all"
SHOWS = {OPEN: "Open", CLOSED: "Closed", ALL: "All"}
DEFAULT_SHOW = OPEN
CURSOR_SEPARATOR = "~"


def publicly_listed():
    """The ideas listings, search and feeds show: not hidden by staff, not merged into
    another, not waiting for a first post's review. Each is rare, so reading a listing index
    in order and skipping them costs next to nothing."""
    return Idea.hidden_at.is_null() & Idea.merged_into.is_null() & ~Idea.pending_review


@dataclass
class Page:
    """One page of a keyset listing, with cursors for the pages either side (None: no page)."""

    items: list
    next_cursor: str | None = None
    previous_cursor: str | None = None
    is_first: bool = True


def idea_query():
    """Ideas with their author and category in one query (no query per row)."""
    return (
        Idea.select(Idea, User, Category)
        .join(User, on=(Idea.author == User.id))
        .switch(Idea)
        .join(Category, JOIN.LEFT_OUTER, on=(Idea.category == Category.id))
    )


def encode_cursor(idea: Idea, column: Field) -> str:
    value = getattr(idea, column.name)
    text = value.isoformat() if isinstance(value, datetime) else repr(value)
    return f"{text}{CURSOR_SEPARATOR}{idea.id}"


def decode_cursor(raw: str | None, column: Field) -> tuple | None:
    """The (sort value, id) a cursor points at, or None when it is missing or malformed."""
    if not raw or len(raw) > 80 or CURSOR_SEPARATOR not in raw:
        return None
    text, _, idea_id = raw.rpartition(CURSOR_SEPARATOR)
    try:
        if isinstance(column, DateTimeField):
            value = datetime.fromisoformat(text).replace(tzinfo=None)
        elif isinstance(column, FloatField):
            value = float(text)
        else:
            value = int(text)
        key = int(idea_id)
    except ValueError:
        return None
    # Out of the columns' range (or NaN/infinity): not a cursor this app made.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, int) and abs(value) >= 2**62 or not 0 < key < 2**31:
        return None
    return column.db_value(value), key


def keyset_page(
    query,
    column: Field,
    per_page: int,
    *,
    descending: bool = True,
    after: str | None = None,
    before: str | None = None,
) -> Page:
    """A page read straight from the (column, id) index, after or before a cursor.

    Unlike OFFSET, the cost does not grow with the page depth: the database seeks to the
    cursor in the index and reads one page.
    """
    key = Tuple(column, Idea.id)
    forward = (column.desc(), Idea.id.desc()) if descending else (column.asc(), Idea.id.asc())
    backward = (column.asc(), Idea.id.asc()) if descending else (column.desc(), Idea.id.desc())
    after_key, before_key = decode_cursor(after, column), decode_cursor(before, column)
    if before_key:
        condition = key > Tuple(*before_key) if descending else key < Tuple(*before_key)
        rows = list(query.where(condition).order_by(*backward).limit(per_page + 1))
        has_more_before = len(rows) > per_page
        items = list(reversed(rows[:per_page]))
        return Page(
            items=items,
            next_cursor=encode_cursor(items[-1], column) if items else None,
            previous_cursor=encode_cursor(items[0], column) if has_more_before else None,
            is_first=not has_more_before,
        )
    if after_key:
        condition = key < Tuple(*after_key) if descending else key > Tuple(*after_key)
        query = query.where(condition)
    # One extra row tells whether a next page exists without counting the whole table.
    rows = list(query.order_by(*forward).limit(per_page + 1))
    items = rows[:per_page]
    return Page(
        items=items,
        next_cursor=encode_cursor(items[-1], column) if len(rows) > per_page else None,
        previous_cursor=encode_cursor(items[0], column) if after_key and items else None,
        is_first=not after_key,
    )


def row_id(raw) -> int | None:
    """A row id typed in a filter or a cursor: ASCII digits only (a leading # allowed), in
    range; anything else is None (str.isdigit() alone accepts "¹", which int() refuses)."""
    text = str(raw or "").strip().lstrip("#")
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) < 2**31 else None


def id_page(
    query, id_column: Field, per_page: int, after_id: int | None, before_id: int | None
) -> Page:
    """Newest first by id alone, after or before an id cursor (the admin's lists: people and
    the audit log), read from the primary key like keyset_page reads a listing index."""
    if before_id:
        rows = list(query.where(id_column > before_id).order_by(id_column).limit(per_page + 1))
        more_before = len(rows) > per_page
        items = list(reversed(rows[:per_page]))
        return Page(
            items,
            next_cursor=str(items[-1].id) if items else None,
            previous_cursor=str(items[0].id) if more_before and items else None,
            is_first=not more_before,
        )
    if after_id:
        query = query.where(id_column < after_id)
    rows = list(query.order_by(id_column.desc()).limit(per_page + 1))
    items = rows[:per_page]
    return Page(
        items,
        next_cursor=str(items[-1].id) if len(rows) > per_page else None,
        previous_cursor=str(items[0].id) if after_id and items else None,
        is_first=not after_id,
    )


def show_of(status: str | None, show: str) -> str:
    """The group a listing is in: a chosen status decides it, unless all ideas are shown."""
    if status in STATUS_LABELS and show != ALL:
        return CLOSED if status in Idea.CLOSED_STATUSES else OPEN
    return show if show in SHOWS else DEFAULT_SHOW


def list_ideas(
    sort: str,
    status: str | None,
    category_id: int | None,
    per_page: int,
    after: str | None = None,
    before: str | None = None,
    show: str = ALL,
) -> Page:
    """One page of a listing; a status filter, when given, already says open or closed."""
    query = idea_query().where(*listing_conditions(status, category_id, show))
    column = SORTS.get(sort, SORTS[DEFAULT_SORT])[1]
    return keyset_page(query, column, per_page, after=after, before=before)


def listing_conditions(status: str | None, category_id: int | None, show: str = ALL) -> list:
    """Which ideas a listing (or a search) holds: public ones, in the filters' status (or open,
    or closed) and category."""
    conditions = [publicly_listed()]
    if status in STATUS_LABELS:
        conditions.append(Idea.status == status)
    elif show in (OPEN, CLOSED):
        conditions.append(Idea.is_open == (show == OPEN))
    if category_id:
        conditions.append(Idea.category == category_id)
    return conditions


def triage_page(per_page: int, after: str | None = None, before: str | None = None) -> Page:
    """Ideas nobody has answered yet, oldest first, so none waits forever."""
    return keyset_page(
        idea_query().where((Idea.status == UNDER_REVIEW) & publicly_listed()),
        Idea.created_at,
        per_page,
        descending=False,
        after=after,
        before=before,
    )


def any_ideas() -> bool:
    """Whether the board has any idea at all (for an empty listing to say the right thing)."""
    return Idea.select(Idea.id).limit(1).exists()


def response_wait(
    created_at: datetime, target_days: int, now: datetime | None = None
) -> tuple[int, int]:
    """Whole days an idea has waited for an answer, and by how many it is past the target."""
    waited = max(((now or utcnow()) - created_at).days, 0)
    return waited, max(waited - target_days, 0)


def accepted_ideas(limit: int, status: str | None = None) -> list[Idea]:
    """Ideas the company said yes to (or those in one such status), newest decision first.

    Read from the (accepted_at, id) or (status, accepted_at, id) index; declined ones drop out.
    """
    condition = Idea.status.in_(ACCEPTED_OR_LATER) if status is None else Idea.status == status
    return list(
        idea_query()
        # accepted_at is set for all of them; saying so lets PostgreSQL skip the NULLs that
        # come first in a descending index scan (730,000 of them at a million ideas: seconds)
        # instead of filtering them row by row.
        .where(condition & Idea.accepted_at.is_null(False) & publicly_listed())
        .order_by(Idea.accepted_at.desc(), Idea.id.desc())
        .limit(limit)
    )
