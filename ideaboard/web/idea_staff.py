"""Staff on an idea's page: internal notes, and votes recorded for customers who asked by
phone or mail (board/staff_notes.py, board/vote_on_behalf.py)."""

from flask import Blueprint, abort, current_app, flash, jsonify, redirect
from flask_login import current_user

from ideaboard.board.staff_notes import add_note
from ideaboard.board.vote_on_behalf import BehalfError, NoAccount, record_vote_for
from ideaboard.board.votes import VotingClosed
from ideaboard.web.errors import wants_json
from ideaboard.web.idea_page import NO_SUCH_IDEA, get_idea_or_404, render_idea_page
from ideaboard.web.ideas import focus_first_error
from ideaboard.web.login import staff_required
from ideaboard.web.staff_forms import BehalfForm, StaffNoteForm
from ideaboard.web.templating import idea_url

bp = Blueprint("idea_staff", __name__)


@bp.route("/ideas/<id:idea_id>/notes", methods=["POST"])
@staff_required
def add_staff_note(idea_id: int):
    idea = get_idea_or_404(idea_id)
    form = StaffNoteForm()
    if not form.validate():
        if wants_json():
            return jsonify(error="invalid", fields=form.errors, status=400), 400
        focus_first_error(form)
        return render_idea_page(idea, status=400, staff_forms={"note_form": form})
    if add_note(idea.id, current_user, form.staff_note.data) is None:
        abort(404, description=NO_SUCH_IDEA)
    flash("Your internal note is saved. Only staff see it.", "success")
    return redirect(idea_url(idea, _anchor="staff-notes"))


@bp.route("/ideas/<id:idea_id>/vote-on-behalf", methods=["POST"])
@staff_required
def vote_on_behalf(idea_id: int):
    idea = get_idea_or_404(idea_id)
    form = BehalfForm()
    needs_name = False
    if form.validate():
        try:
            recorded = record_vote_for(
                idea.id,
                current_user,
                form.customer_email.data,
                new_name=form.customer_name.data or None,
                budget=current_app.config["VOTE_BUDGET"],
            )
        except NoAccount as missing:
            needs_name = True
            form.customer_name.errors.append(
                f"{missing} Enter their name to create an account for them and record the vote."
            )
        except (BehalfError, VotingClosed) as refused:
            form.customer_email.errors.append(str(refused))
        else:
            if recorded is None:
                abort(404, description=NO_SUCH_IDEA)
            who = f"{recorded.customer.name} ({recorded.customer.email})"
            if recorded.already:
                flash(f"{who} had already voted for this idea: nothing was added.", "info")
            else:
                made = " A new account was made for them." if recorded.created else ""
                flash(f"Vote recorded for {who}.{made}", "success")
            return redirect(idea_url(idea, _anchor="behalf"))
    if wants_json():
        return jsonify(error="invalid", fields=form.errors, status=400), 400
    focus_first_error(form)
    forms = {"behalf_form": form, "needs_name": needs_name}
    return render_idea_page(idea, status=400, staff_forms=forms)
