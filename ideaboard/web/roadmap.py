"""The public roadmap: what the company has said yes to, column by column."""

from flask import Blueprint, render_template

from ideaboard.board.listing import accepted_ideas
from ideaboard.board.pipeline import latest_notes
from ideaboard.models import ACCEPTED_OR_LATER, STATUS_LABELS
from ideaboard.web.page_cache import cached_page

bp = Blueprint("roadmap", __name__)

COLUMN_LIMIT = 50


@bp.route("/roadmap")
@cached_page
def index():
    # One small indexed query per column, three in all, and one for every card's latest note.
    columns = [
        (status, STATUS_LABELS[status], accepted_ideas(COLUMN_LIMIT, status))
        for status in ACCEPTED_OR_LATER
    ]
    notes = latest_notes([idea.id for _, _, ideas in columns for idea in ideas])
    return render_template("roadmap.html", columns=columns, column_limit=COLUMN_LIMIT, notes=notes)
