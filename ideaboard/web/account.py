"""The signed-in user's own account: name, email, password, bio; export and delete it."""

import json

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from ideaboard.board import accounts, people
from ideaboard.board.deletion import DELETE, STAFF_MUST_KEEP, DeletionRefused, delete_account
from ideaboard.board.mail import mail_settings
from ideaboard.board.passwords import check_password
from ideaboard.web.forms import BioForm, DeleteAccountForm, EmailForm, NameForm, PasswordForm
from ideaboard.web.login import log_out
from ideaboard.web.throttling import throttle

bp = Blueprint("account", __name__, url_prefix="/account")

WRONG_PASSWORD = "That is not your current password."


def _forms(**submitted) -> dict:
    """The forms of the page: the one just sent keeps its input and errors."""
    forms = {
        "name_form": NameForm(formdata=None, name=current_user.name),
        "bio_form": BioForm(formdata=None, bio=current_user.bio),
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


@bp.route("/bio", methods=["POST"])
@login_required
def change_bio():
    form = BioForm()
    if not form.validate():
        return _page(400, bio_form=form)
    people.set_bio(current_user.id, form.bio.data)
    return _done("Your profile is saved." if form.bio.data else "Your bio is removed.")


@bp.route("/export")
@login_required
def export():
    """Everything the board holds about me, as a JSON file to keep."""
    data = people.export_data(current_user.id)
    response = make_response(json.dumps(data, ensure_ascii=False, indent=2))
    response.mimetype = "application/json"
    response.headers["Content-Disposition"] = "attachment; filename=ideaboard-export.json"
    # Personal data: no shared cache may keep it, and no browser cache either.
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _delete_page(form: DeleteAccountForm, status: int = 200):
    page = render_template("account/delete.html", form=form, staff_must_keep=STAFF_MUST_KEEP)
    return page, status


@bp.route("/delete", methods=["GET", "POST"])
@login_required
@throttle("ACCOUNT", failures_only=True)
def delete():
    if request.method == "GET":
        return _delete_page(DeleteAccountForm(formdata=None))
    form = DeleteAccountForm()
    if not _confirmed(form):
        return _delete_page(form, 400)
    try:
        delete_account(current_user.id, form.content.data)
    except DeletionRefused as refusal:
        form.content.errors.append(str(refusal))
        return _delete_page(form, 400)
    log_out()
    if form.content.data == DELETE:
        flash("Your account is deleted, and your ideas and comments with it.", "success")
    else:
        flash(
            "Your account is deleted. Your ideas and comments stay, as “Deleted user”.", "success"
        )
    return redirect(url_for("ideas.index"))
