"""Getting back into an account: a signed, single-use link to set a new password.

A reset link carries a fingerprint of the password it replaces, so it works once: after the
reset the fingerprint no longer matches. It expires after an hour (board/tokens.py).
"""

import hashlib

from ideaboard.board import mail, tokens
from ideaboard.board.accounts import find_user, set_password
from ideaboard.board.mail import MailSettings
from ideaboard.board.passwords import password_problem
from ideaboard.board.sessions import end_other_sessions
from ideaboard.board.verification import mark_verified
from ideaboard.db import db
from ideaboard.models import User

RESET = "reset_password"


class RecoveryError(ValueError):
    """The link or the new password cannot be used; the message says why, for people."""


def _fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def reset_password_path(user: User, settings: MailSettings) -> str:
    payload = {"u": user.id, "p": _fingerprint(user.password_hash)}
    return f"/reset-password/{tokens.make_timed_token(settings.secret_key, RESET, payload)}"


def request_password_reset(email: str, settings: MailSettings) -> None:
    """Mail a reset link if the address has an account; the same outcome for the caller either
    way, so the answer tells nobody which addresses have accounts."""
    user = find_user(email)
    if user is None:
        return
    link = settings.link(reset_password_path(user, settings))
    with db.atomic():
        mail.enqueue(user, RESET, settings, link=link, minutes=tokens.RESET_MAX_AGE // 60)


def user_for_reset(token: str, settings: MailSettings) -> User:
    """The account a reset link is for, if the link is still good; else RecoveryError."""
    try:
        payload = tokens.read_timed_token(settings.secret_key, RESET, token, tokens.RESET_MAX_AGE)
    except tokens.InvalidToken as error:
        raise RecoveryError(str(error)) from None
    user = User.get_or_none(User.id == payload.get("u"))
    if user is None or _fingerprint(user.password_hash) != payload.get("p"):
        raise RecoveryError("This link has already been used. Ask for a new one if you need it.")
    return user


def reset_password(token: str, new_password: str, settings: MailSettings) -> User:
    """Set a new password through a reset link; every session of the account ends."""
    problem = password_problem(new_password)
    if problem:
        raise RecoveryError(problem)
    with db.atomic():
        user = user_for_reset(token, settings)
        set_password(user.id, new_password)
        end_other_sessions(user.id, keep_key=None)
        # Whoever opened the mailed link owns the address.
        mark_verified(user.id)
    return User.get_by_id(user.id)
