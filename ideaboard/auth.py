"""Register, log in, log out; who the current user is and what their role allows."""

from functools import wraps
from urllib.parse import urlsplit

import click
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, current_user, login_user, logout_user
from peewee import IntegrityError

from ideaboard.db import db
from ideaboard.forms import LoginForm, RegisterForm
from ideaboard.models import ROLES, User
from ideaboard.passwords import check_password, hash_password

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to do that."
login_manager.login_message_category = "info"

# A hash of a random password: checking it costs as much as a real login, so the response
# time does not tell an attacker whether an email address has an account.
_DUMMY_HASH = hash_password("not-a-real-password-just-timing")


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    if not user_id.isdigit():
        return None
    return User.get_or_none(User.id == int(user_id))


@login_manager.unauthorized_handler
def unauthorized():
    """Send anonymous visitors to log in, and bring them back to where they were."""
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        abort(401)
    flash(login_manager.login_message, "info")
    if request.method == "GET":
        back = request.full_path.rstrip("?")
    elif request.view_args and "idea_id" in request.view_args:
        # A POST cannot be replayed by a redirect; return to the idea it was about.
        back = url_for("ideas.detail", idea_id=request.view_args["idea_id"])
    else:
        back = "/"
    return redirect(url_for("auth.login", next=back))


def staff_required(view):
    """Let staff and admins through; everyone else gets 403 (anonymous: log in first)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_staff:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def is_safe_next(target: str | None) -> bool:
    """Only a path on this site: no scheme, no host, nothing a browser reads as one."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    # Browsers treat "\" like "/" and drop tabs and newlines, so "/\evil" means "//evil".
    if "\\" in target or any(ch.isspace() or ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def _next_url() -> str:
    target = request.values.get("next")
    return target if is_safe_next(target) else url_for("ideas.index")


def normalize_email(email: str) -> str:
    return email.strip().lower()


def create_user(email: str, name: str, password: str, role: str = "member") -> User:
    """Create an account; raises IntegrityError if the email is taken."""
    with db.atomic():
        return User.create(
            email=normalize_email(email),
            name=name.strip(),
            password_hash=hash_password(password),
            role=role,
        )


def _start_session(user: User, remember: bool = False) -> None:
    # A fresh session at login: nothing from before it carries over (no session fixation).
    session.clear()
    session.permanent = remember
    login_user(user)


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("ideas.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = create_user(form.email.data, form.name.data, form.password.data)
        except IntegrityError:
            form.email.errors.append("An account with this email already exists. Log in?")
        else:
            _start_session(user)
            flash(f"Welcome, {user.name}! Your account is ready.", "success")
            return redirect(_next_url())
    status = 400 if form.errors else 200
    return render_template("auth/register.html", form=form, next=request.args.get("next")), status


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_next_url())
    form = LoginForm()
    if form.validate_on_submit():
        user = User.get_or_none(User.email == normalize_email(form.email.data))
        if user is None:
            check_password(_DUMMY_HASH, form.password.data)
        elif check_password(user.password_hash, form.password.data):
            _start_session(user, remember=form.remember.data)
            flash(f"Welcome back, {user.name}.", "success")
            return redirect(_next_url())
        form.password.errors.append("That email and password do not match an account.")
    status = 400 if form.errors else 200
    return render_template("auth/login.html", form=form, next=request.args.get("next")), status


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("ideas.index"))


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--password", required=True)
@click.option("--role", type=click.Choice(ROLES), default="member", show_default=True)
def create_user_command(email: str, name: str, password: str, role: str) -> None:
    """Create an account, e.g. the first staff member or admin."""
    if not 8 <= len(password) <= 128:
        raise click.BadParameter("must be 8 to 128 characters", param_hint="--password")
    try:
        user = create_user(email, name, password, role)
    except IntegrityError:
        raise click.ClickException(f"An account with the email {email} already exists.")
    click.echo(f"Created {user.role} {user.name} <{user.email}> (id {user.id}).")
