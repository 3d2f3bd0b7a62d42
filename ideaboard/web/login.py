"""Who is asking: flask-login over server-side sessions, and what their role lets them reach."""

from functools import wraps
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, flash, redirect, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from ideaboard.board.sessions import end_session, session_user, start_session
from ideaboard.models import User
from ideaboard.web.errors import wants_json

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to do that."
login_manager.login_message_category = "info"


class SignedInUser(UserMixin):
    """The request's user, with the key of the session it was loaded through.

    Reads through to the User row (id, name, email, role, is_staff...), so the board's rules
    take it wherever they take a User.
    """

    def __init__(self, user: User, session_key: str):
        self.user = user
        self.session_key = session_key

    def __getattr__(self, name: str):
        return getattr(self.user, name)

    def get_id(self) -> str:
        # flask-login keeps this in the cookie: the session key, never the user id, so that
        # deleting the session row ends the login wherever the cookie was copied to.
        return self.session_key


def _lifetime() -> int:
    return current_app.config["PERMANENT_SESSION_LIFETIME"]


@login_manager.user_loader
def load_user(session_key: str) -> SignedInUser | None:
    """The user of a live server-side session, found by the key in the session cookie."""
    user = session_user(session_key, _lifetime())
    return SignedInUser(user, session_key) if user else None


@login_manager.unauthorized_handler
def unauthorized():
    """Send anonymous visitors to log in, and bring them back to where they were."""
    if wants_json():
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


def viewer() -> SignedInUser | None:
    """The signed-in user of this request, or None for a visitor."""
    return current_user if current_user.is_authenticated else None


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


def admin_required(view):
    """Let admins through; staff and members get 403 (anonymous: log in first)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.role != "admin":
            abort(403, description="Only admins can open this page or do this.")
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


def next_url() -> str:
    """Where to go after logging in: the asked-for page on this site, or the home page."""
    target = request.values.get("next")
    return target if is_safe_next(target) else url_for("ideas.index")


def log_in(user: User, remember: bool = False) -> None:
    """Log the user in with a new server-side session and a fresh cookie (no fixation)."""
    key = start_session(user.id, _lifetime())
    session.clear()
    # "Keep me signed in" is a lasting cookie for the same server-side session, never
    # flask-login's remember cookie, so ending the session row ends it too.
    session.permanent = remember
    login_user(SignedInUser(user, key))


def log_out() -> None:
    if current_user.is_authenticated:
        end_session(current_user.session_key)
    logout_user()
    session.clear()


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
