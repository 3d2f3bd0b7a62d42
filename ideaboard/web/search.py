"""Search pages: results on the home listing (`/?q=…`), the ideas like a title being typed
(`/ideas/similar`, JSON for static/js/search.js), and the same list on the new-idea form's
preview, with a warning when an open idea already has the exact title."""

from flask import Blueprint, jsonify, render_template, request, url_for
from flask_login import current_user

from ideaboard.board.categories import list_categories
from ideaboard.board.listing import ALL, SHOWS, show_of
from ideaboard.board.search import (
    DEFAULT_SEARCH_SORT,
    SEARCH_SORTS,
    duplicate_of,
    search,
    similar_ideas,
)
from ideaboard.board.search_text import MAX_INPUT, parse
from ideaboard.board.votes import voted_ids
from ideaboard.models import Idea
from ideaboard.web.listing_rows import Rows, assemble, rows_from
from ideaboard.web.login import viewer
from ideaboard.web.page_cache import remember
from ideaboard.web.templating import idea_url

bp = Blueprint("search", __name__)

# The number of ideas shown while posting.
SIMILAR = 5
# Longer titles are cut before the lookup (the form allows 120 characters).
SIMILAR_INPUT = 200


def search_sort(raw: str | None) -> str:
    return raw if raw in SEARCH_SORTS else DEFAULT_SEARCH_SORT


def _rows(query, sort, status, category_id, per_page, after, before, show) -> Rows:
    results = search(query, sort, status, category_id, per_page, after, before, show)
    ideas = [hit.idea for hit in results.hits]
    return rows_from(results.page, "ideas/_search_rows.html", ideas, query=query)


def render_search(text: str, status, category_id, picked_show: str, per_page: int):
    """The home listing's page for a search: the hits with the filters, sorts and pager."""
    sort = search_sort(request.args.get("sort"))
    show = show_of(status, picked_show)
    query = parse(text)
    after, before = request.args.get("after"), request.args.get("before")
    # The rows are the same for everyone (but the vote buttons): kept per board version.
    key = f"search:{query}:{sort}:{show}:{status}:{category_id}:{per_page}:{after}:{before}"
    rows = remember(
        key, lambda: _rows(query, sort, status, category_id, per_page, after, before, show)
    )
    signed_in = viewer()
    return render_template(
        "ideas/index.html",
        q=text[:MAX_INPUT],
        query=query,
        rows=rows,
        rows_html=assemble(rows, signed_in.id if signed_in else None),
        sort=sort,
        sorts={key: (label, None) for key, label in SEARCH_SORTS.items()},
        show=show,
        picked_show=picked_show,
        shows=SHOWS,
        default_show=ALL,
        status=status,
        category_id=category_id,
        categories=remember("categories", list_categories),
    )


def _as_json(idea: Idea, voted: set[int]) -> dict:
    return {
        "id": idea.id,
        "title": idea.title,
        "url": idea_url(idea),
        "vote_url": url_for("ideas.vote", idea_id=idea.id),
        "status": idea.status,
        "status_label": idea.status_label,
        "votes": idea.vote_count,
        "voted": idea.id in voted,
        "open": idea.is_open,
    }


def _like(title: str, user_id: int | None) -> tuple[list[Idea], Idea | None, set[int]]:
    """The ideas like a title (an open one with exactly that title first), that one, and
    which of them the viewer voted for."""
    title = title[:SIMILAR_INPUT]
    duplicate = duplicate_of(title)
    ideas = similar_ideas(title, SIMILAR)
    if duplicate:
        ideas = [duplicate, *(i for i in ideas if i.id != duplicate.id)][:SIMILAR]
    shown = [i.id for i in ideas]
    return ideas, duplicate, voted_ids(user_id, shown) if user_id and shown else set()


@bp.route("/ideas/similar")
def similar():
    """The five publicly listed ideas most like ?title=, and an open one with that exact
    title, as JSON: the new-idea form shows them while the title is typed."""
    signed_in = viewer()
    ideas, duplicate, voted = _like(request.args.get("title", ""), signed_in and signed_in.id)
    response = jsonify(
        ideas=[_as_json(idea, voted) for idea in ideas],
        duplicate=_as_json(duplicate, voted) if duplicate else None,
    )
    # Personal (whether the viewer voted): never kept by a shared cache.
    response.headers["Cache-Control"] = "private, no-store"
    return response


def posting_help(title: str | None) -> dict:
    """What the new-idea form shows for a title: the same as /ideas/similar."""
    ideas, duplicate, voted = _like(title or "", current_user.id)
    return {"similar": ideas, "duplicate": duplicate, "voted": voted}


DUPLICATE = (
    "An open idea already has this title: vote for it (above), change your title, or tick"
    " “Post mine anyway”."
)


def refuse_unconfirmed_duplicate(form, duplicate: Idea | None) -> None:
    """Posting an exact duplicate needs the author's confirmation: the title gets an error
    until they tick "post mine anyway" (for this very idea). A preview only warns."""
    confirmed = duplicate is None or request.form.get("duplicate_ok") == str(duplicate.id)
    if "preview" not in request.form and not confirmed:
        form.title.errors = [*form.title.errors, DUPLICATE]
