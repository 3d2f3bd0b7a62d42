"""Password rules and hashing: argon2id at the OWASP-recommended minimum cost."""

from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP Password Storage Cheat Sheet: argon2id, 19 MiB of memory, 2 iterations, 1 lane.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

# ASVS 2.1.1-2.1.2: at least 8 characters (15+ recommended), and room for long passphrases.
MIN_LENGTH = 8
MAX_LENGTH = 128
RECOMMENDED_LENGTH = 15
COMMON_PASSWORDS_FILE = Path(__file__).parent / "data" / "common_passwords.txt"

LENGTH_MESSAGE = f"Passwords must be {MIN_LENGTH} to {MAX_LENGTH} characters long."
COMMON_MESSAGE = (
    "This password is on a list of common passwords that attackers try first. "
    "Please choose another one: a phrase of a few unrelated words works well."
)


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of well-known passwords, lowercase, loaded once."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None if it is acceptable (ASVS 2.1)."""
    # No composition rules and no trimming (ASVS 2.1.9, 2.1.3): only length and the list.
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        return LENGTH_MESSAGE
    if password.lower() in common_passwords():
        return COMMON_MESSAGE
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
