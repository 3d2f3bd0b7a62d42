"""A comment after it is posted: its author edits or deletes it, staff delete any (posting one
lives with the idea, in web/ideas.py)."""

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request
from flask_login import current_user, login_required

from ideaboard.board.comments import (
    OFFICIAL_STAYS,
    CommentError,
    CommentNotAllowed,
    can_delete_comment,
    can_edit_comment,
    delete_comment,
    edit_comment,
    find_comment,
)
from ideaboard.models import Comment
from ideaboard.web.errors import wants_json
from ideaboard.web.forms import CommentForm
from ideaboard.web.ideas import focus_first_error
from ideaboard.web.login import viewer
from ideaboard.web.templating import idea_url
from ideaboard.web.throttling import throttle

bp = Blueprint("comments", __name__)

NO_SUCH_COMMENT = "There is no comment with that number. It may have been deleted."
NOT_YOURS_TO_EDIT = "Only its author can edit a comment."
NOT_YOURS_TO_DELETE = "Only its author or staff can delete a comment."


def get_comment_or_404(comment_id: int) -> Comment:
    """The comment with its author and idea (id, title, author, moderation state)."""
    comment = find_comment(comment_id)
    if comment is None:
        abort(404, description=NO_SUCH_COMMENT)
    return comment


@bp.app_template_global()
def may_edit_comment(comment: Comment) -> bool:
    return can_edit_comment(comment, viewer())


@bp.app_template_global()
def may_delete_comment(comment: Comment) -> bool:
    return can_delete_comment(comment, viewer())


def comment_url(comment: Comment) -> str:
    return idea_url(comment.idea, _anchor=f"comment-{comment.id}")


@bp.route("/comments/<id:comment_id>/edit", methods=["GET", "POST"])
@login_required
@throttle("COMMENT")
def edit(comment_id: int):
    """Any time, by its author; the page then says when it was edited."""
    comment = get_comment_or_404(comment_id)
    if not can_edit_comment(comment, current_user):
        abort(403, description=NOT_YOURS_TO_EDIT)
    # The text as saved on the way in; as typed when the form comes back with an error.
    form = CommentForm(**({"body": comment.body} if request.method == "GET" else {}))
    if form.validate_on_submit():
        try:
            edit_comment(comment.id, current_user, form.body.data)
        except CommentNotAllowed:
            abort(403, description=NOT_YOURS_TO_EDIT)
        except CommentError as error:
            form.body.errors.append(str(error))
        else:
            if wants_json():
                return jsonify(saved=True)
            flash("Your comment is saved.", "success")
            return redirect(comment_url(comment))
    if form.errors and wants_json():
        return jsonify(error="invalid", fields=form.errors), 400
    focus_first_error(form)
    status = 400 if form.errors else 200
    return render_template("comments/edit.html", form=form, comment=comment), status


@bp.route("/comments/<id:comment_id>/delete", methods=["GET", "POST"])
@login_required
def delete(comment_id: int):
    """GET asks first (a button on a phone is easily pressed); POST deletes."""
    comment = get_comment_or_404(comment_id)
    if not can_delete_comment(comment, current_user):
        abort(403, description=OFFICIAL_STAYS if comment.is_official else NOT_YOURS_TO_DELETE)
    if request.method == "GET":
        return render_template("comments/delete.html", comment=comment)
    try:
        delete_comment(comment.id, current_user)
    except CommentNotAllowed as refused:
        abort(403, description=str(refused))
    if wants_json():
        return jsonify(deleted=True)
    flash("The comment is deleted.", "success")
    return redirect(idea_url(comment.idea, _anchor="comments"))
