"""Every default in one place; IDEABOARD_* environment variables override them."""

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit


def _persistent_secret_key(instance_path: str) -> str:
    """A random key kept in instance/ so sessions survive restarts without a constant in code."""
    key_file = Path(instance_path) / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


# POSTs allowed per client IP address and per account (for login and sign-up: per email typed).
# Logins and account changes count only failed attempts; "a; b" means both must hold.
RATE_LIMITS = {
    "RATELIMIT_LOGIN_PER_IP": "30 per 15 minutes; 100 per day",
    "RATELIMIT_LOGIN_PER_ACCOUNT": "10 per 15 minutes; 50 per day",
    "RATELIMIT_REGISTER_PER_IP": "10 per hour; 30 per day",
    "RATELIMIT_REGISTER_PER_ACCOUNT": "5 per hour",
    "RATELIMIT_ACCOUNT_PER_IP": "30 per 15 minutes",
    "RATELIMIT_ACCOUNT_PER_ACCOUNT": "10 per 15 minutes",
    "RATELIMIT_IDEA_PER_IP": "30 per hour",
    "RATELIMIT_IDEA_PER_ACCOUNT": "10 per hour; 30 per day",
    "RATELIMIT_COMMENT_PER_IP": "60 per 10 minutes",
    "RATELIMIT_COMMENT_PER_ACCOUNT": "20 per 10 minutes; 200 per day",
    "RATELIMIT_VOTE_PER_IP": "300 per 10 minutes",
    "RATELIMIT_VOTE_PER_ACCOUNT": "120 per 10 minutes",
    # Flags ask staff to look at an idea or a comment (board/moderation.py).
    "RATELIMIT_FLAG_PER_IP": "30 per 10 minutes",
    "RATELIMIT_FLAG_PER_ACCOUNT": "20 per 10 minutes; 100 per day",
    # "Forgot your password?" and "send the link again": each sends a mail.
    "RATELIMIT_MAIL_PER_IP": "10 per hour; 30 per day",
    "RATELIMIT_MAIL_PER_ACCOUNT": "3 per hour; 10 per day",
    # Every API call, per token (or per address without one); writes also count as above.
    "RATELIMIT_API": "600 per 10 minutes",
}


ORIGIN = re.compile(r"https?://[a-z0-9.-]+(:[0-9]{1,5})?|https?://\[[0-9a-f:.]+\](:[0-9]{1,5})?")


def embed_origins(raw: str) -> list[str]:
    """IDEABOARD_EMBED_ORIGINS: the sites that may show the embeddable badge in an iframe,
    comma-separated origins such as https://shop.example.com; none by default."""
    origins = [part.strip().lower().rstrip("/") for part in raw.split(",") if part.strip()]
    for origin in origins:
        if not ORIGIN.fullmatch(origin):
            raise ValueError(
                f"IDEABOARD_EMBED_ORIGINS: {origin!r} is not an origin such as"
                " https://shop.example.com (scheme and host, maybe a port, no path)"
            )
    return origins


@dataclass(frozen=True)
class OidcProvider:
    """An OpenID Connect provider people may sign in with (web/oidc.py)."""

    name: str  # in the callback address and in LinkedAccount.provider: never change it
    issuer: str
    client_id: str
    client_secret: str = field(repr=False)  # kept out of logs and tracebacks
    label: str  # the button says "Continue with <label>"

    @property
    def discovery_url(self) -> str:
        return self.issuer + "/.well-known/openid-configuration"


# At most 40 characters: LinkedAccount.provider keeps the name.
PROVIDER_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?")
# Plain http only for a provider on this machine (development, the tests' own provider).
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
LABEL_MAX = 40


def _issuer(variable: str, raw: str) -> str:
    """The issuer as OpenID Connect Discovery wants it: https, a host, no query or fragment."""
    try:
        parts = urlsplit(raw)
    except ValueError:  # e.g. an unclosed [IPv6 address
        parts = urlsplit("")
    local = parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS
    if (
        not (parts.scheme == "https" or local)
        or not parts.hostname
        or parts.username
        or parts.query
        or parts.fragment
    ):
        raise ValueError(
            f"{variable}: {raw!r} is not an issuer address such as https://accounts.example.com"
            " (https, no query; http only on 127.0.0.1 or localhost)"
        )
    return raw.rstrip("/")


def oidc_providers(environ: Mapping[str, str]) -> dict[str, OidcProvider]:
    """IDEABOARD_OIDC_PROVIDERS=acme,google names the providers; for each, the variables
    IDEABOARD_OIDC_<NAME>_ISSUER, _CLIENT_ID, _CLIENT_SECRET and optionally _LABEL (NAME in
    capitals, dashes as underscores). Anything missing or malformed stops the start."""
    providers: dict[str, OidcProvider] = {}
    for name in (part.strip() for part in environ.get("IDEABOARD_OIDC_PROVIDERS", "").split(",")):
        if not name:
            continue
        if not PROVIDER_NAME.fullmatch(name):
            raise ValueError(
                f"IDEABOARD_OIDC_PROVIDERS: {name!r} is not a provider name: use lowercase"
                " letters, digits and dashes (at most 40), such as acme or my-sso"
            )
        if name in providers:
            raise ValueError(f"IDEABOARD_OIDC_PROVIDERS names {name!r} twice")
        prefix = f"IDEABOARD_OIDC_{name.upper().replace('-', '_')}_"
        values = {
            key: environ.get(prefix + key, "").strip()
            for key in ("ISSUER", "CLIENT_ID", "CLIENT_SECRET", "LABEL")
        }
        missing = [
            prefix + key for key in ("ISSUER", "CLIENT_ID", "CLIENT_SECRET") if not values[key]
        ]
        if missing:
            raise ValueError(
                f"IDEABOARD_OIDC_PROVIDERS names {name!r}, but {' and '.join(missing)}"
                f" {'is' if len(missing) == 1 else 'are'} not set"
            )
        label = values["LABEL"] or name.capitalize()
        if len(label) > LABEL_MAX or not label.isprintable():
            raise ValueError(f"{prefix}LABEL: at most {LABEL_MAX} printable characters")
        providers[name] = OidcProvider(
            name=name,
            issuer=_issuer(prefix + "ISSUER", values["ISSUER"]),
            client_id=values["CLIENT_ID"],
            client_secret=values["CLIENT_SECRET"],
            label=label,
        )
    return providers


