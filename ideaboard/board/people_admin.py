"""Admins' view of the people on the board: find someone, see what they did, change roles.

Roles: member, staff, admin. Only admins change them; nobody changes their own (another admin
must), so no admin demotes themselves by accident, and the board always keeps an admin.
`flask create-user --role` still makes an account with any role from the command line.
"""

from dataclasses import dataclass

from peewee import OP, SQL, Expression, NodeList, Value, fn

from ideaboard.board import audit
from ideaboard.board.listing import Page, id_page, row_id
from ideaboard.board.suspension import lock_pair
from ideaboard.db import db, is_sqlite
from ideaboard.models import ROLES, AuditEntry, Comment, Idea, User, Vote, normalize_email
from ideaboard.text import CONTROL_CHARACTERS

# Which people a search lists.
EVERYONE, TEAM, SUSPENDED = "all", "team", "suspended"
SHOWS = {EVERYONE: "Everyone", TEAM: "Staff and admins", SUSPENDED: "Suspended"}
ROLE_LABELS = {"member": "Member", "staff": "Staff", "admin": "Admin"}
SEARCH_MAX = 100


class RoleError(ValueError):
    """This role change is not allowed; the message says why, for people."""


def _contains(column, text: str) -> Expression:
    """column LIKE '%text%' (lower case; wildcards in the text escaped). Emails are stored in
    lower case, names are compared lower-cased: plain LIKE costs half of ILIKE on PostgreSQL,
    and a search that matches few people reads every row once."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = NodeList((Value(f"%{escaped}%"), SQL("ESCAPE"), Value("\\")))
    # peewee writes SQLite's LIKE for ILIKE (and GLOB for LIKE).
    return Expression(column, OP.ILIKE if is_sqlite() else OP.LIKE, pattern)


def find_people(
    text: str = "",
    show: str = EVERYONE,
    per_page: int = 25,
    after: str | None = None,
    before: str | None = None,
) -> Page:
    """People whose name or email contains the text (any capitals), newest first.

    Paged by id, read from the primary key in order: a page stops the scan as soon as it is
    full, so a common word costs a few rows even among 100,000 people; a full address is
    looked up through the unique email index alone.
    """
    # Control characters match nobody (and PostgreSQL refuses NUL in a string outright).
    text = CONTROL_CHARACTERS.sub("", text).strip()[:SEARCH_MAX]
    query = User.select()
    if "@" in text and " " not in text and User.get_or_none(User.email == normalize_email(text)):
        query = query.where(User.email == normalize_email(text))
    elif text:
        query = query.where(_contains(fn.LOWER(User.name), text) | _contains(User.email, text))
    if show == TEAM:
        query = query.where(User.role.in_(("staff", "admin")))
    elif show == SUSPENDED:
        query = query.where(User.suspended_at.is_null(False))
    return id_page(query, User.id, per_page, row_id(after), row_id(before))


@dataclass
class Activity:
    ideas: int = 0
    votes: int = 0
    comments: int = 0


def activity_of(user_ids: list[int]) -> dict[int, Activity]:
    """Ideas, votes and comments of each person, three grouped counts over their indexes."""
    found = {user_id: Activity() for user_id in user_ids}
    if not user_ids:
        return found
    for model, column, attribute in (
        (Idea, Idea.author, "ideas"),
        (Vote, Vote.user, "votes"),
        (Comment, Comment.author, "comments"),
    ):
        counts = (
            model.select(column, fn.COUNT(model.id))
            .where(column.in_(user_ids))
            .group_by(column)
            .tuples()
        )
        for user_id, count in counts:
            setattr(found[user_id], attribute, count)
    return found


def history_of(user_id: int, limit: int = 20) -> list[AuditEntry]:
    """What staff and admins did to this person, newest first (the audit log's user index)."""
    return list(
        AuditEntry.select()
        .where(AuditEntry.user_id == user_id)
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )


def change_role(user_id: int, role: str, actor: User) -> User:
    """Give the person a new role; RoleError says why not. Returns the person."""
    if role not in ROLES:
        raise RoleError("Choose member, staff or admin.")
    with db.atomic():
        actor, person = lock_pair(actor.id, user_id)
        if actor.role != "admin" or actor.suspended_at is not None:
            raise RoleError("Only admins change roles.")
        if person.id == actor.id:
            raise RoleError("You cannot change your own role: ask another admin.")
        if person.deleted_at is not None:
            raise RoleError("This account was deleted.")
        if person.role == role:
            raise RoleError(f"{person.name} is already {ROLE_LABELS[role].lower()}.")
        old = person.role
        User.update(role=role).where(User.id == person.id).execute()
        audit.record(
            actor,
            "role",
            f"{person.name} (#{person.id}): {ROLE_LABELS.get(old, old)} → {ROLE_LABELS[role]}",
            user_id=person.id,
            from_role=old,
            to_role=role,
        )
        person.role = role
    return person
