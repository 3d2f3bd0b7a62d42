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
    url_for,
)
from flask_login import current_user, login_required

from ideaboard.board.categories import list_categories
from ideaboard.board.comments import add_comment
from ideaboard.board.ideas import can_edit, create_idea, edit_idea
from ideaboard.board.listing import (
    ALL,
    DEFAULT_SHOW,
    DEFAULT_SORT,
    SHOWS,
    SORTS,
    any_ideas,
    show_of,
)
from ideaboard.board.merge_info import original_of
from ideaboard.board.moderation import needs_review
from ideaboard.board.votes import VoteBudgetSpent, VotingClosed, set_vote, voted_ids
from ideaboard.models import STATUS_LABELS, Idea
from ideaboard.text import render_markdown
from ideaboard.web.errors import wants_json
from ideaboard.web.forms import CommentForm, IdeaForm, idea_form
from ideaboard.web.idea_page import NO_SUCH_IDEA, get_idea_or_404, render_idea_page
from ideaboard.web.listing_rows import assemble, listing_rows
from ideaboard.web.login import viewer
from ideaboard.web.page_cache import cached_page, remember
from ideaboard.web.search import posting_help, refuse_unconfirmed_duplicate, render_search
from ideaboard.web.templating import idea_url
from ideaboard.web.throttling import check_honeypot, throttle
from ideaboard.web.vote_budget import budget, votes_left

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
    # Open ideas by default; closed (launched, declined) or all one click away. The view the
    # visitor picked stays for the filter form and "Clear filters"; a status may override it.
    picked = request.args.get("show")
    if request.args.get("q", "").strip():
        # A search looks through every idea unless the visitor picked open or closed ones.
        picked = picked if picked in SHOWS else ALL
        per_page = current_app.config["IDEAS_PER_PAGE"]
        return render_search(request.args["q"], status, category_id, picked, per_page)
    picked = picked if picked in SHOWS else DEFAULT_SHOW
    show = show_of(status, picked)
    rows = listing_rows(
        sort,
        status,
        category_id,
        current_app.config["IDEAS_PER_PAGE"],
        after=request.args.get("after"),
        before=request.args.get("before"),
        show=show,
    )
    signed_in = viewer()
    unfiltered_and_empty = not (rows.count or status or category_id or not rows.page.is_first)
    return render_template(
        "ideas/index.html",
        rows=rows,
        rows_html=assemble(rows, signed_in.id if signed_in else None),
        sort=sort,
        sorts=SORTS,
        show=show,
        picked_show=picked,
        shows=SHOWS,
        default_show=DEFAULT_SHOW,
        status=status,
        category_id=category_id,
        categories=remember("categories", list_categories),
        votes_left=votes_left(),
        # An empty open (or closed) list on a board that has ideas says where they are.
        board_empty=unfiltered_and_empty and (show == ALL or not any_ideas()),
    )


