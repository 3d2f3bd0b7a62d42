"""Staff merge a duplicate idea into its original, undo a merge, and read every merge.

Merging takes two steps, both plain forms: a GET that names the original and shows what
would move (it changes nothing), then the POST that merges. Unmerging likewise: a page that
says what goes back, then its POST. The rules are in board/merge.py.
"""

import re

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from ideaboard.board.merge import MergeError, merge_ideas, unmerge
from ideaboard.board.merge_info import merge_history, preview_merge, preview_unmerge
from ideaboard.models import Idea
from ideaboard.web.errors import wants_json
from ideaboard.web.forms import MergeForm
from ideaboard.web.idea_page import get_idea_or_404
from ideaboard.web.ideas import focus_first_error
from ideaboard.web.login import staff_required
from ideaboard.web.templating import idea_url

bp = Blueprint("merge", __name__)

# "12", "#12", or an address with /ideas/12 in it (with or without the slug).
IDEA_NUMBER = re.compile(r"#?\s*(\d{1,12})")
IDEA_ADDRESS = re.compile(r"/ideas/(\d{1,12})(?:[/?#]|$)")
LARGEST_ID = 2**31 - 1
NOT_A_NUMBER = "Give the idea's number, such as 12, or its address, such as …/ideas/12."


def idea_number(text: str) -> int:
    """The idea number typed or pasted into the form; ValueError saying what is wrong."""
    found = IDEA_NUMBER.fullmatch(text) or IDEA_ADDRESS.search(text)
    if not found:
        raise ValueError(NOT_A_NUMBER)
    number = int(found.group(1))
    if not 0 < number <= LARGEST_ID:
        raise ValueError(f"There is no idea #{number}. Check the number.")
    return number


def _form_again(duplicate: Idea, form: MergeForm, status: int):
    """The merge page again with the reason on the field; JSON clients get it as JSON."""
    if wants_json():
        message = " ".join(form.original.errors)
        return jsonify(error="Merge refused", message=message, status=status), status
    focus_first_error(form)
    return render_template("merge/merge.html", idea=duplicate, form=form, preview=None), status


def _original_id(form: MergeForm) -> int | None:
    """The original's number from a valid form, or None with the error on the field."""
    if not form.validate():
        return None
    try:
        return idea_number(form.original.data)
    except ValueError as error:
        form.original.errors = [str(error)]
        return None


@bp.route("/ideas/<id:idea_id>/merge", methods=["GET", "POST"])
@staff_required
def merge(idea_id: int):
    duplicate = get_idea_or_404(idea_id)
    if duplicate.merged_into_id is not None:
        message = (
            f"#{duplicate.id} is already merged into #{duplicate.merged_into_id}. "
            "Unmerge it first if it belongs somewhere else."
        )
        if wants_json():
            return jsonify(error="Merge refused", message=message, status=409), 409
        flash(message, "info")
        return redirect(idea_url(duplicate, merged=1))
    if request.method == "GET":
        # The first step only reads: its form carries no token and changes nothing.
        asked = "original" in request.args
        form = MergeForm(formdata=request.args if asked else None, meta={"csrf": False})
        if not asked:
            return render_template("merge/merge.html", idea=duplicate, form=form, preview=None)
    else:
        form = MergeForm()
    original_id = _original_id(form)
    if original_id is None:
        return _form_again(duplicate, form, 400)
    try:
        if request.method == "GET":
            preview = preview_merge(duplicate.id, original_id)
            return render_template("merge/merge.html", idea=duplicate, form=form, preview=preview)
        done = merge_ideas(duplicate.id, original_id, current_user)
    except MergeError as error:
        form.original.errors = [str(error)]
        return _form_again(duplicate, form, 409)
    original = get_idea_or_404(original_id)
    if wants_json():
        return jsonify(
            merged=True,
            merge_id=done.id,
            duplicate=duplicate.id,
            original=original.id,
            votes_moved=done.votes_moved,
            followers_moved=done.followers_moved,
            url=idea_url(original),
        )
    flash(
        f"Merged #{duplicate.id} “{duplicate.title}” into this idea: {_plural(done.votes_moved)}"
        f" and {_plural(done.followers_moved, 'follower')} moved. Unmerge it below to undo.",
        "success",
    )
    return redirect(idea_url(original, _anchor="merged-here-title"))


def _plural(number: int, word: str = "vote") -> str:
    return f"{number} {word}{'' if number == 1 else 's'}"


@bp.route("/ideas/<id:idea_id>/unmerge", methods=["GET", "POST"], endpoint="unmerge")
@staff_required
def unmerge_idea(idea_id: int):
    duplicate = get_idea_or_404(idea_id)
    preview = preview_unmerge(duplicate.id)
    if preview is None:
        # Most likely a page from before someone else unmerged it.
        message = f"#{duplicate.id} “{duplicate.title}” is not merged into another idea."
        if wants_json():
            return jsonify(error="Not merged", message=message, status=409), 409
        flash(message, "info")
        return redirect(idea_url(duplicate))
    if request.method == "GET":
        return render_template("merge/unmerge.html", idea=duplicate, preview=preview)
    original = preview.merge.original
    try:
        unmerge(preview.merge.id, current_user)
    except MergeError as error:
        if wants_json():
            return jsonify(error="Unmerge refused", message=str(error), status=409), 409
        flash(str(error), "error")
        return redirect(idea_url(duplicate))
    if wants_json():
        return jsonify(unmerged=True, duplicate=duplicate.id, original=original.id)
    flash(
        f"Unmerged: this idea stands on its own again, and #{original.id} “{original.title}”"
        " is as it was before the merge (votes cast there since stay).",
        "success",
    )
    return redirect(idea_url(duplicate))


@bp.route("/staff/merges")
@staff_required
def history():
    """Every merge, newest first: who, when, what moved, and who undid it."""
    before = request.args.get("before", type=int)
    if before is not None and not 0 < before <= LARGEST_ID:
        before = None
    page = merge_history(before)
    return render_template(
        "merge/history.html",
        page=page,
        older_url=url_for("merge.history", before=page.older) if page.older else None,
    )
