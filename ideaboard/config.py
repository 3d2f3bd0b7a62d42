"""Every default in one place; IDEABOARD_* environment variables override them."""

import os
import secrets
from pathlib import Path


def _persistent_secret_key(instance_path: str) -> str:
    """A random key kept in instance/ so sessions survive restarts without a constant in code."""
    key_file = Path(instance_path) / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def load_config(instance_path: str) -> dict:
    """Build the Flask config from the environment, falling back to development defaults."""
    env = os.environ.get
    default_db = "sqlite:///" + os.path.join(instance_path, "ideaboard.db")
    return {
        "DATABASE_URL": env("IDEABOARD_DATABASE_URL", default_db),
        "SECRET_KEY": env("IDEABOARD_SECRET_KEY") or _persistent_secret_key(instance_path),
        "SITE_NAME": env("IDEABOARD_SITE_NAME", "IdeaBoard"),
        "IDEAS_PER_PAGE": int(env("IDEABOARD_IDEAS_PER_PAGE", "20")),
        # Bodies are capped at 10,000 characters; form encoding can triple that, so leave room.
        "MAX_CONTENT_LENGTH": int(env("IDEABOARD_MAX_CONTENT_LENGTH", str(256 * 1024))),
        # Set to 1 only behind a reverse proxy you run, so X-Forwarded-Proto can be believed.
        "TRUST_PROXY": env("IDEABOARD_TRUST_PROXY", "0") == "1",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": 60 * 60 * 24 * 30,
        # CSRF tokens live as long as the session, so a form left open for hours still posts.
        "WTF_CSRF_TIME_LIMIT": None,
    }
