"""Suspending an account: no login, every session ended at once, votes kept or removed.

Who may suspend whom: staff suspend members; admins suspend anyone but themselves; nobody
suspends their own account or an account already deleted. A suspended person's ideas and
comments stay (moderation can hide them); their votes on open ideas are removed if staff
choose so (votes on launched or declined ideas stay, as those counts are frozen) and do not
come back when the suspension is lifted, nor do the follows those votes made.
accounts.authenticate refuses them, and sessions.session_user ignores any session they may
still hold, so nothing they send counts; notifications reach them in the app, not by mail.
"""

from typing import NamedTuple

from ideaboard.board import audit
from ideaboard.board.counters import move_many_counters
from ideaboard.board.follows import VOTED
from ideaboard.db import db, is_sqlite
from ideaboard.models import Follow, User, UserSession, utcnow

# Ideas per statement when removing follows (SQLite caps a statement's parameters).
CHUNK = 500


class SuspensionError(ValueError):
    """This suspension (or lifting it) is not allowed; the message says why, for people."""


class Suspended(NamedTuple):
    user: User
    sessions_ended: int
    votes_removed: int


def may_suspend(actor: User, person: User, verb: str = "suspend") -> str | None:
    """Why the actor may not suspend this person (or lift it: verb), or None when they may."""
    if not actor.is_staff or actor.suspended_at is not None:
        return f"Only staff can {verb} accounts."
    if person.id == actor.id:
        return f"You cannot {verb} your own account."
    if person.deleted_at is not None:
        return "This account was deleted."
    if actor.role != "admin" and person.is_staff:
        return f"Only an admin can {verb} a staff member or an admin."
    return None


def lock_pair(actor_id: int, person_id: int) -> tuple[User, User]:
    """The actor's and the person's rows as they are now, locked until the transaction ends.

    Read again because a role or a suspension may have changed since the request began, and
    locked (on PostgreSQL; SQLite's IMMEDIATE transaction already keeps other writers out),
    in id order, so that two admins acting on each other at once go one after the other:
    the second finds it has lost its role, and the board never ends up with no admin.
    """
    query = User.select().where(User.id.in_([actor_id, person_id])).order_by(User.id)
    rows = {user.id: user for user in (query if is_sqlite() else query.for_update())}
    if person_id not in rows:
        raise SuspensionError("There is no such person.")
    if actor_id not in rows:
        raise SuspensionError("Your account is gone.")
    return rows[actor_id], rows[person_id]


def _remove_open_votes(user_id: int) -> int:
    """Delete the person's votes on open ideas and move each idea's counter down by one."""
    p = db.param
    idea_ids = [
        row[0]
        for row in db.execute_sql(
            f"DELETE FROM vote WHERE user_id = {p}"
            " AND idea_id IN (SELECT id FROM idea WHERE is_open) RETURNING idea_id",
            [user_id],
        ).fetchall()
    ]
    # One vote per person per idea: each idea loses exactly one.
    move_many_counters(idea_ids, votes=-1)
    # The follows those votes made go with them (the person asked for no other).
    for start in range(0, len(idea_ids), CHUNK):
        Follow.delete().where(
            (Follow.user == user_id)
            & Follow.idea.in_(idea_ids[start : start + CHUNK])
            & (Follow.reason == VOTED)
        ).execute()
    return len(idea_ids)


def suspend(user_id: int, actor: User, remove_votes: bool) -> Suspended:
    """Suspend the account now: its sessions end, its votes on open ideas go if asked."""
    with db.atomic():
        actor, person = lock_pair(actor.id, user_id)
        refusal = may_suspend(actor, person)
        if refusal:
            raise SuspensionError(refusal)
        if person.suspended_at is not None:
            raise SuspensionError(f"{person.name} is already suspended.")
        person.suspended_at = utcnow()
        User.update(suspended_at=person.suspended_at).where(User.id == person.id).execute()
        sessions = UserSession.delete().where(UserSession.user == person.id).execute()
        votes = _remove_open_votes(person.id) if remove_votes else 0
        audit.record(
            actor,
            "suspend",
            f"Suspended {person.name} (#{person.id}); "
            + (
                f"{votes} vote{'' if votes == 1 else 's'} removed" if remove_votes else "votes kept"
            ),
            user_id=person.id,
            remove_votes=remove_votes,
            votes_removed=votes,
            sessions_ended=sessions,
        )
    return Suspended(person, sessions, votes)


def unsuspend(user_id: int, actor: User) -> User:
    """Lift the suspension: the person can log in again (removed votes stay removed)."""
    with db.atomic():
        actor, person = lock_pair(actor.id, user_id)
        refusal = may_suspend(actor, person, verb="lift the suspension of")
        if refusal:
            raise SuspensionError(refusal)
        if person.suspended_at is None:
            raise SuspensionError(f"{person.name} is not suspended.")
        person.suspended_at = None
        User.update(suspended_at=None).where(User.id == person.id).execute()
        audit.record(
            actor,
            "unsuspend",
            f"Lifted the suspension of {person.name} (#{person.id})",
            user_id=person.id,
        )
    return person


def open_vote_count(user_id: int) -> int:
    """How many votes suspending with "remove votes" would take away."""
    p = db.param
    return db.execute_sql(
        f"SELECT COUNT(*) FROM vote WHERE user_id = {p}"
        " AND idea_id IN (SELECT id FROM idea WHERE is_open)",
        [user_id],
    ).fetchone()[0]
