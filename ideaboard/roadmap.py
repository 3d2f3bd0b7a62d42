"""The public roadmap: what the company has said yes to, column by column."""

from flask import Blueprint, render_template

from ideaboard.listing import idea_query
from ideaboard.models import ACCEPTED_OR_LATER, STATUS_LABELS, Idea
from ideaboard.pagecache import cached_page

bp = Blueprint("roadmap", __name__)

COLUMN_LIMIT = 50


def roadmap_query(status: str):
    """One column: newest decisions first, read from the (status, accepted_at, id) index."""
    return (
        idea_query()
        # Always true for these statuses, but it lets PostgreSQL skip the NULLs, which come
        # first in a descending index scan (730,000 of them at a million ideas: seconds).
        .where((Idea.status == status) & Idea.accepted_at.is_null(False))
        .order_by(Idea.accepted_at.desc(), Idea.id.desc())
        .limit(COLUMN_LIMIT)
    )


@bp.route("/roadmap")
@cached_page
def index():
    columns = []
    for status in ACCEPTED_OR_LATER:
        # One small indexed query per column, three in all.
        columns.append((status, STATUS_LABELS[status], list(roadmap_query(status))))
    return render_template("roadmap.html", columns=columns, column_limit=COLUMN_LIMIT)
