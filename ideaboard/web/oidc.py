"""Sign in with OpenID Connect: "Continue with <provider>" beside the password on the login and
sign-up pages, linking and unlinking providers on the account page, and the page where the
owner of an existing account confirms a link before it is made."""

import re
import time
from dataclasses import asdict, fields

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
from flask_login import current_user, login_required
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import Length, ValidationError

from ideaboard.board.accounts import AccountSuspended
from ideaboard.board.linked_accounts import (
    CONFIRM,
    CREATED,
    LINKED_ELSEWHERE,
    Identity,
    LinkRefused,
    SignInRefused,
    UnlinkRefused,
    confirm_with_password,
    find_link,
    has_password,
    identity_from_claims,
    link_account,
    link_target,
    linked_accounts,
    sign_in,
    unlink_account,
)
from ideaboard.board.mail import mail_settings
from ideaboard.board.passwords import MAX_LENGTH
from ideaboard.config import OidcProvider
from ideaboard.models import normalize_email
from ideaboard.text import CONTROL_CHARACTERS
from ideaboard.web.forms import Form
from ideaboard.web.login import is_safe_next, log_in
from ideaboard.web.oidc_client import (
    ProviderUnavailable,
    SignInFailed,
    authorization_redirect,
    finish_sign_in,
    forget_unfinished_sign_ins,
    form_action_origins,
    log,
    providers,
)
from ideaboard.web.security import CONTENT_SECURITY_POLICY
from ideaboard.web.throttling import throttle

bp = Blueprint("oidc", __name__, url_prefix="/oidc")

# The sign-in under way in this browser (one at a time): its provider and state, where to go
# afterwards, and whether it links the provider to the logged-in account.
FLOW = "oidc_flow"
# An identity waiting for the owner of the account it would link to (see confirm()).
PENDING = "oidc_pending"
PENDING_SECONDS = 10 * 60
# Pages with "Continue with …" forms: the browser must be let through to the providers.
PAGES_WITH_BUTTONS = {"auth.login", "auth.register", "account.index"}

UNAVAILABLE = (
    "{label} is not answering right now. Please try again in a moment, or use your email"
    " and password."
)
FAILED = (
    "Your sign-in with {label} could not be checked, so nothing happened. This happens when"
    " the sign-in was started in another browser or tab, or took too long. Please try again."
)


def _plain_text(form, field) -> None:
    if field.data and CONTROL_CHARACTERS.search(field.data):
        raise ValidationError("This field contains a character that is not allowed.")


class StartForm(Form):
    provider = StringField(validators=[Length(max=40), _plain_text])


class ConfirmForm(Form):
    # The account's address, shown read-only: password managers file the password under it,
    # and throttling counts failed attempts against that account, as on the login page.
    email = EmailField(
        "Account", render_kw={"readonly": True}, validators=[Length(max=254), _plain_text]
    )
    password = PasswordField("Password", validators=[Length(max=MAX_LENGTH), _plain_text])


class UnlinkForm(Form):
    linked_account = StringField(validators=[Length(max=20), _plain_text])


def _label(provider_name: str) -> str:
    provider = providers().get(provider_name)
    return provider.label if provider else provider_name.capitalize()


def _back(next_page: str | None = None) -> str:
    """Where a sign-in that cannot go on returns: the account page, or the login page."""
    if current_user.is_authenticated:
        return url_for("account.index", _anchor="linked-accounts")
    return url_for("auth.login", next=next_page if is_safe_next(next_page) else None)


def _onward(next_page: str | None) -> str:
    """After logging in: the page asked for, if it is on this site (web/login.py's rule)."""
    return next_page if is_safe_next(next_page) else url_for("ideas.index")


def _problem(label: str, message: str, status: int):
    page = render_template("oidc/problem.html", label=label, message=message)
    return page, status


