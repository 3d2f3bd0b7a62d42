"""Accounts: create one, log in with it, change its name, email and password."""

from peewee import IntegrityError

from ideaboard.board.mail import MailSettings
from ideaboard.board.passwords import check_password, hash_password
from ideaboard.board.sessions import end_other_sessions
from ideaboard.board.verification import send_verification
from ideaboard.db import db
from ideaboard.models import User, normalize_email, utcnow

# A hash of a random password: checking it costs as much as a real login, so the response
# time does not tell an attacker whether an email address has an account.
_DUMMY_HASH = hash_password("not-a-real-password-just-timing")


class EmailTaken(ValueError):
    """Another account already uses this email address."""


class AccountSuspended(ValueError):
    """The email and password are right, but staff suspended the account."""

    def __init__(self):
        super().__init__(
            "This account is suspended, so it cannot log in. If you think this is a mistake,"
            " reply to any mail from us and the team will look into it."
        )


def create_user(
    email: str, name: str, password: str, role: str = "member", verified: bool = False
) -> User:
    """Create an account; raises EmailTaken if the address has one.

    verified: an operator vouches for the address (the command line), so no link is needed.
    """
    try:
        with db.atomic():
            return User.create(
                email=normalize_email(email),
                name=name.strip(),
                password_hash=hash_password(password),
                role=role,
                email_verified_at=utcnow() if verified else None,
            )
    except IntegrityError:
        raise EmailTaken(email) from None


def sign_up(email: str, name: str, password: str, settings: MailSettings) -> User:
    """Sign up: the account, and the mail that confirms its address, in one transaction."""
    with db.atomic():
        user = create_user(email, name, password)
        send_verification(user, settings)
    return user


def find_user(email: str) -> User | None:
    return User.get_or_none(User.email == normalize_email(email))


def authenticate(email: str, password: str) -> User | None:
    """The account with this email and password, or None, in the same time either way.

    A suspended account raises AccountSuspended, only once the password is right: the
    message tells nothing to someone who merely guesses addresses.
    """
    user = find_user(email)
    if user is None:
        check_password(_DUMMY_HASH, password)
        return None
    if not check_password(user.password_hash, password):
        return None
    if user.suspended_at is not None:
        raise AccountSuspended()
    return user


def rename(user_id: int, name: str) -> None:
    User.update(name=name.strip()).where(User.id == user_id).execute()


def change_email(user_id: int, email: str, settings: MailSettings) -> str:
    """Store a new, unconfirmed address and mail it a link; return it, or raise EmailTaken."""
    email = normalize_email(email)
    try:
        with db.atomic():
            User.update(email=email, email_verified_at=None).where(User.id == user_id).execute()
            send_verification(User.get_by_id(user_id), settings)
    except IntegrityError:
        raise EmailTaken(email) from None
    return email


def set_password(user_id: int, password: str) -> None:
    User.update(password_hash=hash_password(password)).where(User.id == user_id).execute()


def change_password(user_id: int, password: str, keep_session_key: str | None) -> None:
    """Store a new password and end every other session of the account (ASVS 3.3.3)."""
    with db.atomic():
        set_password(user_id, password)
        # Whoever may know the old password is logged out everywhere else.
        end_other_sessions(user_id, keep_session_key)
