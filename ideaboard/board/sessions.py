"""Server-side sessions: a login is a row, the cookie holds only a random key to it."""

import hashlib
import secrets
from datetime import datetime, timedelta

from ideaboard.db import db
from ideaboard.models import User, UserSession, utcnow

# last_seen_at is written at most this often per session, not on every request.
SESSION_TOUCH_INTERVAL = timedelta(minutes=5)

# Plain SQL: this runs on every signed-in request, and building it through the ORM cost more
# than running it. The extra columns come back as attributes of the User.
SESSION_USER_SQL = (
    "SELECT u.*, s.id AS session_row_id, s.last_seen_at < {p} AS session_untouched"
    ' FROM usersession AS s JOIN "user" AS u ON u.id = s.user_id'
    " WHERE s.key_hash = {p} AND s.last_seen_at > {p}"
    # Suspending ends every session; this also ignores one begun in the same instant.
    " AND u.suspended_at IS NULL"
)


def hash_key(key: str) -> str:
    # Only the hash is stored: a leaked database or backup holds no usable session keys.
    return hashlib.sha256(key.encode()).hexdigest()


def _cutoff(lifetime_seconds: int) -> datetime:
    """Sessions unused since before this have expired, whatever the cookie says."""
    return utcnow() - timedelta(seconds=lifetime_seconds)


def start_session(user_id: int, lifetime_seconds: int) -> str:
    """A new server-side session for the user; returns the key for the cookie."""
    key = secrets.token_urlsafe(32)
    with db.atomic():
        # Tidy up as we go: this user's expired sessions are of no use to anyone.
        UserSession.delete().where(
            (UserSession.user == user_id) & (UserSession.last_seen_at <= _cutoff(lifetime_seconds))
        ).execute()
        UserSession.create(key_hash=hash_key(key), user=user_id)
    return key


def session_user(key: str, lifetime_seconds: int) -> User | None:
    """The user of a live session, found by its key; notes that the session is in use."""
    now = utcnow()
    as_db = UserSession.last_seen_at.db_value
    sql = SESSION_USER_SQL.format(p=db.param)
    params = (
        as_db(now - SESSION_TOUCH_INTERVAL),
        hash_key(key),
        as_db(_cutoff(lifetime_seconds)),
    )
    user = next(iter(User.raw(sql, *params)), None)
    if user is None:
        return None
    if user.session_untouched:
        UserSession.update(last_seen_at=now).where(UserSession.id == user.session_row_id).execute()
    return user


def end_session(key: str) -> None:
    """Delete one server-side session: its cookie, wherever it was copied, logs in nobody."""
    UserSession.delete().where(UserSession.key_hash == hash_key(key)).execute()


def end_other_sessions(user_id: int, keep_key: str | None) -> None:
    """Log the user out everywhere except in the session with keep_key (if any)."""
    query = UserSession.delete().where(UserSession.user == user_id)
    if keep_key is not None:
        query = query.where(UserSession.key_hash != hash_key(keep_key))
    query.execute()