@bp.route("/start", methods=["POST"])
def start():
    """Send the browser to the provider: to log in, or (logged in) to link it."""
    form = StartForm()
    if not form.validate():
        abort(400)
    next_page = request.form.get("next")
    provider = providers().get(form.provider.data or "")
    if provider is None:
        # A page from before the provider was removed, most likely.
        flash("That way of signing in is not available. Please choose another.", "error")
        return redirect(_back(next_page))
    try:
        response, state = authorization_redirect(provider)
    except ProviderUnavailable:
        flash(UNAVAILABLE.format(label=provider.label), "error")
        return redirect(_back(next_page))
    session[FLOW] = {
        "provider": provider.name,
        "state": state,
        "next": next_page if is_safe_next(next_page) else None,
        "link_for": current_user.id if current_user.is_authenticated else None,
    }
    return response


@bp.route("/<provider_name>/callback")
def callback(provider_name: str):
    """Where the provider sends the browser back, with a code (or an error) and the state."""
    provider = providers().get(provider_name)
    if provider is None:
        abort(404)
    flow = session.pop(FLOW, None)
    answer = _answer(provider, flow)
    # Whatever the outcome, this sign-in is over: Authlib's leftovers go too.
    forget_unfinished_sign_ins()
    return answer


def _answer(provider: OidcProvider, flow):
    """Log in, make an account, or ask for confirmation; or say why not."""
    # Authlib checks the state too; this also ties the answer to the flow it belongs to.
    if (
        not isinstance(flow, dict)
        or flow.get("provider") != provider.name
        or flow.get("state") != request.args.get("state")
    ):
        return _problem(provider.label, FAILED.format(label=provider.label), 400)
    if request.args.get("error"):
        # The person said no at the provider (access_denied), or it could not sign them in.
        flash(f"Signing in with {provider.label} was cancelled, so nothing changed.", "info")
        return redirect(_back(flow.get("next")))
    try:
        identity = identity_from_claims(provider.name, finish_sign_in(provider))
    except ProviderUnavailable:
        flash(UNAVAILABLE.format(label=provider.label), "error")
        return redirect(_back(flow.get("next")))
    except SignInFailed as failure:
        log.warning("OpenID Connect sign-in with %s refused: %s", provider.name, failure)
        return _problem(provider.label, FAILED.format(label=provider.label), 400)
    except SignInRefused as refusal:
        return _problem(provider.label, str(refusal), 400)
    if flow.get("link_for") is not None:
        return _link_to_current_account(provider, identity, flow["link_for"])
    return _sign_in(provider, identity, flow.get("next"))


def _wait_for_confirmation(identity: Identity, user_id: int, next_page: str | None):
    session[PENDING] = {
        **asdict(identity),
        "user_id": user_id,
        "next": next_page,
        "until": time.time() + PENDING_SECONDS,
    }
    return redirect(url_for("oidc.confirm"))


def _sign_in(provider: OidcProvider, identity: Identity, next_page: str | None):
    try:
        result = sign_in(identity, provider.label, mail_settings(current_app.config))
    except (AccountSuspended, SignInRefused) as refusal:
        return _problem(provider.label, str(refusal), 403)
    if result.outcome == CONFIRM:
        return _wait_for_confirmation(identity, result.user.id, next_page)
    user = result.user
    log_in(user)
    if result.outcome == CREATED:
        welcome = f"Welcome, {user.name}! Your account is ready."
        if user.email_verified_at is None:
            welcome += f" To get news of your ideas by mail, open the link we sent to {user.email}."
        flash(welcome, "success")
    else:
        flash(f"Welcome back, {user.name}.", "success")
    return redirect(_onward(next_page))


def _link_to_current_account(provider: OidcProvider, identity: Identity, user_id: int):
    """Started from the account page: link after one more click on the confirmation page."""
    if not current_user.is_authenticated or current_user.id != user_id:
        message = "You logged out or in as someone else meanwhile. Log in, then link again."
        return _problem(provider.label, message, 400)
    link = find_link(identity.provider, identity.subject)
    if link is not None and link.user_id == user_id:
        flash(f"This {provider.label} account is already linked to yours.", "info")
        return redirect(_back())
    if link is not None:
        return _problem(provider.label, LINKED_ELSEWHERE.format(label=provider.label), 409)
    return _wait_for_confirmation(identity, user_id, None)


