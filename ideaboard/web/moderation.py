"""Moderation pages: members flag an idea or a comment; staff work through the queue at
/staff/moderation and hide, restore, dismiss or approve (board/moderation.py holds the rules).

Every action is a POST that answers with a redirect and a message (or JSON for scripts); a
refused one (already hidden, already flagged...) says why the same way, with 409 for JSON.
"""

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from ideaboard.board import moderation as rules
from ideaboard.board.moderation_queue import (
    flagged_page,
    hidden_comments_page,
    hidden_ideas_page,
    open_counts,
    pending_page,
)
from ideaboard.models import Comment, Idea
from ideaboard.web.comments import comment_url, get_comment_or_404
from ideaboard.web.errors import wants_json
from ideaboard.web.forms import FlagForm, HideForm
from ideaboard.web.idea_page import NO_SUCH_IDEA, get_idea_or_404
from ideaboard.web.ideas import focus_first_error
from ideaboard.web.login import is_safe_next, staff_required, viewer
from ideaboard.web.templating import idea_url
from ideaboard.web.throttling import throttle

bp = Blueprint("moderation", __name__)

PER_PAGE = 30
VIEWS = {"flagged": "Flagged", "pending": "Awaiting review", "hidden": "Hidden"}
NO_SUCH_ITEM = "There is nothing to moderate at that address: it may have been deleted."


@bp.app_context_processor
def moderation_counts():
    """open_moderation_items() for the header: asked only on staff pages, once a request."""

    def open_moderation_items() -> int:
        if "moderation_open" not in g:
            g.moderation_open = sum(open_counts())
        return g.moderation_open

    return {"open_moderation_items": open_moderation_items}


def _back(default: str) -> str:
    """Where a staff action returns: the queue page it came from, else the item."""
    target = request.form.get("next")
    return target if is_safe_next(target) else default


def _done(message: str, where: str):
    if wants_json():
        return jsonify(ok=True, message=message)
    flash(message, "success")
    return redirect(where)


def _refused(error: rules.ModerationError, where: str):
    if wants_json():
        return jsonify(error="Not possible", message=str(error), status=409), 409
    flash(str(error), "error")
    return redirect(where)


def _found(row, description: str = NO_SUCH_ITEM):
    """A board action's result: None means the row went away meanwhile."""
    if row is None:
        abort(404, description=description)
    return row


# Members: flag.


def _flag(idea: Idea, comment: Comment | None):
    where = comment_url(comment) if comment else idea_url(idea)
    form = FlagForm()
    if request.method == "POST" and form.validate():
        try:
            flagged = rules.flag_content(
                current_user,
                idea.id,
                form.reason.data,
                comment_id=comment.id if comment else None,
                details=form.details.data,
            )
        except rules.ModerationError as error:
            return _refused(error, where)
        _found(flagged)
        return _done(
            "Thanks: the moderators will look at it. Its author is not told who flagged it.", where
        )
    if form.errors and wants_json():
        return jsonify(error="invalid", fields=form.errors), 400
    focus_first_error(form)
    context = {
        "form": form,
        "idea": idea,
        "comment": comment,
        "refusal": rules.flag_refusal(current_user, comment or idea),
        "back": where,
    }
    return render_template("moderation/flag.html", **context), 400 if form.errors else 200


@bp.route("/ideas/<id:idea_id>/flag", methods=["GET", "POST"])
@login_required
@throttle("FLAG")
def flag_idea(idea_id: int):
    return _flag(get_idea_or_404(idea_id), None)


@bp.route("/comments/<id:comment_id>/flag", methods=["GET", "POST"])
@login_required
@throttle("FLAG")
def flag_comment(comment_id: int):
    comment = get_comment_or_404(comment_id)
    if not rules.can_see_idea(comment.idea, viewer()):
        abort(404, description=NO_SUCH_ITEM)
    return _flag(comment.idea, comment)


# Staff: the queue.


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, type=int)
    return value if value is not None and 0 < value < 2**31 else None


