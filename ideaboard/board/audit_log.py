"""Reading the audit log (board/audit.py writes it): newest first, filtered, a page at a time.

Each filter (action, actor, idea, person) has its own (column, id) index, so a page is read
in order from one of them whatever the log's size. Nothing here changes a row: the database
refuses UPDATE and DELETE on the table anyway.
"""

import json
from dataclasses import dataclass

from ideaboard.board.audit import ACTIONS
from ideaboard.board.listing import Page, id_page, row_id
from ideaboard.models import AuditEntry, User, normalize_email
from ideaboard.text import CONTROL_CHARACTERS

PER_PAGE = 50


@dataclass
class AuditFilters:
    action: str | None = None
    actor_id: int | None = None
    idea_id: int | None = None
    user_id: int | None = None

    def __bool__(self) -> bool:
        return any(value is not None for value in vars(self).values())


def _person_id(raw: str | None) -> int | None:
    """A person by number, or by email address (0, which matches nothing, if nobody has it)."""
    text = (raw or "").strip()
    if "@" not in text:
        return row_id(text)
    if CONTROL_CHARACTERS.search(text):
        return 0
    person = User.get_or_none(User.email == normalize_email(text[:254]))
    return person.id if person else 0


def parse_filters(
    action: str | None, actor: str | None, idea: str | None, person: str | None
) -> AuditFilters:
    """Filters from what a person typed or picked; anything unreadable is left out."""
    return AuditFilters(
        action=action if action in ACTIONS else None,
        actor_id=row_id(actor),
        idea_id=row_id(idea),
        user_id=_person_id(person),
    )


def audit_page(
    filters: AuditFilters,
    per_page: int = PER_PAGE,
    after: str | None = None,
    before: str | None = None,
) -> Page:
    """One page of entries matching every filter, newest first; keyset on id."""
    query = AuditEntry.select()
    for column, value in (
        (AuditEntry.action, filters.action),
        (AuditEntry.actor_id, filters.actor_id),
        (AuditEntry.idea_id, filters.idea_id),
        (AuditEntry.user_id, filters.user_id),
    ):
        if value is not None:
            query = query.where(column == value)
    return id_page(query, AuditEntry.id, per_page, row_id(after), row_id(before))


def details(entry: AuditEntry) -> dict:
    """The entry's facts as stored (JSON), for the page's "details"."""
    try:
        found = json.loads(entry.detail or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def team() -> list[User]:
    """Staff and admins, by name: the actors a filter offers (others can be typed by number)."""
    return list(User.select().where(User.role.in_(("staff", "admin"))).order_by(User.name))
