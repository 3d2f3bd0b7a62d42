"""Customers' side: list ideas, read one, post and edit, vote, comment."""

import re
from datetime import datetime

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
from peewee import IntegrityError
from wtforms import SelectChoice

from ideaboard.db import db
from ideaboard.forms import CommentForm, IdeaForm, StatusForm, status_choices
from ideaboard.idea_rows import assemble, listing_rows, voted_ids
from ideaboard.limits import check_honeypot, throttle
from ideaboard.listing import DEFAULT_SORT, SORTS, idea_query
from ideaboard.models import (
    NEXT_STATUS,
    STATUS_LABELS,
    UNDER_REVIEW,
    Category,
    Comment,
    Idea,
    StatusChange,
    User,
    Vote,
    hot_score,
    hot_sql,
    utcnow,
)
from ideaboard.pagecache import cached_page, remember
from ideaboard.text import render_markdown

bp = Blueprint("ideas", __name__)


def slugify(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return slug[:60].rstrip("-") or "idea"


def wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def get_idea_or_404(idea_id: int) -> Idea:
    idea = idea_query().where(Idea.id == idea_id).first()
    if idea is None:
        abort(404, description="There is no idea with that number. It may have been removed.")
    return idea


def move_counters(idea_id: int, votes: int = 0, comments: int = 0) -> tuple[int, str] | None:
    """Add to an idea's counters and rescore it, in one statement inside the write's transaction.

    Returns the new vote count and the title, or None when there is no such idea.
    """
    p = db.param
    hot = hot_sql(f"(vote_count + {p})", f"(comment_count + {p})", "created_at")
    # Plain SQL: on the hottest write path, building the query costs more than running it.
    return db.execute_sql(
        f"UPDATE idea SET vote_count = vote_count + {p}, comment_count = comment_count + {p},"
        f" hot = {hot} WHERE id = {p} RETURNING vote_count, title",
        [votes, comments, votes, comments, idea_id],
    ).fetchone()


def set_vote(idea_id: int, user_id: int, wanted: bool) -> tuple[int, str] | None:
    """Make the user's vote on the idea exist (or not); return the vote count and the title.

    The request says what it wants rather than "toggle", so a double click or a retried
    request cannot flip the vote back. The counter moves only when a row really changed.
    None means there is no such idea.
    """
    p = db.param
    try:
        with db.atomic():
            if wanted:
                changed = db.execute_sql(
                    f"INSERT INTO vote (idea_id, user_id, created_at) VALUES ({p}, {p}, {p})"
                    " ON CONFLICT DO NOTHING",
                    [idea_id, user_id, Vote.created_at.db_value(utcnow())],
                ).rowcount
            else:
                changed = -db.execute_sql(
                    f"DELETE FROM vote WHERE idea_id = {p} AND user_id = {p}", [idea_id, user_id]
                ).rowcount
            if changed:
                return move_counters(idea_id, votes=changed)
            return db.execute_sql(
                f"SELECT vote_count, title FROM idea WHERE id = {p}", [idea_id]
            ).fetchone()
    except IntegrityError:  # the vote's foreign key: no such idea (rolled back)
        return None


def create_idea(
    author: User,
    title: str,
    body: str = "",
    category_id: int | None = None,
    created_at: datetime | None = None,
) -> Idea:
    """Post a new idea; it starts under review with a hot score from its creation time."""
    now = created_at or utcnow()
    with db.atomic():
        return Idea.create(
            title=title.strip(),
            body=body or "",
            category=category_id or None,
            author=author.id,
            created_at=now,
            updated_at=now,
            hot=hot_score(0, 0, now),
        )


def add_comment(idea_id: int, author: User, body: str) -> Comment:
    with db.atomic():
        comment = Comment.create(
            idea=idea_id, author=author.id, body=body.strip(), is_official=author.is_staff
        )
        move_counters(idea_id, comments=1)
    return comment


def _category_choices(form: IdeaForm) -> None:
    categories = Category.select().order_by(Category.name)
    # A blank first choice, so nobody files an idea under a category they never picked.
    form.category.choices = [SelectChoice(0, "No category")] + [
        SelectChoice(c.id, c.name) for c in categories
    ]


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
    viewer = current_user.id if current_user.is_authenticated else None
    return render_template(
        "ideas/index.html",
        rows=rows,
        rows_html=assemble(rows, viewer),
        sort=sort,
        sorts=SORTS,
        status=status,
        category_id=category_id,
        categories=remember("categories", lambda: list(Category.select().order_by(Category.name))),
    )


@bp.route("/ideas/<id:idea_id>")
@bp.route("/ideas/<id:idea_id>/<slug>")
@cached_page
def detail(idea_id: int, slug: str | None = None):
    return render_idea_page(get_idea_or_404(idea_id))


def render_idea_page(
    idea: Idea,
    comment_form: CommentForm | None = None,
    status_form: StatusForm | None = None,
    status: int = 200,
):
    """The idea page; forms that failed validation are passed in so their errors show."""
    comments = (
        Comment.select(Comment, User)
        .join(User)
        .where(Comment.idea == idea.id)
        .order_by(Comment.created_at, Comment.id)
    )
    history = (
        StatusChange.select(StatusChange, User)
        .join(User)
        .where(StatusChange.idea == idea.id)
        .order_by(StatusChange.created_at, StatusChange.id)
    )
    signed_in = current_user.is_authenticated
    if status_form is None and signed_in and current_user.is_staff:
        status_form = StatusForm(formdata=None, status=NEXT_STATUS[idea.status])
    if status_form is not None:
        status_form.status.choices = status_choices(exclude=idea.status)
    page = render_template(
        "ideas/detail.html",
        idea=idea,
        comments=list(comments),
        history=list(history),
        voted=signed_in and bool(voted_ids(current_user.id, [idea.id])),
        # A form makes a CSRF token, and with it a session: only for those who may comment.
        comment_form=comment_form or (signed_in and CommentForm(formdata=None)),
        status_form=status_form,
        can_edit=can_edit(idea),
    )
    return page, status


def can_edit(idea: Idea) -> bool:
    """Authors may edit while the idea is under review; staff may always (moderation)."""
    if not current_user.is_authenticated:
        return False
    if current_user.is_staff:
        return True
    return idea.author_id == current_user.id and idea.status == UNDER_REVIEW


@bp.route("/ideas/new", methods=["GET", "POST"])
@login_required
# A preview posts nothing, so it does not count.
@throttle("IDEA", exempt_when=lambda: "preview" in request.form)
def new():
    if request.method == "POST":
        check_honeypot()
    form = IdeaForm()
    _category_choices(form)
    preview = None
    if form.validate_on_submit():
        if "preview" in request.form:
            preview = render_markdown(form.body.data)
        else:
            idea = create_idea(current_user, form.title.data, form.body.data, form.category.data)
            flash("Thanks! Your idea is posted and waiting for review.", "success")
            return redirect(url_for("ideas.detail", idea_id=idea.id, slug=slugify(idea.title)))
    status = 400 if form.errors else 200
    return render_template("ideas/form.html", form=form, preview=preview, idea=None), status


@bp.route("/ideas/<id:idea_id>/edit", methods=["GET", "POST"])
@login_required
def edit(idea_id: int):
    idea = get_idea_or_404(idea_id)
    if not can_edit(idea):
        abort(403, description="Only its author can edit an idea, while it is under review.")
    form = IdeaForm(obj=idea)
    _category_choices(form)
    # No select is shown while there are no categories; a form without one keeps the current.
    if "category" not in request.form:
        form.category.data = idea.category_id or 0
    preview = None
    if form.validate_on_submit():
        if "preview" in request.form:
            preview = render_markdown(form.body.data)
        else:
            Idea.update(
                title=form.title.data.strip(),
                body=form.body.data or "",
                category=form.category.data or None,
                updated_at=utcnow(),
            ).where(Idea.id == idea.id).execute()
            flash("Your changes are saved.", "success")
            return redirect(url_for("ideas.detail", idea_id=idea.id, slug=slugify(form.title.data)))
    status = 400 if form.errors else 200
    return render_template("ideas/form.html", form=form, preview=preview, idea=idea), status


@bp.route("/ideas/<id:idea_id>/vote", methods=["GET", "POST"])
@login_required
@throttle("VOTE")
def vote(idea_id: int):
    if request.method == "GET":
        # A visitor's vote link: logging in led here; the idea's page is where to vote.
        idea = get_idea_or_404(idea_id)
        return redirect(url_for("ideas.detail", idea_id=idea.id, slug=slugify(idea.title)))
    wanted = request.form.get("vote", "1") != "0"
    result = set_vote(idea_id, current_user.id, wanted)
    if result is None:
        abort(404, description="There is no idea with that number. It may have been removed.")
    count, title = result
    if wants_json():
        return jsonify(voted=wanted, votes=count)
    flash("Thanks for your vote!" if wanted else "Your vote is withdrawn.", "success")
    return redirect(url_for("ideas.detail", idea_id=idea_id, slug=slugify(title)))


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
    target = url_for("ideas.detail", idea_id=idea.id, slug=slugify(idea.title))
    return redirect(f"{target}#comment-{new_comment.id}")
