"""The embeddable badge: one idea's status, votes and a Vote link, in a small page that a
company's own product pages may show in an iframe.

Every other page forbids framing (web/security.py: frame-ancestors 'none'); this one allows
the board itself and the origins in IDEABOARD_EMBED_ORIGINS, nothing else. Links open a new
tab: the board's own pages may not be framed, and voting needs the visitor's session there.
"""

from flask import Blueprint, current_app, redirect, render_template, url_for

from ideaboard.board.ideas import find_idea
from ideaboard.web.page_cache import cached_page
from ideaboard.web.security import content_security_policy

bp = Blueprint("embed", __name__, url_prefix="/embed")


def embed_policy() -> str:
    """The board's policy, with framing allowed to the board and the configured origins."""
    origins = " ".join(["'self'", *current_app.config["EMBED_ORIGINS"]])
    return content_security_policy(frame_ancestors=origins)


def _answer(page: str, status: int = 200):
    response = current_app.make_response((page, status))
    response.headers["Content-Security-Policy"] = embed_policy()
    # Shown on other sites: a minute of browser caching spares the board a request per view.
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


@bp.route("/ideas/<id:idea_id>")
@cached_page
def idea_badge(idea_id: int):
    idea = find_idea(idea_id)
    if idea is not None and idea.merged_into_id is not None:
        # A merged duplicate's badge shows where its votes went.
        return redirect(url_for("embed.idea_badge", idea_id=idea.merged_into_id))
    # Hidden or awaiting review: as if there were no such idea, on someone else's page too.
    if idea is None or idea.hidden_at is not None or idea.pending_review:
        return _answer(render_template("embed/missing.html"), 404)
    return _answer(render_template("embed/idea.html", idea=idea))
