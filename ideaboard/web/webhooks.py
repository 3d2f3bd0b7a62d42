"""Admins' webhook pages: add one (its signing secret shown on its page), see every delivery
with the receiver's answer, send a test event, remove it. Delivery: board/webhooks.py."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ideaboard.board.webhooks import (
    WebhookError,
    add_webhook,
    delivery_log,
    find_webhook,
    list_webhooks,
    remove_webhook,
    send_test,
)
from ideaboard.web.ideas import focus_first_error
from ideaboard.web.login import admin_required
from ideaboard.web.staff_forms import WebhookForm

bp = Blueprint("webhooks", __name__, url_prefix="/admin/webhooks")


@bp.route("", methods=["GET", "POST"])
@admin_required
def index():
    form = WebhookForm()
    if form.validate_on_submit():
        try:
            hook = add_webhook(form.url.data, form.events.data, current_user)
        except WebhookError as error:
            form.url.errors.append(str(error))
        else:
            flash("Webhook added. Give its signing secret (below) to the receiver.", "success")
            return redirect(url_for("webhooks.detail", webhook_id=hook.id))
    focus_first_error(form)
    status = 400 if form.errors else 200
    return render_template("admin/webhooks.html", form=form, hooks=list_webhooks()), status


def _webhook_or_404(webhook_id: int):
    hook = find_webhook(webhook_id)
    if hook is None:
        abort(404, description="There is no such webhook: it may have been removed.")
    return hook


@bp.route("/<id:webhook_id>")
@admin_required
def detail(webhook_id: int):
    hook = _webhook_or_404(webhook_id)
    before = request.args.get("before", type=int)
    deliveries, older = delivery_log(hook.id, before)
    return render_template(
        "admin/webhook.html", hook=hook, deliveries=deliveries, older=older, before=before
    )


@bp.route("/<id:webhook_id>/test", methods=["POST"])
@admin_required
def test(webhook_id: int):
    hook = _webhook_or_404(webhook_id)
    send_test(hook.id)
    flash("Test event queued: the worker posts it within seconds; reload to see the answer.")
    return redirect(url_for("webhooks.detail", webhook_id=hook.id))


@bp.route("/<id:webhook_id>/delete", methods=["POST"])
@admin_required
def delete(webhook_id: int):
    hook = _webhook_or_404(webhook_id)
    remove_webhook(hook.id, current_user)
    flash(f"Webhook to {hook.url} removed: nothing more is posted there.", "success")
    return redirect(url_for("webhooks.index"))
