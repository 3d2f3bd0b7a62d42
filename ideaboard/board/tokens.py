"""Signed tokens for links in mail: verify an address, reset a password, unsubscribe.

Each purpose has its own salt, so a token made for one cannot be used for another.
"""

from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

RESET_MAX_AGE = 3600  # one hour
VERIFY_MAX_AGE = 7 * 24 * 3600


class InvalidToken(ValueError):
    """The link is broken, expired or already used; the message says which, for people."""


def _timed(secret_key: str, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=f"ideaboard.{purpose}")


def make_timed_token(secret_key: str, purpose: str, payload: dict) -> str:
    return _timed(secret_key, purpose).dumps(payload)


def read_timed_token(secret_key: str, purpose: str, token: str, max_age: int) -> dict:
    try:
        payload = _timed(secret_key, purpose).loads(token, max_age=max_age)
    except SignatureExpired:
        raise InvalidToken("This link has expired. Ask for a new one.") from None
    except BadSignature:
        raise InvalidToken("This link is not valid. Check that it was copied whole.") from None
    if not isinstance(payload, dict):
        raise InvalidToken("This link is not valid. Check that it was copied whole.")
    return payload


def make_token(secret_key: str, purpose: str, payload: dict) -> str:
    """A token that never expires (unsubscribe links must work in old mail)."""
    return URLSafeSerializer(secret_key, salt=f"ideaboard.{purpose}").dumps(payload)


def read_token(secret_key: str, purpose: str, token: str) -> dict:
    try:
        payload = URLSafeSerializer(secret_key, salt=f"ideaboard.{purpose}").loads(token)
    except BadSignature:
        raise InvalidToken("This link is not valid. Check that it was copied whole.") from None
    if not isinstance(payload, dict):
        raise InvalidToken("This link is not valid. Check that it was copied whole.")
    return payload
