"""Accounts at OpenID Connect providers that sign people in: who an identity is, linking and
unlinking it, and new accounts made from what a provider vouches for.

An account made through a provider has no password: its hash is UNUSABLE_PASSWORD, which no
password ever matches, until its owner sets one through "Forgot your password?". An existing
account is never linked just because a provider names its email address: its owner first
proves they hold it (board: confirm_with_password, or by being logged in to it).
"""

from dataclasses import dataclass

from peewee import IntegrityError

from ideaboard.board.accounts import AccountSuspended, find_user
from ideaboard.board.deletion import UNUSABLE_PASSWORD
from ideaboard.board.mail import MailSettings
from ideaboard.board.passwords import check_password
from ideaboard.board.verification import send_verification
from ideaboard.db import db, is_sqlite
from ideaboard.models import LinkedAccount, User, normalize_email, utcnow
from ideaboard.text import CONTROL_CHARACTERS

NAME_MAX = 60
SUBJECT_MAX = 255
EMAIL_MAX = 254

# What a sign-in through a provider comes to.
KNOWN = "known"  # the identity is linked: log that account in
CREATED = "created"  # a new account was made for it: log that in
CONFIRM = "confirm"  # an account has the provider's verified email: its owner must confirm

NO_EMAIL = (
    "{label} did not share an email address with us, and we need one for your account. Allow"
    " it to share your email address, or sign up with your email and a password."
)
UNVERIFIED_CLASH = (
    "An account here already uses {email}, and {label} does not confirm that this address is"
    " yours, so we cannot link them. Log in with your email and password, then link {label}"
    " from your account page."
)
LINKED_ELSEWHERE = (
    "This {label} account is already linked to another account here. Log in to that one, or"
    " unlink it there first."
)
LAST_WAY_IN = (
    "This is the only way you can log in, so it stays linked. Set a password first"
    " (“Forgot your password?” mails you a link), or link another account."
)


class SignInRefused(ValueError):
    """The provider's sign-in cannot go on; the message says why, for people."""


class LinkRefused(ValueError):
    """This identity cannot be linked to that account; the message says why, for people."""


class UnlinkRefused(ValueError):
    """Removing this link would lock its owner out; the message says why, for people."""


@dataclass(frozen=True)
class Identity:
    """A person as a provider vouches for them, from the checked ID token's claims."""

    provider: str
    subject: str
    email: str = ""
    email_verified: bool = False
    name: str = ""


@dataclass(frozen=True)
class SignIn:
    outcome: str  # KNOWN, CREATED or CONFIRM
    user: User


def _clean(value, limit: int) -> str:
    """A claim as text we can store: a string, trimmed, no control characters, cut to size."""
    if not isinstance(value, str):
        return ""
    return " ".join(CONTROL_CHARACTERS.sub("", value).split())[:limit]


def identity_from_claims(provider: str, claims: dict) -> Identity:
    """The identity in a provider's claims; SignInRefused if they name nobody."""
    subject = claims.get("sub")
    if (
        not isinstance(subject, str)
        or not 0 < len(subject) <= SUBJECT_MAX
        or CONTROL_CHARACTERS.search(subject)
    ):
        raise SignInRefused("The provider's answer did not say who signed in. Please try again.")
    email = _email(claims.get("email"))
    # Some providers send "true" as a string; anything else means "not verified".
    verified = claims.get("email_verified") in (True, "true")
    return Identity(provider, subject, email, bool(email) and verified, _name(claims, email))


def _email(value) -> str:
    """The claim's address, as accounts store it; "" unless it looks like one."""
    if not isinstance(value, str):
        return ""
    email = normalize_email(value)
    local, _, domain = email.partition("@")
    plain = not CONTROL_CHARACTERS.search(email) and not any(ch.isspace() for ch in email)
    one_at = local and "@" not in domain and "." in domain
    return email if plain and one_at and len(email) <= EMAIL_MAX else ""


def _name(claims: dict, email: str) -> str:
    """The display name the provider gives, else the part of the email before the @."""
    name = _clean(claims.get("name"), NAME_MAX)
    if not name:
        given = _clean(claims.get("given_name"), NAME_MAX)
        family = _clean(claims.get("family_name"), NAME_MAX)
        name = f"{given} {family}".strip()[:NAME_MAX]
    return name or email.split("@")[0][:NAME_MAX] or "New member"


def has_password(user: User) -> bool:
    return user.password_hash != UNUSABLE_PASSWORD


def find_link(provider: str, subject: str) -> LinkedAccount | None:
    return LinkedAccount.get_or_none(
        (LinkedAccount.provider == provider) & (LinkedAccount.subject == subject)
    )


def link_target(user_id: int) -> User | None:
    """The account a pending link is for, unless it was deleted since."""
    user = User.get_or_none(User.id == user_id)
    return user if user is not None and user.deleted_at is None else None


