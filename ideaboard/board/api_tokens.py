"""Personal access tokens: made and revoked by their owner, shown once, kept as a hash."""

import hashlib
import secrets
from datetime import timedelta

from ideaboard.db import db
from ideaboard.models import TOKEN_SCOPES, ApiToken, User, utcnow

# Recognisable in logs and by secret scanners, which look for fixed prefixes.
TOKEN_PREFIX = "ib_"
MAX_TOKENS = 20
# Writing "last used" on every request would turn each read into a write.
LAST_USED_PRECISION = timedelta(minutes=5)


class TokenRefused(ValueError):
    """The token cannot be made as asked; the message says why."""


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def scopes_allowed(user: User) -> tuple[str, ...]:
    """The scopes this person may give a token: staff rights only to staff."""
    return TOKEN_SCOPES if user.is_staff else tuple(s for s in TOKEN_SCOPES if s != "staff")


def issue_token(user: User, name: str, scopes: list[str]) -> tuple[ApiToken, str]:
    """A new token for user and its secret, which is returned here once and never stored."""
    name = name.strip()
    wanted = [scope for scope in TOKEN_SCOPES if scope in scopes]
    if not name or len(name) > 60:
        raise TokenRefused("Give the token a name of 1 to 60 characters.")
    if not wanted or len(wanted) != len(set(scopes)):
        raise TokenRefused("Choose at least one scope: " + ", ".join(TOKEN_SCOPES) + ".")
    if any(scope not in scopes_allowed(user) for scope in wanted):
        raise TokenRefused("Only staff accounts can make tokens with the staff scope.")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with db.atomic():
        if ApiToken.select().where(ApiToken.user == user.id).count() >= MAX_TOKENS:
            raise TokenRefused(f"You have {MAX_TOKENS} tokens: revoke one you no longer use.")
        token = ApiToken.create(
            user=user.id,
            name=name,
            token_hash=hash_secret(secret),
            prefix=secret[: len(TOKEN_PREFIX) + 4],
            scopes=",".join(wanted),
        )
    return token, secret


def tokens_of(user_id: int) -> list[ApiToken]:
    return list(
        ApiToken.select().where(ApiToken.user == user_id).order_by(ApiToken.created_at.desc())
    )


def revoke_token(user_id: int, token_id: int) -> bool:
    """Revoke one of user_id's own tokens; False when they have no such token."""
    deleted = ApiToken.delete().where((ApiToken.id == token_id) & (ApiToken.user == user_id))
    return deleted.execute() > 0


def token_owner(secret: str) -> tuple[User, list[str]] | None:
    """Who a presented token acts for, and its scopes; None for an unknown token, or one of a
    suspended or deleted account (a suspension ends API access as it ends sessions)."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    token = (
        ApiToken.select(ApiToken, User)
        .join(User)
        .where(ApiToken.token_hash == hash_secret(secret))
        .first()
    )
    if token is None or token.user.suspended_at or token.user.deleted_at:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        ApiToken.update(last_used_at=now).where(ApiToken.id == token.id).execute()
    # Staff rights end with the role: a token made by staff who became a member loses them.
    scopes = [s for s in token.scope_names if s in scopes_allowed(token.user)]
    return token.user, scopes
