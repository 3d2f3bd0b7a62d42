"""Register, log in, log out; server-side sessions; what the current user's role allows."""

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import wraps
from urllib.parse import urlsplit

import click
from flask import (
    Blueprint,
    abort,
    current_app,
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
from ideaboard.limits import check_honeypot, throttle
from ideaboard.models import ROLES, User, UserSession, normalize_email, utcnow
from ideaboard.passwords import check_password, hash_password, password_problem

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to do that."
login_manager.login_message_category = "info"

# A hash of a random password: checking it costs as much as a real login, so the response
# time does not tell an attacker whether an email address has an account.
_DUMMY_HASH = hash_password("not-a-real-password-just-timing")
# last_seen_at is written at most this often per session, not on every request.
SESSION_TOUCH_INTERVAL = timedelta(minutes=5)


def _hash_key(key: str) -> str:
    # Only the hash is stored: a leaked database or backup holds no usable session keys.
    return hashlib.sha256(key.encode()).hexdigest()


def _session_cutoff() -> datetime:
    """Sessions unused since before this have expired, whatever the cookie says."""
    return utcnow() - timedelta(seconds=current_app.config["PERMANENT_SESSION_LIFETIME"])


# Plain SQL: this runs on every signed-in request, and building it through the ORM cost more
# than running it. The extra columns come back as attributes of the User.
SESSION_USER_SQL = (
    "SELECT u.*, s.id AS session_row_id, s.last_seen_at < {p} AS session_untouched"
    ' FROM usersession AS s JOIN "user" AS u ON u.id = s.user_id'
    " WHERE s.key_hash = {p} AND s.last_seen_at > {p}"
)


@login_manager.user_loader
def load_user(session_key: str) -> User | None:
    """The user of a live server-side session, found by the key in the session cookie."""
    now = utcnow()
    as_db = UserSession.last_seen_at.db_value
    sql = SESSION_USER_SQL.format(p=db.param)
    params = (as_db(now - SESSION_TOUCH_INTERVAL), _hash_key(session_key), as_db(_session_cutoff()))
    user = next(iter(User.raw(sql, *params)), None)
    if user is None:
        return None
    if user.session_untouched:
        UserSession.update(last_seen_at=now).where(UserSession.id == user.session_row_id).execute()
    user.session_key = session_key
    return user


@login_manager.unauthorized_handler
def unauthorized():
    """Send anonymous visitors to log in, and bring them back to where they were."""
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        abort(401)
    flash(login_manager.login_message, "info")
    if request.method == "GET":
        back = request.full_path.rstrip("?")
    elif request.url_rule and "GET" in request.url_rule.methods:
        # A form page (e.g. /ideas/new): come back to the empty form.
        back = request.path
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


def create_user(email: str, name: str, password: str, role: str = "member") -> User:
    """Create an account; raises IntegrityError if the email is taken."""
    with db.atomic():
        return User.create(
            email=normalize_email(email),
            name=name.strip(),
            password_hash=hash_password(password),
            role=role,
        )


def start_session(user: User, remember: bool = False) -> None:
    """Log the user in with a new server-side session and a fresh cookie (no fixation)."""
    key = secrets.token_urlsafe(32)
    with db.atomic():
        # Tidy up as we go: this user's expired sessions are of no use to anyone.
        UserSession.delete().where(
            (UserSession.user == user.id) & (UserSession.last_seen_at <= _session_cutoff())
        ).execute()
        UserSession.create(key_hash=_hash_key(key), user=user.id)
    session.clear()
    # "Keep me signed in" is a lasting cookie for the same server-side session, never
    # flask-login's remember cookie, so ending the session row ends it too.
    session.permanent = remember
    user.session_key = key
    login_user(user)


def end_session(key: str) -> None:
    """Delete one server-side session: its cookie, wherever it was copied, logs in nobody."""
    UserSession.delete().where(UserSession.key_hash == _hash_key(key)).execute()


def end_other_sessions(user: User) -> None:
    """Log the user out everywhere except in the session of this request."""
    UserSession.delete().where(
        (UserSession.user == user.id) & (UserSession.key_hash != _hash_key(user.session_key))
    ).execute()


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
            user = create_user(form.email.data, form.name.data, form.password.data)
        except IntegrityError:
            form.email.errors.append("An account with this email already exists. Log in?")
        else:
            start_session(user)
            flash(f"Welcome, {user.name}! Your account is ready.", "success")
            return redirect(_next_url())
    status = 400 if form.errors else 200
    return render_template("auth/register.html", form=form, next=request.args.get("next")), status


@bp.route("/login", methods=["GET", "POST"])
@throttle("LOGIN", failures_only=True)
def login():
    if current_user.is_authenticated:
        return redirect(_next_url())
    form = LoginForm()
    if form.validate_on_submit():
        user = User.get_or_none(User.email == normalize_email(form.email.data))
        if user is None:
            check_password(_DUMMY_HASH, form.password.data)
        elif check_password(user.password_hash, form.password.data):
            start_session(user, remember=form.remember.data)
            flash(f"Welcome back, {user.name}.", "success")
            return redirect(_next_url())
        form.password.errors.append("That email and password do not match an account.")
    status = 400 if form.errors else 200
    return render_template("auth/login.html", form=form, next=request.args.get("next")), status


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        end_session(current_user.session_key)
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
    problem = password_problem(password)
    if problem:
        raise click.BadParameter(problem, param_hint="--password")
    try:
        user = create_user(email, name, password, role)
    except IntegrityError:
        raise click.ClickException(f"An account with the email {email} already exists.")
    click.echo(f"Created {user.role} {user.name} <{user.email}> (id {user.id}).")
