"""How idea listings are sorted, filtered and paged (shared by the home page and staff views)."""

from dataclasses import dataclass

from peewee import JOIN

from ideaboard.models import STATUS_LABELS, Category, Idea, User

# Each sort is backed by an index on (column, id) so the database never sorts in memory.
SORTS = {
    "hot": ("Hot", (Idea.hot.desc(), Idea.id.desc())),
    "top": ("Top", (Idea.vote_count.desc(), Idea.id.desc())),
    "new": ("New", (Idea.created_at.desc(), Idea.id.desc())),
    "discussed": ("Most discussed", (Idea.comment_count.desc(), Idea.id.desc())),
}
DEFAULT_SORT = "hot"
MAX_PAGE = 500


@dataclass
class Page:
    items: list
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def parse_page(raw: str | None) -> int:
    """Page numbers from the query string: anything odd means page 1, huge ones are capped."""
    try:
        number = int(raw or 1)
    except ValueError:
        return 1
    return min(max(number, 1), MAX_PAGE)


def idea_query():
    """Ideas with their author and category in one query (no query per row)."""
    return (
        Idea.select(Idea, User, Category)
        .join(User, on=(Idea.author == User.id))
        .switch(Idea)
        .join(Category, JOIN.LEFT_OUTER, on=(Idea.category == Category.id))
    )


def list_ideas(
    sort: str, status: str | None, category_id: int | None, page: int, per_page: int
) -> Page:
    query = idea_query()
    if status in STATUS_LABELS:
        query = query.where(Idea.status == status)
    if category_id:
        query = query.where(Idea.category == category_id)
    order = SORTS.get(sort, SORTS[DEFAULT_SORT])[1]
    # One extra row tells whether a next page exists without counting the whole table.
    rows = list(query.order_by(*order).limit(per_page + 1).offset((page - 1) * per_page))
    return Page(items=rows[:per_page], number=page, has_next=len(rows) > per_page)
