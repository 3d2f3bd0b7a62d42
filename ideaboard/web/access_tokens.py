"""Personal access tokens for the API, on the account's own page: make one, see it once,
revoke it."""

from flask import Blueprint, flash, make_response, redirect, render_template, url_for
from flask_login import current_user, login_required

from ideaboard.board.api_tokens import (
    TokenRefused,
    issue_token,
    revoke_token,
    scopes_allowed,
    tokens_of,
)
from ideaboard.web.forms import TokenForm

bp = Blueprint("tokens", __name__, url_prefix="/account/tokens")


def _page(form: TokenForm, status: int = 200, secret: str | None = None):
    form.scopes.choices = [
        c for c in form.scopes.choices if c.value in scopes_allowed(current_user)
    ]
    page = render_template(
        "account/tokens.html", form=form, tokens=tokens_of(current_user.id), secret=secret
    )
    response = make_response(page, status)
    # The page that shows a new token's secret must not stay in any cache.
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("")
@login_required
def index():
    return _page(TokenForm(formdata=None, scopes=["read"]))


@bp.route("", methods=["POST"])
@login_required
def create():
    form = TokenForm()
    if not form.validate():
        return _page(form, 400)
    try:
        _, secret = issue_token(current_user, form.name.data, form.scopes.data)
    except TokenRefused as refused:
        form.scopes.errors.append(str(refused))
        return _page(form, 400)
    # Shown in this answer only: a redirect would have to carry the secret in the session.
    return _page(TokenForm(formdata=None, scopes=["read"]), secret=secret)


@bp.route("/<id:token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id: int):
    if revoke_token(current_user.id, token_id):
        flash("The token is revoked: it no longer works anywhere.", "success")
    else:
        flash("That token was already revoked.", "info")
    return redirect(url_for("tokens.index"))
