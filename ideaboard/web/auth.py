"""Register, log in, log out."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ideaboard.board.accounts import EmailTaken, authenticate, sign_up
from ideaboard.board.mail import mail_settings
from ideaboard.web.forms import LoginForm, RegisterForm
from ideaboard.web.login import log_in, log_out, next_url
from ideaboard.web.throttling import check_honeypot, throttle

bp = Blueprint("auth", __name__)


@bp.route("/register", methods=["GET", "POST"])
@throttle("REGISTER")
def register():
    if current_user.is_authenticated:
        return redirect(url_for("ideas.index"))
    if request.method == "POST":
        check_honeypot()
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = sign_up(
                form.email.data,
                form.name.data,
                form.password.data,
                mail_settings(current_app.config),
            )
        except EmailTaken:
            form.email.errors.append("An account with this email already exists. Log in?")
        else:
            log_in(user)
            flash(
                f"Welcome, {user.name}! Your account is ready. To get news of your ideas by mail,"
                f" open the link we sent to {user.email}.",
                "success",
            )
            return redirect(next_url())
    status = 400 if form.errors else 200
    return render_template("auth/register.html", form=form, next=request.args.get("next")), status


@bp.route("/login", methods=["GET", "POST"])
@throttle("LOGIN", failures_only=True)
def login():
    if current_user.is_authenticated:
        return redirect(next_url())
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            log_in(user, remember=form.remember.data)
            flash(f"Welcome back, {user.name}.", "success")
            return redirect(next_url())
        form.password.errors.append("That email and password do not match an account.")
    status = 400 if form.errors else 200
    return render_template("auth/login.html", form=form, next=request.args.get("next")), status


@bp.route("/logout", methods=["POST"])
def logout():
    log_out()
    flash("You are logged out.", "info")
    return redirect(url_for("ideas.index"))
