"""Customers' side: list ideas, read one, post and edit, vote, comment."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
)
from flask_login import current_user, login_required
from wtforms import SelectChoice

from ideaboard.board.categories import list_categories
from ideaboard.board.comments import add_comment
from ideaboard.board.ideas import can_edit, create_idea, edit_idea
from ideaboard.board.listing import DEFAULT_SORT, SORTS
from ideaboard.board.votes import set_vote
from ideaboard.models import STATUS_LABELS, Idea
from ideaboard.text import render_markdown
from ideaboard.web.errors import wants_json
from ideaboard.web.forms import CommentForm, IdeaForm
from ideaboard.web.idea_page import NO_SUCH_IDEA, get_idea_or_404, render_idea_page
from ideaboard.web.listing_rows import assemble, listing_rows
from ideaboard.web.login import viewer
from ideaboard.web.page_cache import cached_page, remember
from ideaboard.web.templating import idea_url
from ideaboard.web.throttling import check_honeypot, throttle

bp = Blueprint("ideas", __name__)


@bp.route("/")
@cached_page
def index():
    sort = request.args.get("sort", DEFAULT_SORT)
    if sort not in SORTS:
        sort = DEFAULT_SORT
    status = request.args.get("status")
    if status not in STATUS_LABELS:
        status = None
    # type=int turns anything int() refuses into None (str.isdigit() accepts "¹", int() does not).
    category_id = request.args.get("category", type=int)
    if category_id is not None and not 0 < category_id < 2**31:
        category_id = None
    rows = listing_rows(
        sort,
        status,
        category_id,
        current_app.config["IDEAS_PER_PAGE"],
        after=request.args.get("after"),
        before=request.args.get("before"),
    )
    signed_in = viewer()
    return render_template(
        "ideas/index.html",
        rows=rows,
        rows_html=assemble(rows, signed_in.id if signed_in else None),
        sort=sort,
        sorts=SORTS,
        status=status,
        category_id=category_id,
        categories=remember("categories", list_categories),
    )


@bp.route("/ideas/<id:idea_id>")
@bp.route("/ideas/<id:idea_id>/<slug>")
@cached_page
def detail(idea_id: int, slug: str | None = None):
    return render_idea_page(get_idea_or_404(idea_id))


def _idea_form(idea: Idea | None = None) -> IdeaForm:
    form = IdeaForm(obj=idea)
    # A blank first choice, so nobody files an idea under a category they never picked.
    form.category.choices = [SelectChoice(0, "No category")] + [
        SelectChoice(c.id, c.name) for c in list_categories()
    ]
    return form


def _preview_or_save(form: IdeaForm, idea: Idea | None, save):
    """The form page again (with a preview, or errors), or save() once it validates."""
    preview = None
    if form.validate_on_submit():
        if "preview" not in request.form:
            return save()
        preview = render_markdown(form.body.data)
    status = 400 if form.errors else 200
    return render_template("ideas/form.html", form=form, preview=preview, idea=idea), status


@bp.route("/ideas/new", methods=["GET", "POST"])
@login_required
# A preview posts nothing, so it does not count.
@throttle("IDEA", exempt_when=lambda: "preview" in request.form)
def new():
    if request.method == "POST":
        check_honeypot()
    form = _idea_form()

    def save():
        idea = create_idea(current_user, form.title.data, form.body.data, form.category.data)
        flash("Thanks! Your idea is posted and waiting for review.", "success")
        return redirect(idea_url(idea))

    return _preview_or_save(form, None, save)


@bp.route("/ideas/<id:idea_id>/edit", methods=["GET", "POST"])
@login_required
def edit(idea_id: int):
    idea = get_idea_or_404(idea_id)
    if not can_edit(idea, current_user):
        abort(403, description="Only its author can edit an idea, while it is under review.")
    form = _idea_form(idea)
    # No select is shown while there are no categories; a form without one keeps the current.
    if "category" not in request.form:
        form.category.data = idea.category_id or 0

    def save():
        edit_idea(idea.id, form.title.data, form.body.data, form.category.data)
        flash("Your changes are saved.", "success")
        idea.title = form.title.data
        return redirect(idea_url(idea))

    return _preview_or_save(form, idea, save)


@bp.route("/ideas/<id:idea_id>/vote", methods=["GET", "POST"])
@login_required
@throttle("VOTE")
def vote(idea_id: int):
    if request.method == "GET":
        # A visitor's vote link: logging in led here; the idea's page is where to vote.
        return redirect(idea_url(get_idea_or_404(idea_id)))
    wanted = request.form.get("vote", "1") != "0"
    result = set_vote(idea_id, current_user.id, wanted)
    if result is None:
        abort(404, description=NO_SUCH_IDEA)
    if wants_json():
        return jsonify(voted=wanted, votes=result.votes)
    flash("Thanks for your vote!" if wanted else "Your vote is withdrawn.", "success")
    return redirect(idea_url(result))


@bp.route("/ideas/<id:idea_id>/comments", methods=["POST"])
@login_required
@throttle("COMMENT")
def comment(idea_id: int):
    idea = get_idea_or_404(idea_id)
    form = CommentForm()
    if not form.validate():
        if wants_json():
            return jsonify(error="invalid", fields=form.errors), 400
        # Show the idea again with the typed comment and its error, so nothing is lost.
        return render_idea_page(idea, comment_form=form, status=400)
    new_comment = add_comment(idea.id, current_user, form.body.data)
    flash("Your comment is posted.", "success")
    return redirect(idea_url(idea, _anchor=f"comment-{new_comment.id}"))