def linked_accounts(user_id: int) -> list[LinkedAccount]:
    query = LinkedAccount.select().where(LinkedAccount.user == user_id)
    return list(query.order_by(LinkedAccount.provider, LinkedAccount.id))


def sign_in(identity: Identity, label: str, settings: MailSettings) -> SignIn:
    """Who this identity signs in as: its linked account, a new one, or (CONFIRM) an existing
    account with the same verified email, which is left unlinked until its owner confirms.

    Refuses (AccountSuspended, SignInRefused) a suspended account, a missing email, and an
    unverified email that an account already uses.
    """
    try:
        with db.atomic():
            link = find_link(identity.provider, identity.subject)
            if link is not None:
                user = link.user
                if user.deleted_at is None:
                    if user.suspended_at is not None:
                        raise AccountSuspended()
                    LinkedAccount.update(last_used_at=utcnow()).where(
                        LinkedAccount.id == link.id
                    ).execute()
                    return SignIn(KNOWN, user)
                # Its owner deleted that account: the identity no longer signs into it, and
                # counts as new.
                link.delete_instance()
            return _sign_up_or_confirm(identity, label, settings)
    except IntegrityError:
        # The same identity or email arrived twice at once; the second one tries again.
        raise SignInRefused("Signing in did not finish. Please try again.") from None


def _sign_up_or_confirm(identity: Identity, label: str, settings: MailSettings) -> SignIn:
    if not identity.email:
        raise SignInRefused(NO_EMAIL.format(label=label))
    existing = find_user(identity.email)
    if existing is not None:
        # Checked first: someone whose claim to the address is unverified learns nothing more.
        if not identity.email_verified:
            raise SignInRefused(UNVERIFIED_CLASH.format(email=identity.email, label=label))
        if existing.suspended_at is not None:
            raise AccountSuspended()
        return SignIn(CONFIRM, existing)
    now = utcnow()
    user = User.create(
        email=identity.email,
        name=identity.name,
        password_hash=UNUSABLE_PASSWORD,
        email_verified_at=now if identity.email_verified else None,
    )
    _create_link(user.id, identity, now)
    if not identity.email_verified:
        # As after signing up with a password: mail a link that confirms the address.
        send_verification(user, settings)
    return SignIn(CREATED, user)


def _create_link(user_id: int, identity: Identity, used_at=None) -> LinkedAccount:
    return LinkedAccount.create(
        user=user_id,
        provider=identity.provider,
        subject=identity.subject,
        email=identity.email,
        last_used_at=used_at,
    )


def _lock_user(user_id: int) -> User | None:
    """The account, re-read in the transaction; on PostgreSQL locked until it ends, so two
    links or unlinks at once are decided one after the other (SQLite's IMMEDIATE already)."""
    query = User.select().where(User.id == user_id)
    if not is_sqlite():
        query = query.for_update()
    return query.first()


def link_account(user_id: int, identity: Identity, label: str) -> LinkedAccount:
    """Link the identity to the account (its owner has confirmed); LinkRefused if it is
    linked to another account, or the account can no longer be used."""
    try:
        with db.atomic():
            user = _lock_user(user_id)
            if user is None or user.deleted_at is not None:
                raise LinkRefused("That account no longer exists.")
            if user.suspended_at is not None:
                raise AccountSuspended()
            link = find_link(identity.provider, identity.subject)
            if link is not None:
                if link.user_id != user_id:
                    raise LinkRefused(LINKED_ELSEWHERE.format(label=label))
                return link
            return _create_link(user_id, identity, utcnow())
    except IntegrityError:
        raise LinkRefused(LINKED_ELSEWHERE.format(label=label)) from None


def confirm_with_password(
    user_id: int, identity: Identity, password: str, label: str
) -> User | None:
    """Link the identity to the account whose email it shares, if the password is that
    account's; None if it is not. AccountSuspended only once the password is right."""
    user = User.get_or_none(User.id == user_id)
    if user is None or user.deleted_at is not None or user.email != identity.email:
        # The account changed its address (or went) since the provider named it.
        raise LinkRefused("That account has changed meanwhile. Please sign in again.")
    if not check_password(user.password_hash, password):
        return None
    link_account(user.id, identity, label)
    return User.get_by_id(user.id)


def unlink_account(user_id: int, link_id: int) -> LinkedAccount | None:
    """Remove one of the account's own links; None if it has no such link (any more).
    UnlinkRefused when it is the last way in to an account without a password."""
    with db.atomic():
        user = _lock_user(user_id)
        link = LinkedAccount.get_or_none(
            (LinkedAccount.id == link_id) & (LinkedAccount.user == user_id)
        )
        if user is None or link is None:
            return None
        others = LinkedAccount.select().where(
            (LinkedAccount.user == user_id) & (LinkedAccount.id != link_id)
        )
        if not has_password(user) and not others.exists():
            raise UnlinkRefused(LAST_WAY_IN)
        link.delete_instance()
    return link