@bp.route("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page links: send them to the SVG."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.route("/ideas/<id:idea_id>")
@bp.route("/ideas/<id:idea_id>/<slug>")
@cached_page
def detail(idea_id: int, slug: str | None = None):
    idea = get_idea_or_404(idea_id)
    # A merged idea's address leads to its original, not for good (302: unmerging undoes it);
    # ?merged=1 shows the duplicate itself, read-only, for its comments.
    if idea.merged_into_id is not None and request.args.get("merged") != "1":
        original = original_of(idea)
        if original is not None:
            return redirect(idea_url(original, merged_from=idea.id))
    return render_idea_page(idea)


def focus_first_error(form) -> None:
    """Autofocus the form's first invalid field: the browser shows it without scrolling.

    Works without JavaScript; static/js/app.js also scrolls the field and its error into view.
    """
    for field in form:
        if field.errors and field.type not in ("CSRFTokenField", "HiddenField"):
            field.render_kw = {**(field.render_kw or {}), "autofocus": True}
            return


def _preview_or_save(form: IdeaForm, idea: Idea | None, save):
    """The form page again (with a preview, or errors), or save() once it validates.
    A new idea's page also lists similar ideas, and an exact duplicate must be confirmed."""
    preview, similar = None, {}
    if form.validate_on_submit():
        if idea is None:
            similar = posting_help(form.title.data)
            refuse_unconfirmed_duplicate(form, similar["duplicate"])
        if "preview" not in request.form and not form.title.errors:
            return save()
        if "preview" in request.form:
            preview = render_markdown(form.body.data)
    status = 400 if form.errors else 200
    focus_first_error(form)
    page = render_template("ideas/form.html", form=form, preview=preview, idea=idea, **similar)
    return page, status


@bp.route("/ideas/new", methods=["GET", "POST"])
@login_required
# A preview posts nothing, so it does not count.
@throttle("IDEA", exempt_when=lambda: "preview" in request.form)
def new():
    if request.method == "POST":
        check_honeypot()
    form = idea_form()

    def save():
        # With pre-moderation on, a new account's ideas wait for staff until one is approved.
        waits = current_app.config["PREMODERATE_FIRST_POSTS"] and needs_review(current_user)
        idea = create_idea(
            current_user,
            form.title.data,
            form.body.data,
            form.category.data,
            pending_review=waits,
        )
        if waits:
            flash(
                "Thanks! A moderator looks at a new account's first idea before others see it:"
                " it is saved, awaiting review.",
                "success",
            )
        else:
            flash("Thanks! Your idea is posted and waiting for review.", "success")
        return redirect(idea_url(idea))

    return _preview_or_save(form, None, save)


@bp.route("/ideas/<id:idea_id>/edit", methods=["GET", "POST"])
@login_required
def edit(idea_id: int):
    idea = get_idea_or_404(idea_id)
    if not can_edit(idea, current_user):
        abort(403, description="Only its author can edit an idea, while it is under review.")
    form = idea_form(idea)
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
        return _confirm_vote(get_idea_or_404(idea_id))
    wanted = request.form.get("vote", "1") != "0"
    try:
        result = set_vote(idea_id, current_user, wanted, budget=budget())
    except (VotingClosed, VoteBudgetSpent) as refused:
        if wants_json():
            spent = isinstance(refused, VoteBudgetSpent)
            return jsonify(
                error="Vote budget spent" if spent else "Voting closed",
                message=str(refused),
                status=409,
                votes=refused.result.votes,
                **({"budget": refused.budget, "votes_left": 0} if spent else {}),
            ), 409
        flash(str(refused), "info")
        return redirect(idea_url(refused.result))
    if result is None:
        abort(404, description=NO_SUCH_IDEA)
    if wants_json():
        return jsonify(voted=wanted, votes=result.votes)
    flash("Thanks for your vote!" if wanted else "Your vote is withdrawn.", "success")
    return redirect(idea_url(result))


def _confirm_vote(idea: Idea):
    """Where a visitor's vote link leads once they have logged in or signed up: one button.

    The link is a GET, and any site can make a signed-in browser send a GET (a link, an image,
    a redirect), so casting the vote here would let a page elsewhere plant votes. The GET only
    asks; the vote is cast by the button's POST, which carries this session's CSRF token (no
    other site can read it) and cannot be clicked through a frame (frame-ancestors 'none').
    The intent survives logging in in the `next` address alone: no session or token on the
    visitor's cached pages. (Keeping it in the session and casting it at login instead would
    let a cross-site GET plant an intent that a later, unrelated login then casts.)
    """
    if idea.merged_into_id is not None:
        flash("This idea is merged into another: vote there.", "info")
        return redirect(idea_url(idea))
    if not idea.is_open or voted_ids(current_user.id, [idea.id]):
        if idea.is_open:
            flash("You have already voted for this idea.", "info")
        else:
            flash("Voting is closed for this idea: its votes stay as they are.", "info")
        return redirect(idea_url(idea))
    return render_template("ideas/confirm_vote.html", idea=idea)


@bp.route("/ideas/<id:idea_id>/comments", methods=["POST"])
@login_required
@throttle("COMMENT")
def comment(idea_id: int):
    idea = get_idea_or_404(idea_id)
    if idea.merged_into_id is not None:
        message = "This idea is merged into another: comment there."
        if wants_json():
            return jsonify(error="Merged", message=message, status=409), 409
        flash(message, "info")
        return redirect(idea_url(idea))
    form = CommentForm()
    if not form.validate():
        if wants_json():
            return jsonify(error="invalid", fields=form.errors), 400
        # Show the idea again with the typed comment and its error, so nothing is lost.
        focus_first_error(form)
        return render_idea_page(idea, comment_form=form, status=400)
    new_comment = add_comment(idea.id, current_user, form.body.data)
    flash("Your comment is posted.", "success")
    return redirect(idea_url(idea, _anchor=f"comment-{new_comment.id}"))
