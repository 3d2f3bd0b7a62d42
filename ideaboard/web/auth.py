"""Register, log in, log out; a visitor's vote survives logging in or signing up."""

import re

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ideaboard.board.accounts import AccountSuspended, EmailTaken, authenticate, sign_up
from ideaboard.board.ideas import find_idea
from ideaboard.board.mail import mail_settings
from ideaboard.board.votes import VoteBudgetSpent, VotingClosed, set_vote
from ideaboard.models import Idea, User
from ideaboard.web.forms import LoginForm, RegisterForm
from ideaboard.web.login import log_in, log_out, next_url
from ideaboard.web.templating import idea_url
from ideaboard.web.throttling import check_honeypot, throttle

bp = Blueprint("auth", __name__)

# Where a visitor's Vote link leads: login_required sends them here with next=<that path>.
VOTE_PATH = re.compile(r"/ideas/([1-9][0-9]{0,9})/vote")


def voting_for() -> Idea | None:
    """The open idea a visitor clicked Vote on before being asked to log in, if any."""
    match = VOTE_PATH.fullmatch(request.values.get("next") or "")
    if not match or int(match.group(1)) >= 2**31:
        return None
    idea = find_idea(int(match.group(1)))
    return idea if idea is not None and idea.is_open else None


def _continue(user: User):
    """After logging in or signing up: cast the vote the visitor came for, else go on.

    Safe from other sites: this runs inside the login or sign-up POST, which carries the
    form's CSRF token and the person's own password, on a page that said which idea it votes
    for. A GET never votes (ideas.vote only asks for confirmation).
    """
    idea = voting_for()
    if idea is None:
        return redirect(next_url())
    try:
        set_vote(idea.id, user, True, budget=current_app.config["VOTE_BUDGET"])
    except (VotingClosed, VoteBudgetSpent) as refused:
        flash(str(refused), "info")
    else:
        flash(f"Thanks for your vote for “{idea.title}”!", "success")
    return redirect(idea_url(idea))


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
            return _continue(user)
    status = 400 if form.errors else 200
    page = render_template(
        "auth/register.html", form=form, next=request.args.get("next"), voting_for=voting_for()
    )
    return page, status


@bp.route("/login", methods=["GET", "POST"])
@throttle("LOGIN", failures_only=True)
def login():
    if current_user.is_authenticated:
        return redirect(next_url())
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.email.data, form.password.data)
        except AccountSuspended as suspended:
            form.email.errors.append(str(suspended))
        else:
            if user is not None:
                log_in(user, remember=form.remember.data)
                flash(f"Welcome back, {user.name}.", "success")
                return _continue(user)
            form.password.errors.append("That email and password do not match an account.")
    status = 400 if form.errors else 200
    page = render_template(
        "auth/login.html", form=form, next=request.args.get("next"), voting_for=voting_for()
    )
    return page, status


@bp.route("/logout", methods=["POST"])
def logout():
    log_out()
    flash("You are logged out.", "info")
    return redirect(url_for("ideas.index"))