def _pending() -> dict | None:
    """The identity waiting for confirmation, unless it has expired (the session is signed,
    so its content is what the callback put there)."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or pending.get("until", 0) < time.time():
        session.pop(PENDING, None)
        return None
    return pending


@bp.route("/confirm", methods=["GET", "POST"])
@throttle("LOGIN", failures_only=True)
def confirm():
    """Link a provider to an existing account: its password, or one click when logged in."""
    form = ConfirmForm()
    invalid = request.method == "POST" and not form.validate()
    pending = _pending()
    if pending is None:
        if invalid:
            abort(400)
        flash("Nothing is waiting to be linked (any more). Please sign in again.", "info")
        return redirect(_back())
    identity = Identity(**{field.name: pending[field.name] for field in fields(Identity)})
    label = _label(identity.provider)
    target = link_target(pending["user_id"])
    if target is None:
        session.pop(PENDING, None)
        return _problem(label, "That account no longer exists. Please sign in again.", 400)
    logged_in_as_target = current_user.is_authenticated and current_user.id == target.id

    def page(status: int = 200):
        form.email.data = target.email  # the account being linked, whatever was sent
        body = render_template(
            "oidc/confirm.html",
            form=form,
            identity=identity,
            label=label,
            account=target,
            logged_in_as_target=logged_in_as_target,
            has_password=has_password(target),
        )
        return body, status

    if request.method == "GET" or invalid:
        return page(400 if invalid else 200)
    if not logged_in_as_target:
        if not has_password(target):
            return page(400)
        if normalize_email(form.email.data or "") != target.email:
            form.email.errors.append(f"Confirm with the password of {target.email}.")
            return page(400)
        if not form.password.data:
            form.password.errors.append("Enter the password of this account.")
            return page(400)
    try:
        if logged_in_as_target:
            link_account(target.id, identity, label)
            user = target
        else:
            user = confirm_with_password(target.id, identity, form.password.data, label)
    except (AccountSuspended, LinkRefused) as refusal:
        session.pop(PENDING, None)
        return _problem(label, str(refusal), 403)
    if user is None:
        form.password.errors.append("That is not the password of this account.")
        return page(400)
    next_page = pending.get("next")
    session.pop(PENDING, None)
    if not logged_in_as_target:
        log_in(user)
    flash(
        f"{label} is linked: from now on, “Continue with {label}” logs you in to this account.",
        "success",
    )
    return redirect(_back() if logged_in_as_target else _onward(next_page))


@bp.route("/unlink", methods=["POST"])
@login_required
def unlink():
    form = UnlinkForm()
    if not form.validate():
        abort(400)
    raw = form.linked_account.data or ""
    link_id = int(raw) if re.fullmatch(r"[0-9]{1,9}", raw) else 0
    try:
        removed = unlink_account(current_user.id, link_id)
    except UnlinkRefused as refusal:
        flash(str(refusal), "error")
        return redirect(_back())
    if removed is None:
        flash("That sign-in is not linked to your account (any more).", "info")
    else:
        label = _label(removed.provider)
        flash(f"{label} is unlinked: it no longer logs you in here.", "success")
    return redirect(_back())


@bp.app_context_processor
def _sign_in_buttons() -> dict:
    """The providers for the "Continue with …" buttons of the login and sign-up pages."""
    return {"oidc_providers": list(providers().values())}


@bp.app_template_global("linked_sign_ins")
def linked_sign_ins() -> dict:
    """For the account page (account/_linked_accounts.html): the signed-in person's links,
    the providers they could link, and whether a link may go (never the last way in)."""
    links = linked_accounts(current_user.id)
    linked = {link.provider for link in links}
    return {
        "links": [(link, _label(link.provider)) for link in links],
        "available": [p for p in providers().values() if p.name not in linked],
        "can_unlink": has_password(current_user) or len(links) > 1,
    }


@bp.after_app_request
def _let_forms_reach_providers(response):
    """A form's answer may only lead to this site (form-action 'self'), and the browser holds
    the redirect to the provider to that too: the pages with buttons also allow the providers."""
    if request.endpoint in PAGES_WITH_BUTTONS and response.mimetype == "text/html" and providers():
        origins = " ".join(form_action_origins())
        policy = response.headers.get("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers["Content-Security-Policy"] = policy.replace(
            "form-action 'self'", f"form-action 'self' {origins}", 1
        )
    return response