@bp.route("/staff/moderation")
@staff_required
def queue():
    view = request.args.get("view")
    view = view if view in VIEWS else "flagged"
    flagged, pending = open_counts()
    g.moderation_open = flagged + pending
    after, before = request.args.get("after"), request.args.get("before")
    context = {}
    if view == "flagged":
        context["page"] = flagged_page(PER_PAGE, after=_int_arg("after"))
    elif view == "pending":
        context["page"] = pending_page(PER_PAGE, after=after, before=before)
    else:
        context["page"] = hidden_ideas_page(PER_PAGE, after=after, before=before)
        context["comments"] = hidden_comments_page(
            PER_PAGE, after=request.args.get("comments_after")
        )
    return render_template(
        "moderation/queue.html",
        view=view,
        views=VIEWS,
        counts={"flagged": flagged, "pending": pending},
        # Back here after each action, on the same page of the same list.
        here=request.full_path.rstrip("?"),
        page_url=lambda **args: url_for("moderation.queue", view=view, **args),
        **context,
    )


# Staff: act on an idea.


def _hide_page(form: HideForm, idea: Idea, comment: Comment | None):
    focus_first_error(form)
    back = request.values.get("next")
    context = {
        "form": form,
        "idea": idea,
        "comment": comment,
        "next": back if is_safe_next(back) else None,
    }
    return render_template("moderation/hide.html", **context), 400 if form.errors else 200


@bp.route("/ideas/<id:idea_id>/hide", methods=["GET", "POST"])
@staff_required
def hide_idea(idea_id: int):
    """GET: the form with a reason for the author (from the idea page); POST: hide it."""
    idea = get_idea_or_404(idea_id)
    form = HideForm()
    if request.method == "POST" and form.validate():
        where = _back(idea_url(idea))
        try:
            _found(rules.hide_idea(idea.id, current_user, form.reason.data), NO_SUCH_IDEA)
        except rules.ModerationError as error:
            return _refused(error, where)
        return _done(
            "Hidden. Others see a placeholder; its author sees it with your reason.", where
        )
    if form.errors and wants_json():
        return jsonify(error="invalid", fields=form.errors), 400
    return _hide_page(form, idea, None)


def _idea_action(idea_id: int, action, message: str):
    idea = get_idea_or_404(idea_id)
    where = _back(idea_url(idea))
    try:
        _found(action(idea.id, current_user), NO_SUCH_IDEA)
    except rules.ModerationError as error:
        return _refused(error, where)
    return _done(message, where)


@bp.route("/ideas/<id:idea_id>/restore", methods=["POST"])
@staff_required
def restore_idea(idea_id: int):
    return _idea_action(idea_id, rules.restore_idea, "Restored: the idea is back on the board.")


@bp.route("/ideas/<id:idea_id>/approve", methods=["POST"])
@staff_required
def approve_idea(idea_id: int):
    return _idea_action(
        idea_id, rules.approve_idea, "Approved: the idea is public now, and its news goes out."
    )


def _dismiss(idea_id: int, comment_id: int | None, where: str):
    try:
        count = rules.dismiss_flags(idea_id, current_user, comment_id=comment_id)
    except rules.ModerationError as error:
        return _refused(error, where)
    return _done(f"Dismissed {count} flag{'' if count == 1 else 's'}; nothing was hidden.", where)


@bp.route("/ideas/<id:idea_id>/flags/dismiss", methods=["POST"])
@staff_required
def dismiss_idea_flags(idea_id: int):
    idea = get_idea_or_404(idea_id)
    return _dismiss(idea.id, None, _back(idea_url(idea)))


# Staff: act on a comment.


@bp.route("/comments/<id:comment_id>/hide", methods=["GET", "POST"])
@staff_required
def hide_comment(comment_id: int):
    comment = get_comment_or_404(comment_id)
    form = HideForm()
    if request.method == "POST" and form.validate():
        where = _back(comment_url(comment))
        try:
            _found(rules.hide_comment(comment.id, current_user, form.reason.data))
        except rules.ModerationError as error:
            return _refused(error, where)
        return _done("Hidden. Others see a placeholder; its author still sees it.", where)
    if form.errors and wants_json():
        return jsonify(error="invalid", fields=form.errors), 400
    return _hide_page(form, comment.idea, comment)


@bp.route("/comments/<id:comment_id>/restore", methods=["POST"])
@staff_required
def restore_comment(comment_id: int):
    comment = get_comment_or_404(comment_id)
    where = _back(comment_url(comment))
    try:
        _found(rules.restore_comment(comment.id, current_user))
    except rules.ModerationError as error:
        return _refused(error, where)
    return _done("Restored: the comment shows again.", where)


@bp.route("/comments/<id:comment_id>/flags/dismiss", methods=["POST"])
@staff_required
def dismiss_comment_flags(comment_id: int):
    comment = get_comment_or_404(comment_id)
    return _dismiss(comment.idea_id, comment.id, _back(comment_url(comment)))
