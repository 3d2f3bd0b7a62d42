"""The signed-in user's own account: display name, email and password."""

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from ideaboard.board import accounts
from ideaboard.board.mail import mail_settings
from ideaboard.board.passwords import check_password
from ideaboard.web.forms import EmailForm, NameForm, PasswordForm
from ideaboard.web.throttling import throttle

bp = Blueprint("account", __name__, url_prefix="/account")

WRONG_PASSWORD = "That is not your current password."


def _forms(**submitted) -> dict:
    """The three forms of the page: the one just sent keeps its input and errors."""
    forms = {
        "name_form": NameForm(formdata=None, name=current_user.name),
        "email_form": EmailForm(formdata=None, email=current_user.email),
        "password_form": PasswordForm(formdata=None),
    }
    forms.update(submitted)
    return forms


def _page(status: int = 200, **submitted):
    return render_template("account/index.html", **_forms(**submitted)), status


def _done(message: str):
    flash(message, "success")
    return redirect(url_for("account.index"))


def _confirmed(form) -> bool:
    """The form is valid and its current password is right (else the field says why)."""
    if not form.validate():
        return False
    if not check_password(current_user.password_hash, form.current_password.data):
        form.current_password.errors.append(WRONG_PASSWORD)
        return False
    return True


@bp.route("")
@login_required
def index():
    return _page()


@bp.route("/name", methods=["POST"])
@login_required
def change_name():
    form = NameForm()
    if not form.validate():
        return _page(400, name_form=form)
    accounts.rename(current_user.id, form.name.data)
    return _done(f"Your display name is now {form.name.data}.")


@bp.route("/email", methods=["POST"])
@login_required
@throttle("ACCOUNT", failures_only=True)
def change_email():
    form = EmailForm()
    if _confirmed(form):
        try:
            email = accounts.change_email(
                current_user.id, form.email.data, mail_settings(current_app.config)
            )
        except accounts.EmailTaken:
            form.email.errors.append("Another account already uses this email.")
        else:
            return _done(
                f"Your email is now {email}. Use it the next time you log in, and open the link"
                " we sent there to confirm it."
            )
    return _page(400, email_form=form)


@bp.route("/password", methods=["POST"])
@login_required
@throttle("ACCOUNT", failures_only=True)
def change_password():
    form = PasswordForm()
    if _confirmed(form):
        accounts.change_password(current_user.id, form.password.data, current_user.session_key)
        return _done("Your password is changed, and you are logged out on other devices.")
    return _page(400, password_form=form)
