"""Product managers' side: move ideas through the pipeline, triage, manage categories."""

from collections.abc import Callable

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from ideaboard.board.categories import (
    DOWN,
    UP,
    CategoryNameTaken,
    delete_category,
    find_category,
    idea_count,
    list_categories,
    move_category,
    save_category,
    set_archived,
)
from ideaboard.board.listing import response_wait, triage_page
from ideaboard.board.pipeline import StatusError, change_status
from ideaboard.models import STATUS_LABELS
from ideaboard.web.forms import CategoryForm, StatusForm
from ideaboard.web.idea_page import get_idea_or_404, render_idea_page
from ideaboard.web.ideas import focus_first_error
from ideaboard.web.login import staff_required
from ideaboard.web.staff_forms import ArchiveForm, MoveForm
from ideaboard.web.templating import idea_url

bp = Blueprint("staff", __name__)

TRIAGE_PER_PAGE = 50


@bp.route("/ideas/<id:idea_id>/status", methods=["POST"])
@staff_required
def set_status(idea_id: int):
    idea = get_idea_or_404(idea_id)
    form = StatusForm()
    if form.validate():
        try:
            change_status(idea, form.status.data, current_user, form.note.data)
        except StatusError as error:
            form.status.errors = [str(error)]
        else:
            flash(
                f"Status changed to “{STATUS_LABELS[form.status.data]}”. Your note is public.",
                "success",
            )
            return redirect(idea_url(idea, _anchor="history"))
    focus_first_error(form)
    return render_idea_page(idea, status_form=form, status=400)


@bp.route("/staff/triage")
@staff_required
def triage():
    """Ideas nobody has answered yet, oldest first, so none waits forever."""
    page = triage_page(
        TRIAGE_PER_PAGE, after=request.args.get("after"), before=request.args.get("before")
    )
    target = current_app.config["RESPONSE_TARGET_DAYS"]
    # Oldest first puts the overdue ones on top; each row says how long, and how late.
    waits = {idea.id: response_wait(idea.created_at, target) for idea in page.items}
    return render_template("staff/triage.html", page=page, waits=waits, target=target)


def _save_category(
    form: CategoryForm, category_id: int | None, taken: str, done: Callable[[str], str]
):
    """Add or rename; on success back to the list, else None with the error on the field."""
    if not form.validate():
        return None
    try:
        name = save_category(form.name.data, category_id, actor=current_user)
    except CategoryNameTaken:
        form.name.errors.append(taken)
        return None
    flash(done(name), "success")
    return redirect(url_for("staff.categories"))


def _categories_page(
    form: CategoryForm, rename_form: CategoryForm | None = None, rename_id: int | None = None
):
    status = 400 if form.errors or (rename_form and rename_form.errors) else 200
    focus_first_error(form)
    return render_template(
        "staff/categories.html",
        form=form,
        rename_form=rename_form,
        rename_id=rename_id,
        categories=list_categories(include_archived=True),
    ), status


@bp.route("/staff/categories", methods=["GET", "POST"])
@staff_required
def categories():
    form = CategoryForm()
    if request.method == "POST":
        saved = _save_category(
            form,
            None,
            "A category with this name already exists.",
            lambda name: f"Category “{name}” added.",
        )
        if saved:
            return saved
    return _categories_page(form)


def _category_or_404(category_id: int):
    category = find_category(category_id)
    if category is None:
        abort(404, description="There is no such category.")
    return category


@bp.route("/staff/categories/<id:category_id>", methods=["POST"])
@staff_required
def rename_category(category_id: int):
    category = _category_or_404(category_id)
    form = CategoryForm()
    saved = _save_category(
        form,
        category.id,
        "Another category already has that name.",
        lambda name: f"Renamed “{category.name}” to “{name}”.",
    )
    return saved or _categories_page(
        CategoryForm(formdata=None), rename_form=form, rename_id=category.id
    )


def _back_to(category) -> str:
    return url_for("staff.categories", _anchor=f"category-{category.id}")


@bp.route("/staff/categories/<id:category_id>/move", methods=["POST"])
@staff_required
def move(category_id: int):
    """Up or down one place among the active categories (buttons that need no script)."""
    category = _category_or_404(category_id)
    form = MoveForm()
    if not form.validate():
        abort(400, description="Move a category “up” or “down”.")
    up = form.direction.data == "up"
    if move_category(category.id, UP if up else DOWN, current_user):
        flash(f"Moved “{category.name}” {form.direction.data}.", "success")
    else:
        flash(f"“{category.name}” is already {'first' if up else 'last'}.", "info")
    return redirect(_back_to(category))


@bp.route("/staff/categories/<id:category_id>/archive", methods=["POST"])
@staff_required
def archive(category_id: int):
    """Archive (archived=1) or bring back (archived=0)."""
    category = _category_or_404(category_id)
    form = ArchiveForm()
    if not form.validate():
        abort(400, description="Say whether to archive the category (1) or bring it back (0).")
    archived = form.archived.data == "1"
    set_archived(category.id, archived, current_user)
    if archived:
        message = (
            f"Archived “{category.name}”: it is no longer offered for new ideas or in the"
            " filters. Its ideas keep it."
        )
    else:
        message = f"“{category.name}” is back, at the end of the list."
    flash(message, "success")
    return redirect(_back_to(category))


@bp.route("/staff/categories/<id:category_id>/delete", methods=["GET", "POST"])
@staff_required
def delete(category_id: int):
    """A page that says how many ideas lose the category; its button deletes it."""
    category = _category_or_404(category_id)
    if request.method == "POST":
        moved = delete_category(category.id, current_user)
        ideas = f"{moved} idea now has" if moved == 1 else f"{moved} ideas now have"
        flash(f"Deleted “{category.name}”: {ideas} no category.", "success")
        return redirect(url_for("staff.categories"))
    return render_template(
        "staff/delete_category.html", category=category, ideas=idea_count(category.id)
    )
