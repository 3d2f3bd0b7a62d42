"""People behind the ideas: a public profile page and a locally drawn avatar for everyone."""

import colorsys
import hashlib

from flask import Blueprint, abort, make_response, render_template, request, url_for

from ideaboard.board import people
from ideaboard.models import User
from ideaboard.web.login import viewer
from ideaboard.web.page_cache import cached_page

bp = Blueprint("people", __name__, url_prefix="/people")

NO_SUCH_PERSON = "There is nobody with that number here. The account may have been deleted."
# Each list on a profile is bounded: the newest few, with a count (ideas page on by keyset).
PROFILE_LIMIT = 20
AVATAR_MAX_AGE = 24 * 3600
# Dark, muted colours: white initials on them keep a contrast of 4.5:1 or more on every hue.
AVATAR_LIGHTNESS, AVATAR_SATURATION = 0.30, 0.45
DELETED_COLOUR = "#8a959c"


def get_person_or_404(user_id: int) -> User:
    person = people.find_person(user_id)
    if person is None:
        abort(404, description=NO_SUCH_PERSON)
    return person


def initials(name: str) -> str:
    """Up to two letters for the avatar: the first of the first and of the last word
    ("Priya (Product)" is PP; punctuation and symbols do not count)."""
    firsts = [next((ch for ch in word if ch.isalnum()), "") for word in name.split()]
    firsts = [ch for ch in firsts if ch]
    if not firsts:
        return "?"
    return (firsts[0] + (firsts[-1] if len(firsts) > 1 else "")).upper()


def avatar_colour(user_id: int) -> str:
    """A colour that is always the same for one person and differs between most people."""
    digest = hashlib.sha256(f"ideaboard-avatar:{user_id}".encode()).digest()
    hue = int.from_bytes(digest[:2], "big") / 65536
    red, green, blue = colorsys.hls_to_rgb(hue, AVATAR_LIGHTNESS, AVATAR_SATURATION)
    return "#" + "".join(f"{round(part * 255):02x}" for part in (red, green, blue))


@bp.route("/<id:user_id>")
@cached_page
def profile(user_id: int):
    person = get_person_or_404(user_id)
    context = {"person": person}
    # A deleted account shows no trail: its ideas and comments stay where they are, unnamed.
    if person.deleted_at is None:
        # What moderation took off the board (or what awaits review) the person and staff
        # still see here; visitors, whose page is cached, never do.
        user = viewer()
        everything = bool(user and (user.id == person.id or user.is_staff))
        context.update(
            ideas=people.ideas_page(
                person.id,
                PROFILE_LIMIT,
                after=request.args.get("after"),
                before=request.args.get("before"),
                everything=everything,
            ),
            idea_count=people.idea_count(person.id, everything),
        )
        # Staff's official replies are listed under their answers, not twice.
        official = False if person.is_staff else None
        context.update(
            comments=people.recent_comments(person.id, PROFILE_LIMIT, official, everything),
            comment_count=people.comment_count(person.id, official, everything),
        )
        if person.is_staff:
            context.update(
                signed=people.signed_changes(person.id, PROFILE_LIMIT, everything),
                answers=people.recent_comments(
                    person.id, PROFILE_LIMIT, official=True, everything=everything
                ),
            )
    return render_template(
        "people/profile.html",
        ideas_url=lambda **args: url_for("people.profile", user_id=person.id, **args),
        **context,
    )


@bp.route("/<id:user_id>/avatar.svg")
def avatar(user_id: int):
    """Initials on a colour of the person's own, drawn here: no outside service sees visitors."""
    person = get_person_or_404(user_id)
    deleted = person.deleted_at is not None
    svg = render_template(
        "people/avatar.svg",
        letters="" if deleted else initials(person.name),
        colour=DELETED_COLOUR if deleted else avatar_colour(person.id),
    )
    response = make_response(svg)
    response.mimetype = "image/svg+xml"
    # Public for a day: a new name shows by tomorrow, and a profile costs one request less.
    response.cache_control.public = True
    response.cache_control.max_age = AVATAR_MAX_AGE
    response.add_etag()
    return response.make_conditional(request)
