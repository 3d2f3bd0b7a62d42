"""Following ideas, the notification list behind the header's bell, and mail settings."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ideaboard.board import notifications
from ideaboard.board.follows import set_following
from ideaboard.board.mail import mail_settings
from ideaboard.board.tokens import InvalidToken
from ideaboard.web.forms import MailSettingsForm
from ideaboard.web.idea_page import get_idea_or_404
from ideaboard.web.templating import idea_url

bp = Blueprint("notifications", __name__)

SETTINGS_FIELDS = (*notifications.CHOICE_LABELS, "follow_own", "follow_voted", "follow_commented")


@bp.route("/ideas/<id:idea_id>/follow", methods=["POST"])
@login_required
def follow(idea_id: int):
    # Hidden or awaiting review: only its author and staff may follow it (a 404 for others).
    idea = get_idea_or_404(idea_id)
    wanted = request.form.get("follow", "1") != "0"
    set_following(current_user.id, idea.id, wanted)
    flash(
        "You follow this idea: you hear about every step and answer."
        if wanted
        else "You no longer follow this idea.",
        "success",
    )
    return redirect(idea_url(idea))


@bp.route("/notifications")
@login_required
def index():
    before = request.args.get("before", type=int)
    page = notifications.notifications_page(
        current_user.id, before if before and before > 0 else None
    )
    return render_template("notifications/index.html", page=page)


@bp.route("/notifications/read", methods=["POST"])
@login_required
def read_all():
    changed = notifications.mark_read(current_user.id)
    flash(f"Marked {changed} notification{'s' if changed != 1 else ''} read.", "success")
    return redirect(url_for("notifications.index"))


@bp.route("/notifications/<id:notification_id>/read", methods=["POST"])
@login_required
def read_one(notification_id: int):
    # Only one's own: the rule filters on the user, so another's id changes nothing.
    notifications.mark_read(current_user.id, notification_id)
    return redirect(url_for("notifications.index", _anchor=f"n{notification_id}"))


@bp.route("/account/mail", methods=["GET", "POST"])
@login_required
def settings():
    form = MailSettingsForm(obj=current_user.user)
    if form.validate_on_submit():
        notifications.set_choices(current_user.id, {f: form[f].data for f in SETTINGS_FIELDS})
        flash("Your mail settings are saved.", "success")
        return redirect(url_for("notifications.settings"))
    status = 400 if form.errors else 200
    return render_template("notifications/settings.html", form=form), status


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    """One-click unsubscribe (RFC 8058): a POST with no cookie and no form token stops that
    kind of mail at once. The signed token is the proof; the CSRF check is off for this view."""
    if request.method == "POST":
        # The body ("List-Unsubscribe=One-Click") says nothing we need, but reading it holds
        # this exempt form to the same size limit (413) as every other.
        request.form.get("List-Unsubscribe")
    settings = mail_settings(current_app.config)
    try:
        user_id, choice = notifications.read_unsubscribe_token(settings, token)
    except InvalidToken as error:
        return render_template("auth/link_problem.html", message=str(error)), 400
    label = notifications.CHOICE_LABELS.get(choice, "the daily digest")
    if request.method == "POST":
        if not notifications.unsubscribe(user_id, choice):
            abort(404, description="That account no longer exists.")
        return render_template("notifications/unsubscribed.html", label=label, done=True)
    return render_template("notifications/unsubscribed.html", label=label, done=False)
