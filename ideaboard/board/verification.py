"""Confirming that an address belongs to the account: a signed link mailed to it."""

from ideaboard.board import mail, tokens
from ideaboard.board.mail import MailSettings
from ideaboard.models import OutgoingMail, User, utcnow

VERIFY = "verify_email"


class VerificationError(ValueError):
    """The link cannot be used; the message says why, for people."""


def verify_email_path(user: User, settings: MailSettings) -> str:
    token = tokens.make_timed_token(settings.secret_key, VERIFY, {"u": user.id, "e": user.email})
    return f"/verify-email/{token}"


def send_verification(user: User, settings: MailSettings) -> OutgoingMail | None:
    """Mail a link that confirms the account's address (in the caller's transaction)."""
    link = settings.link(verify_email_path(user, settings))
    return mail.enqueue(user, VERIFY, settings, link=link)


def resend_verification_mail(user: User, settings: MailSettings) -> bool:
    """Another link for an unconfirmed address; False when it is confirmed already."""
    if user.email_verified_at is not None:
        return False
    send_verification(user, settings)
    return True


def mark_verified(user_id: int) -> None:
    User.update(email_verified_at=utcnow()).where(
        (User.id == user_id) & User.email_verified_at.is_null()
    ).execute()


def verify_email(token: str, settings: MailSettings) -> User:
    """Mark the address in a verification link as confirmed; VerificationError if it is bad."""
    try:
        payload = tokens.read_timed_token(settings.secret_key, VERIFY, token, tokens.VERIFY_MAX_AGE)
    except tokens.InvalidToken as error:
        raise VerificationError(str(error)) from None
    user = User.get_or_none(User.id == payload.get("u"))
    if user is None or user.email != payload.get("e"):
        raise VerificationError(
            "This link was for an address the account no longer uses. Ask for a new one."
        )
    mark_verified(user.id)
    return User.get_by_id(user.id)
