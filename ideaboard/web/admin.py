"""Admins' pages: people (find, roles, suspension) and the audit log. Staff may suspend
members too, from a person's profile, through the same confirmation page."""

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from ideaboard.board.audit import ACTIONS
from ideaboard.board.audit_log import audit_page, details, parse_filters, team
from ideaboard.board.people_admin import (
    EVERYONE,
    ROLE_LABELS,
    SHOWS,
    RoleError,
    activity_of,
    change_role,
    find_people,
    history_of,
)
from ideaboard.board.suspension import (
    SuspensionError,
    may_suspend,
    open_vote_count,
    suspend,
    unsuspend,
)
from ideaboard.models import User
from ideaboard.web.errors import wants_json
from ideaboard.web.ideas import focus_first_error
from ideaboard.web.login import admin_required, is_safe_next, staff_required
from ideaboard.web.people import get_person_or_404
from ideaboard.web.staff_forms import KEEP_VOTES, REMOVE_VOTES, RoleForm, SuspendForm

bp = Blueprint("admin", __name__, url_prefix="/admin")

PEOPLE_PER_PAGE = 25


@bp.route("")
@admin_required
def index():
    return render_template("admin/index.html")


@bp.route("/people")
@admin_required
def people():
    text = request.args.get("q", "")[:100]
    show = request.args.get("show", EVERYONE)
    show = show if show in SHOWS else EVERYONE
    page = find_people(
        text,
        show,
        PEOPLE_PER_PAGE,
        after=request.args.get("after"),
        before=request.args.get("before"),
    )
    return render_template(
        "admin/people.html",
        page=page,
        text=text,
        show=show,
        shows=SHOWS,
        roles=ROLE_LABELS,
        activity=activity_of([person.id for person in page.items]),
    )


def _person_page(person: User, role_form: RoleForm | None = None, status: int = 200):
    form = role_form or RoleForm(formdata=None, role=person.role)
    page = render_template(
        "admin/person.html",
        person=person,
        role_form=form,
        roles=ROLE_LABELS,
        activity=activity_of([person.id])[person.id],
        history=history_of(person.id),
        actions=ACTIONS,
        suspend_refusal=may_suspend(current_user, person),
    )
    return page, status


@bp.route("/people/<id:user_id>")
@admin_required
def person(user_id: int):
    return _person_page(get_person_or_404(user_id))


@bp.route("/people/<id:user_id>/role", methods=["POST"])
@admin_required
def set_role(user_id: int):
    person = get_person_or_404(user_id)
    form = RoleForm()
    if form.validate():
        try:
            change_role(person.id, form.role.data, current_user)
        except RoleError as refused:
            form.role.errors.append(str(refused))
        else:
            flash(f"{person.name} is now {ROLE_LABELS[form.role.data].lower()}.", "success")
            return redirect(url_for("admin.person", user_id=person.id))
    if wants_json():
        return jsonify(error="invalid", fields=form.errors, status=400), 400
    focus_first_error(form)
    return _person_page(person, role_form=form, status=400)


def _back(person: User, target: str | None) -> str:
    """Where to go after (un)suspending: the page that asked, if it is on this site."""
    if is_safe_next(target):
        return target
    if current_user.role == "admin":
        return url_for("admin.person", user_id=person.id)
    return url_for("people.profile", user_id=person.id)


@bp.route("/people/<id:user_id>/suspend", methods=["GET", "POST"])
@staff_required
def suspend_person(user_id: int):
    """A page that says what suspending does and asks about the votes: the confirmation."""
    person = get_person_or_404(user_id)
    refusal = may_suspend(current_user, person)
    if refusal:
        abort(403, description=refusal)
    if request.method == "GET":
        form = SuspendForm(formdata=None, votes=KEEP_VOTES, next=request.args.get("next"))
    else:
        form = SuspendForm()
    back = _back(person, form.next.data)
    if person.suspended_at is not None:
        flash(f"{person.name} is already suspended.", "info")
        return redirect(back)
    if request.method == "POST" and form.validate():
        try:
            done = suspend(person.id, current_user, form.votes.data == REMOVE_VOTES)
        except SuspensionError as refused:
            flash(str(refused), "info")
        else:
            removed = done.votes_removed
            votes = (
                f" {removed} vote{'' if removed == 1 else 's'} removed."
                if form.votes.data == REMOVE_VOTES
                else " Their votes stay."
            )
            flash(f"{person.name} is suspended and logged out everywhere.{votes}", "success")
        return redirect(back)
    if form.errors and wants_json():
        return jsonify(error="invalid", fields=form.errors, status=400), 400
    focus_first_error(form)
    page = render_template(
        "admin/suspend.html",
        person=person,
        form=form,
        back=back,
        open_votes=open_vote_count(person.id),
    )
    return page, 400 if form.errors else 200


@bp.route("/people/<id:user_id>/unsuspend", methods=["POST"])
@staff_required
def unsuspend_person(user_id: int):
    person = get_person_or_404(user_id)
    try:
        unsuspend(person.id, current_user)
    except SuspensionError as refused:
        flash(str(refused), "info")
    else:
        flash(f"{person.name} can log in again.", "success")
    return redirect(_back(person, request.form.get("next")))


@bp.route("/audit")
@admin_required
def audit():
    args = request.args
    filters = parse_filters(
        args.get("action"), args.get("actor"), args.get("idea"), args.get("person")
    )
    page = audit_page(filters, after=args.get("after"), before=args.get("before"))
    return render_template(
        "admin/audit.html",
        page=page,
        filters=filters,
        typed={name: args.get(name, "")[:254] for name in ("idea", "person")},
        actions=ACTIONS,
        team=team(),
        details=details,
    )
