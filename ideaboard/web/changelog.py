"""The changelog: staff publish release notes; everyone reads what shipped and for whom."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ideaboard.board.changelog import (
    ChangelogError,
    find_post,
    parse_idea_numbers,
    posts_page,
    publish,
)
from ideaboard.text import render_markdown
from ideaboard.web.forms import ChangelogForm
from ideaboard.web.login import staff_required
from ideaboard.web.page_cache import cached_page

bp = Blueprint("changelog", __name__, url_prefix="/changelog")


@bp.route("")
@cached_page
def index():
    before = request.args.get("before", type=int)
    page = posts_page(before if before and 0 < before < 2**31 else None)
    return render_template("changelog/index.html", page=page)


@bp.route("/<id:post_id>")
@cached_page
def post(post_id: int):
    found = find_post(post_id)
    if found is None:
        abort(404, description="There is no release note with that number.")
    return render_template("changelog/post.html", entry=found)


@bp.route("/new", methods=["GET", "POST"])
@staff_required
def new():
    form = (
        ChangelogForm(formdata=None, mark_launched=True)
        if request.method == "GET"
        else ChangelogForm()
    )
    preview = None
    if request.method == "POST" and form.validate():
        try:
            numbers = parse_idea_numbers(form.ideas.data or "")
        except ChangelogError as error:
            form.ideas.errors.append(str(error))
        else:
            if "preview" in request.form:
                preview = render_markdown(form.body.data)
            else:
                try:
                    created = publish(
                        current_user,
                        form.title.data,
                        form.body.data,
                        numbers,
                        form.mark_launched.data,
                    )
                except ChangelogError as error:
                    form.ideas.errors.append(str(error))
                else:
                    flash(
                        "Published. The followers and voters of its ideas are being told.",
                        "success",
                    )
                    return redirect(url_for("changelog.post", post_id=created.id))
    status = 400 if form.errors else 200
    return render_template("changelog/new.html", form=form, preview=preview), status
