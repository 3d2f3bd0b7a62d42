"""Confirming an email address and resetting a forgotten password, through mailed links."""

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from ideaboard.board.mail import mail_settings
from ideaboard.board.recovery import (
    RecoveryError,
    request_password_reset,
    reset_password,
    user_for_reset,
)
from ideaboard.board.verification import VerificationError, resend_verification_mail, verify_email
from ideaboard.web.forms import ForgotPasswordForm, Form, ResetPasswordForm
from ideaboard.web.login import log_in
from ideaboard.web.throttling import throttle

bp = Blueprint("recovery", __name__)

SENT = (
    "If {email} has an account here, a link to choose a new password is on its way. "
    "It works once, for an hour. Nothing arrived? Check your spam folder, or ask again."
)


def _settings():
    return mail_settings(current_app.config)


@bp.route("/forgot-password", methods=["GET", "POST"])
@throttle("MAIL")
def forgot():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        request_password_reset(form.email.data, _settings())
        # The same words whether or not the address has an account.
        flash(SENT.format(email=form.email.data), "info")
        return redirect(url_for("auth.login"))
    status = 400 if form.errors else 200
    return render_template("auth/forgot.html", form=form), status


# Not throttled: the token is unguessable, and a wrong try only costs its owner.
@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset(token: str):
    settings = _settings()
    try:
        user_for_reset(token, settings)
    except RecoveryError as error:
        return render_template("auth/link_problem.html", message=str(error)), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = reset_password(token, form.password.data, settings)
        except RecoveryError as error:
            form.password.errors.append(str(error))
        else:
            if user.suspended_at is not None:
                # board/suspension.py: the password changes, the account still cannot log in.
                flash("Your new password is set, but this account is suspended.", "info")
                return redirect(url_for("auth.login"))
            log_in(user)
            flash("Your new password is set, and you are logged out everywhere else.", "success")
            return redirect(url_for("ideas.index"))
    status = 400 if form.errors else 200
    return render_template("auth/reset.html", form=form), status


@bp.route("/verify-email/<token>", methods=["GET", "POST"])
def verify(token: str):
    """The mailed link opens a page with a button: the address is confirmed by a POST."""
    form = Form()
    if not form.validate_on_submit():
        return render_template("auth/verify.html", form=form)
    try:
        user = verify_email(token, _settings())
    except VerificationError as error:
        return render_template("auth/link_problem.html", message=str(error)), 400
    flash(f"Thank you: {user.email} is confirmed.", "success")
    return redirect(url_for("account.index" if current_user.is_authenticated else "auth.login"))


@bp.route("/account/verify-email", methods=["POST"])
@login_required
@throttle("MAIL")
def resend_verification():
    if resend_verification_mail(current_user, _settings()):
        flash(f"A new link is on its way to {current_user.email}.", "success")
    else:
        flash("Your email address is already confirmed.", "info")
    return redirect(url_for("account.index"))