def load_config(instance_path: str) -> dict:
    """Build the Flask config from the environment, falling back to development defaults."""
    env = os.environ.get
    default_db = "sqlite:///" + os.path.join(instance_path, "ideaboard.db")
    return {
        "DATABASE_URL": env("IDEABOARD_DATABASE_URL", default_db),
        "SECRET_KEY": env("IDEABOARD_SECRET_KEY") or _persistent_secret_key(instance_path),
        "SITE_NAME": env("IDEABOARD_SITE_NAME", "IdeaBoard"),
        "IDEAS_PER_PAGE": int(env("IDEABOARD_IDEAS_PER_PAGE", "20")),
        # Triage shows how long each idea has waited for an answer, and when it is past this.
        "RESPONSE_TARGET_DAYS": int(env("IDEABOARD_RESPONSE_TARGET_DAYS", "14")),
        # 1: a new account's ideas wait for staff approval until one of them is approved.
        "PREMODERATE_FIRST_POSTS": env("IDEABOARD_PREMODERATE_FIRST_POSTS", "0") == "1",
        # Sites allowed to frame the embeddable badge (/embed/ideas/<id>): web/embed.py.
        "EMBED_ORIGINS": embed_origins(env("IDEABOARD_EMBED_ORIGINS", "")),
        # OpenID Connect providers for "Continue with …" (web/oidc.py): name -> OidcProvider.
        "OIDC_PROVIDERS": oidc_providers(os.environ),
        # Webhooks never post to private, loopback or link-local addresses, except to hosts
        # named here (comma-separated, e.g. 127.0.0.1,hooks.internal): ideaboard/webhook_http.py.
        "WEBHOOK_ALLOW_HOSTS": [
            host.strip().lower()
            for host in env("IDEABOARD_WEBHOOK_ALLOW_HOSTS", "").split(",")
            if host.strip()
        ],
        # Seconds to connect, and to wait for each part of the answer.
        "WEBHOOK_TIMEOUT": float(env("IDEABOARD_WEBHOOK_TIMEOUT", "5")),
        # Votes a person may have on open ideas at a time (UserVoice style); 0: no limit.
        "VOTE_BUDGET": max(int(env("IDEABOARD_VOTE_BUDGET", "0")), 0),
        # Bodies are capped at 10,000 characters; form encoding can triple that, so leave room.
        "MAX_CONTENT_LENGTH": int(env("IDEABOARD_MAX_CONTENT_LENGTH", str(256 * 1024))),
        # Set to 1 only behind a reverse proxy you run, so X-Forwarded-Proto can be believed.
        "TRUST_PROXY": env("IDEABOARD_TRUST_PROXY", "0") == "1",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": 60 * 60 * 24 * 30,
        # CSRF tokens live as long as the session, so a form left open for hours still posts.
        "WTF_CSRF_TIME_LIMIT": None,
        # Pages for visitors without a session are kept this long at most (0: not at all),
        # and dropped at once when anything on the board changes (ideaboard/web/page_cache.py).
        "PAGE_CACHE_SECONDS": float(env("IDEABOARD_PAGE_CACHE_SECONDS", "30")),
        "PAGE_CACHE_ENTRIES": int(env("IDEABOARD_PAGE_CACHE_ENTRIES", "500")),
        # Mail: with no SMTP server, each mail becomes an .eml file in instance/mail/.
        "SMTP_URL": env("IDEABOARD_SMTP_URL", ""),
        "MAIL_FROM": env("IDEABOARD_MAIL_FROM", "ideas@localhost"),
        "MAIL_FOLDER": os.path.join(instance_path, "mail"),
        # The public address of the board: links in mail start with it.
        "BASE_URL": env("IDEABOARD_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
        # The background worker looks for due work this often when idle (seconds).
        "WORKER_INTERVAL": float(env("IDEABOARD_WORKER_INTERVAL", "5")),
        # Throttling (Flask-Limiter). The default SQLite file is shared by every worker on this
        # machine (ideaboard/ratelimit_store.py); several machines share redis:// instead.
        # memory:// would count per worker process, multiplying every limit by the workers.
        "RATELIMIT_ENABLED": env("IDEABOARD_RATELIMIT_ENABLED", "1") != "0",
        "RATELIMIT_STORAGE_URI": env(
            "IDEABOARD_RATELIMIT_STORAGE_URL",
            "sqlite:///" + os.path.join(instance_path, "ratelimits.sqlite"),
        ),
        # Starts every key, so several boards can share one Redis without sharing counts.
        "RATELIMIT_KEY_PREFIX": env("IDEABOARD_RATELIMIT_KEY_PREFIX", ""),
        **RATE_LIMITS,
    }
