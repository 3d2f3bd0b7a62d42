"""/api/v1/ideas: list, search, read, post and edit ideas; vote for them and follow them.

Each view calls the same rules and checks as the pages (board/ and the pages' helpers), so the
API cannot allow what the site refuses.
"""

from flask import current_app
from werkzeug.datastructures import MultiDict

from ideaboard.board.follows import is_following, set_following
from ideaboard.board.ideas import can_edit, create_idea, edit_idea
from ideaboard.board.listing import ALL, DEFAULT_SHOW, DEFAULT_SORT, list_ideas, show_of
from ideaboard.board.moderation import needs_review
from ideaboard.board.search import BEST, DEFAULT_SEARCH_SORT, duplicate_of, search
from ideaboard.board.votes import (
    VoteBudgetSpent,
    VotingClosed,
    VotingMerged,
    set_vote,
    voted_ids,
)
from ideaboard.models import Idea
from ideaboard.web.api.endpoint import READ, WRITE, api_throttle, endpoint, fail
from ideaboard.web.api.schemas import IDEA_CREATE_WITH_CONFIRMATION, IDEA_EDIT, IDEA_QUERY
from ideaboard.web.api.shapes import idea_shape
from ideaboard.web.forms import idea_form
from ideaboard.web.idea_page import get_idea_or_404
from ideaboard.web.login import viewer
from ideaboard.web.vote_budget import budget

IDEA = "Ideas"
IDEA_PATH = "/ideas/<api_id:idea_id>"


def _shapes(ideas: list[Idea]) -> list[dict]:
    user = viewer()
    if user is None:
        return [idea_shape(idea) for idea in ideas]
    voted = voted_ids(user.id, [idea.id for idea in ideas])
    return [idea_shape(idea, idea.id in voted) for idea in ideas]


@endpoint(
    "GET",
    "/ideas",
    tag=IDEA,
    summary="List or search ideas",
    description=(
        "The site's listing: the same sorts, filters and cursors. With `q`, a search (sort"
        " `best` by default; without `q`, `best` means `hot`). Follow `next_cursor` with"
        " `after`, `previous_cursor` with `before`."
    ),
    query=IDEA_QUERY,
    returns="IdeaPage",
    errors=(400,),
)
def ideas_list(query: dict):
    per_page, status = query.get("per_page", 20), query.get("status")
    after, before, category = query.get("after"), query.get("before"), query.get("category")
    words = query.get("q", "").strip()
    if words:
        sort = query.get("sort", DEFAULT_SEARCH_SORT)
        found = search(
            words, sort, status, category, per_page, after, before, query.get("show", ALL),
            passages=False,
        )  # fmt: skip
        page, ideas = found.page, [hit.idea for hit in found.hits]
    else:
        # Best match needs words to match: without them, the listing's default order.
        sort = query.get("sort", DEFAULT_SORT).replace(BEST, DEFAULT_SORT)
        show = show_of(status, query.get("show", DEFAULT_SHOW))
        page = list_ideas(sort, status, category, per_page, after, before, show)
        ideas = page.items
    return {
        "data": _shapes(ideas),
        "next_cursor": page.next_cursor,
        "previous_cursor": page.previous_cursor,
    }


@endpoint(
    "GET",
    IDEA_PATH,
    tag=IDEA,
    summary="One idea",
    description="With its author's display name. A merged idea says which one it joined.",
    returns="Idea",
    errors=(404,),
)
def idea_detail(idea_id: int):
    return _shapes([get_idea_or_404(idea_id)])[0]


def _checked_form(data: dict, idea: Idea | None):
    """The site's idea form, filled from JSON: its field rules and messages, no CSRF field
    (a token is the proof; a browser session was checked in authorize())."""
    category = data.get("category_id", idea.category_id if idea else None)
    fields = MultiDict(
        {
            "title": data.get("title", idea.title if idea else ""),
            "body": data.get("body", idea.body if idea else ""),
            # int(): JSON Schema counts 1.0 as the integer 1, which the form would not.
            "category": str(int(category or 0)),
        }
    )
    form = idea_form(idea, formdata=fields, meta={"csrf": False})
    if not form.validate():
        if set(form.errors) == {"category"}:
            # Well-formed, but no such category takes ideas now (deleted or archived).
            fail(409, "unknown_category", "There is no open category with that id.")
        problems = {("category_id" if k == "category" else k): v[0] for k, v in form.errors.items()}
        fail(400, "invalid_request", "Some fields are not valid.", fields=problems)
    return form


