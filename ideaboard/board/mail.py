"""Writing mail: who may get which kind, what it says, and putting it in the outbox.

A mail is rendered from templates/mail/<kind>.txt and .html and written to the outbox in the
caller's transaction; the worker (board/outbox.py) sends it later.
"""

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ideaboard.models import OutgoingMail, User, utcnow

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# Mail that goes to an address whether or not its owner has confirmed it.
ACCOUNT_MAIL = frozenset({"verify_email", "reset_password"})

_templates = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class MailSettings:
    """What mail needs from the configuration; built once from the app's config."""

    base_url: str
    mail_from: str
    site_name: str
    secret_key: str

    @property
    def domain(self) -> str:
        return urlsplit(self.base_url).hostname or "localhost"

    def link(self, path: str) -> str:
        return self.base_url.rstrip("/") + path


def mail_settings(config: Mapping) -> MailSettings:
    return MailSettings(
        base_url=config["BASE_URL"],
        mail_from=config["MAIL_FROM"],
        site_name=config["SITE_NAME"],
        secret_key=config["SECRET_KEY"],
    )


def may_receive(user: User, kind: str) -> bool:
    """No mail but verification and password resets goes to an unconfirmed address."""
    return kind in ACCOUNT_MAIL or user.email_verified_at is not None


def render(kind: str, settings: MailSettings, **context) -> tuple[str, str, str]:
    """The subject, plain text and HTML of a mail of this kind."""
    context = {"site_name": settings.site_name, "base_url": settings.base_url, **context}
    text = _templates.get_template(f"mail/{kind}.txt").render(context)
    html = _templates.get_template(f"mail/{kind}.html").render(context)
    # The text template's first line is "Subject: …".
    first, _, body = text.partition("\n")
    return first.removeprefix("Subject:").strip(), body.lstrip("\n"), html


def enqueue(
    user: User,
    kind: str,
    settings: MailSettings,
    unsubscribe_url: str | None = None,
    **context,
) -> OutgoingMail | None:
    """Put a mail to the user in the outbox (in the caller's transaction); None if not allowed."""
    if not may_receive(user, kind):
        return None
    subject, text, html = render(kind, settings, user=user, **context)
    return OutgoingMail.create(
        message_id=f"<{secrets.token_hex(16)}@{settings.domain}>",
        kind=kind,
        user=user.id,
        to_address=user.email,
        subject=subject,
        text_body=text,
        html_body=html,
        unsubscribe_url=unsubscribe_url,
        next_attempt_at=utcnow(),
    )
