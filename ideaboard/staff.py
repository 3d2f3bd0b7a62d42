"""Product managers' side: move ideas through the pipeline, triage, manage categories."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from peewee import IntegrityError

from ideaboard.auth import staff_required
from ideaboard.db import db
from ideaboard.forms import CategoryForm, StatusForm
from ideaboard.ideas import get_idea_or_404, render_idea_page, slugify
from ideaboard.listing import idea_query, keyset_page
from ideaboard.models import STATUS_LABELS, UNDER_REVIEW, Category, Idea
from ideaboard.pipeline import StatusError, change_status

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
            target = url_for("ideas.detail", idea_id=idea.id, slug=slugify(idea.title))
            return redirect(f"{target}#history")
    return render_idea_page(idea, status_form=form, status=400)


@bp.route("/staff/triage")
@staff_required
def triage():
    """Ideas nobody has answered yet, oldest first, so none waits forever."""
    page = keyset_page(
        idea_query().where(Idea.status == UNDER_REVIEW),
        Idea.created_at,
        TRIAGE_PER_PAGE,
        descending=False,
        after=request.args.get("after"),
        before=request.args.get("before"),
    )
    return render_template("staff/triage.html", page=page)


def _categories_page(
    form: CategoryForm, rename_form: CategoryForm | None = None, rename_id: int | None = None
):
    status = 400 if form.errors or (rename_form and rename_form.errors) else 200
    return render_template(
        "staff/categories.html",
        form=form,
        rename_form=rename_form,
        rename_id=rename_id,
        categories=list(Category.select().order_by(Category.name)),
    ), status


@bp.route("/staff/categories", methods=["GET", "POST"])
@staff_required
def categories():
    form = CategoryForm()
    if form.validate_on_submit():
        name = form.name.data.strip()
        try:
            with db.atomic():
                Category.create(name=name)
        except IntegrityError:
            form.name.errors.append("A category with this name already exists.")
        else:
            flash(f"Category “{name}” added.", "success")
            return redirect(url_for("staff.categories"))
    return _categories_page(form)


@bp.route("/staff/categories/<id:category_id>", methods=["POST"])
@staff_required
def rename_category(category_id: int):
    category = Category.get_or_none(Category.id == category_id)
    if category is None:
        abort(404, description="There is no such category.")
    form = CategoryForm()
    if form.validate():
        name = form.name.data.strip()
        try:
            with db.atomic():
                Category.update(name=name).where(Category.id == category.id).execute()
        except IntegrityError:
            form.name.errors.append("Another category already has that name.")
        else:
            flash(f"Renamed “{category.name}” to “{name}”.", "success")
            return redirect(url_for("staff.categories"))
    return _categories_page(CategoryForm(formdata=None), rename_form=form, rename_id=category.id)
