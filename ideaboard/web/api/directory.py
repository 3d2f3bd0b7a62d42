"""/api/v1 categories, people, the changelog, and the caller's own account."""

from flask import g, url_for

from ideaboard.board import people
from ideaboard.board.api_tokens import scopes_allowed
from ideaboard.board.categories import list_categories
from ideaboard.board.changelog import ChangelogError, find_post, posts_page, publish
from ideaboard.board.follows import followed_ideas
from ideaboard.board.listing import row_id
from ideaboard.web.api.endpoint import READ, STAFF, endpoint, fail
from ideaboard.web.api.schemas import CHANGELOG_CREATE, PAGE_QUERY
from ideaboard.web.api.shapes import category_shape, changelog_shape, timestamp
from ideaboard.web.login import viewer
from ideaboard.web.people import NO_SUCH_PERSON

BOARD, PEOPLE = "Board", "People"
# The caller's followed ideas listed on /me; the site's page shows as many.
FOLLOWING_LIMIT = 500


@endpoint(
    "GET",
    "/categories",
    tag=BOARD,
    summary="Categories",
    description="Those that take new ideas, in the board's order.",
    returns="CategoryList",
)
def category_list():
    return {"data": [category_shape(c) for c in list_categories()]}


@endpoint(
    "GET",
    "/people/<api_id:user_id>",
    tag=PEOPLE,
    summary="A person's public profile",
    description="Public fields only: never an email address.",
    returns="Person",
    errors=(404,),
)
def person_detail(user_id: int):
    person = people.find_person(user_id)
    if person is None or person.deleted_at:
        fail(404, "not_found", NO_SUCH_PERSON)
    return {
        "id": person.id,
        "name": person.name,
        "staff": person.is_staff,
        "bio": person.bio,
        "joined_at": timestamp(person.created_at),
        "ideas": people.idea_count(person.id),
        "url": url_for("people.profile", user_id=person.id, _external=True),
    }


@endpoint(
    "GET",
    "/me",
    tag=PEOPLE,
    summary="Your own account",
    description="Who the token acts for, its scopes, and the ideas you follow.",
    scope=READ,
    returns="Me",
)
def me():
    user = viewer()
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "role": user.role,
        # A browser session has every scope its role allows; a token, what it was given.
        "scopes": [scope for scope in g.api_scopes if scope in scopes_allowed(user)],
        "following": [idea.id for idea in followed_ideas(user.id, FOLLOWING_LIMIT)],
    }


def _post_shape(found) -> dict:
    return changelog_shape(found.post, [idea.id for idea in found.ideas])


@endpoint(
    "GET",
    "/changelog",
    tag=BOARD,
    summary="Release notes",
    description="Newest first, with the ideas each one delivers.",
    query=PAGE_QUERY,
    returns="ChangelogPage",
    errors=(400,),
)
def changelog_list(query: dict):
    # row_id(): ASCII digits in range only; str.isdigit() takes "¹", which int() refuses.
    before_id = row_id(query.get("after"))
    page = posts_page(before=before_id, per_page=query.get("per_page", 10))
    return {
        "data": [_post_shape(found) for found in page.items],
        "next_cursor": page.next_cursor,
        "previous_cursor": None,
    }


@endpoint(
    "GET",
    "/changelog/<api_id:post_id>",
    tag=BOARD,
    summary="One release note",
    returns="ChangelogPost",
    errors=(404,),
)
def changelog_detail(post_id: int):
    found = find_post(post_id)
    if found is None:
        fail(404, "not_found", "There is no release note with that number.")
    return _post_shape(found)


@endpoint(
    "POST",
    "/changelog",
    tag=BOARD,
    summary="Publish a release note",
    description=(
        "Staff only. Its ideas' followers and voters hear of it; with `mark_launched`, each"
        " idea is moved to Launched with a signed note that links the post."
    ),
    scope=STAFF,
    body=CHANGELOG_CREATE,
    status=201,
    returns="ChangelogPost",
    errors=(400, 409),
)
def changelog_create(body: dict):
    try:
        post = publish(
            viewer(),
            body["title"],
            body.get("body", ""),
            body["idea_ids"],
            body.get("mark_launched", False),
        )
    except ChangelogError as refused:
        fail(409, "unknown_ideas", str(refused))
    return _post_shape(find_post(post.id))
