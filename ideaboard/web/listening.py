"""How we listen, in public: how soon the team answers ideas and what it says yes to."""

from flask import Blueprint, render_template

from ideaboard.board.listening import bucket_phrase
from ideaboard.board.listening_figures import read_figures
from ideaboard.web.page_cache import cached_page

bp = Blueprint("listening", __name__)


@bp.route("/listening")
@cached_page
def index():
    # A few small statements over tables of counts, whatever the size of the board.
    return render_template("listening.html", f=read_figures(), bucket_phrase=bucket_phrase)