@endpoint(
    "POST",
    "/ideas",
    tag=IDEA,
    summary="Post an idea",
    description=(
        "Posted under the token owner's name. An open idea with the very same title is"
        " refused (409 `duplicate`, with its id) unless `confirm_duplicate` names it."
    ),
    scope=WRITE,
    body=IDEA_CREATE_WITH_CONFIRMATION,
    status=201,
    returns="Idea",
    errors=(400, 409),
)
@api_throttle("IDEA")
def idea_create(body: dict):
    form = _checked_form(body, None)
    duplicate = duplicate_of(form.title.data)
    if duplicate is not None and body.get("confirm_duplicate") != duplicate.id:
        fail(
            409,
            "duplicate",
            f"Idea #{duplicate.id} already has this title: vote for it, or send"
            f" confirm_duplicate: {duplicate.id} to post yours anyway.",
            duplicate_id=duplicate.id,
        )
    user = viewer()
    # With pre-moderation on, a new account's ideas wait for staff until one is approved.
    waits = current_app.config["PREMODERATE_FIRST_POSTS"] and needs_review(user)
    # By keyword: the fifth parameter is created_at, which took `waits` and let it be ignored.
    idea = create_idea(
        user, form.title.data, form.body.data, form.category.data, pending_review=waits
    )
    return _shapes([get_idea_or_404(idea.id)])[0]


@endpoint(
    "PATCH",
    IDEA_PATH,
    tag=IDEA,
    summary="Edit an idea",
    description="By its author while it is under review, or by staff. Send only what changes.",
    scope=WRITE,
    body=IDEA_EDIT,
    returns="Idea",
    errors=(400, 404, 409),
)
def idea_edit(idea_id: int, body: dict):
    idea = get_idea_or_404(idea_id)
    if not can_edit(idea, viewer()):
        fail(403, "forbidden", "Only its author can edit an idea, while it is under review.")
    form = _checked_form(body, idea)
    edit_idea(idea.id, form.title.data, form.body.data, form.category.data)
    return _shapes([get_idea_or_404(idea.id)])[0]


def _vote(idea_id: int, wanted: bool) -> dict:
    get_idea_or_404(idea_id)
    try:
        result = set_vote(idea_id, viewer(), wanted, budget=budget())
    except VoteBudgetSpent as spent:
        fail(409, "vote_budget_spent", str(spent), votes=spent.result.votes, budget=spent.budget)
    except VotingMerged as merged:
        # The code comments and status changes give a merged idea, naming where to vote.
        fail(409, "merged", str(merged), votes=merged.result.votes, merged_into=merged.original_id)
    except VotingClosed as closed:
        fail(409, "voting_closed", str(closed), votes=closed.result.votes)
    if result is None:
        fail(404, "not_found", "There is no idea with that number.")
    return {"idea_id": idea_id, "voted": wanted, "votes": result.votes}


VOTE_NOTE = "Idempotent: saying it twice changes nothing. Closed and merged ideas refuse (409)."


@endpoint(
    "PUT",
    IDEA_PATH + "/vote",
    tag=IDEA,
    summary="Vote for an idea",
    description=VOTE_NOTE,
    scope=WRITE,
    returns="Vote",
    errors=(404, 409),
)
@api_throttle("VOTE", "PUT")
def vote_cast(idea_id: int):
    return _vote(idea_id, True)


@endpoint(
    "DELETE",
    IDEA_PATH + "/vote",
    tag=IDEA,
    summary="Withdraw a vote",
    description=VOTE_NOTE,
    scope=WRITE,
    returns="Vote",
    errors=(404, 409),
)
@api_throttle("VOTE", "DELETE")
def vote_withdraw(idea_id: int):
    return _vote(idea_id, False)


def _follow(idea_id: int, wanted: bool | None) -> dict:
    idea, user = get_idea_or_404(idea_id), viewer()
    if wanted is not None:
        set_following(user.id, idea.id, wanted)
    return {"idea_id": idea.id, "following": is_following(user.id, idea.id)}


FOLLOW_NOTE = "Followers hear of every status change and answer, by notification and mail."


@endpoint(
    "GET",
    IDEA_PATH + "/follow",
    tag=IDEA,
    summary="Whether you follow an idea",
    scope=READ,
    returns="Follow",
    errors=(404,),
)
def follow_state(idea_id: int):
    return _follow(idea_id, None)


@endpoint(
    "PUT",
    IDEA_PATH + "/follow",
    tag=IDEA,
    summary="Follow an idea",
    description=FOLLOW_NOTE,
    scope=WRITE,
    returns="Follow",
    errors=(404,),
)
def follow_start(idea_id: int):
    return _follow(idea_id, True)


@endpoint(
    "DELETE",
    IDEA_PATH + "/follow",
    tag=IDEA,
    summary="Stop following an idea",
    scope=WRITE,
    returns="Follow",
    errors=(404,),
)
def follow_stop(idea_id: int):
    return _follow(idea_id, False)
