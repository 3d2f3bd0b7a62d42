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
from markupsafe import escape

from ideaboard.models import STATUS_LABELS, OutgoingMail, User, utcnow

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
_templates.globals["STATUS_LABELS"] = STATUS_LABELS


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


def render(kind: str, settings: MailSettings, /, **context) -> tuple[str, str, str]:
    """The subject, plain text and HTML of a mail of this kind."""
    context = {"site_name": settings.site_name, "base_url": settings.base_url, **context}
    text = _templates.get_template(f"mail/{kind}.txt").render(context)
    html = _templates.get_template(f"mail/{kind}.html").render(context)
    # The text template's first line is "Subject: …".
    first, _, body = text.partition("\n")
    return first.removeprefix("Subject:").strip(), body.lstrip("\n"), html


# Stand-ins for what differs from one recipient to the next in a mail rendered once for many.
NAME_SLOT, LINK_SLOT = "\x00name\x00", "\x00unsubscribe\x00"


@dataclass(frozen=True)
class Recipient:
    id: int
    name: str
    email: str
    unsubscribe_url: str


def enqueue_many(
    recipients: list[Recipient], kind: str, settings: MailSettings, /, **context
) -> int:
    """The same news to many people: rendered once, then each one's name and link filled in.

    The caller checks may_receive; rendering per person would cost a template run each, and a
    status change can reach 100,000 followers.
    """
    if not recipients:
        return 0
    placeholder = Recipient(0, NAME_SLOT, "", LINK_SLOT)
    subject, text, html = render(kind, settings, user=placeholder, unsubscribe=LINK_SLOT, **context)
    now = utcnow()
    rows = []
    for person in recipients:
        fill = {NAME_SLOT: person.name, LINK_SLOT: person.unsubscribe_url}
        fill_html = {NAME_SLOT: escape(person.name), LINK_SLOT: escape(person.unsubscribe_url)}
        rows.append(
            {
                "message_id": f"<{secrets.token_hex(16)}@{settings.domain}>",
                "kind": kind,
                "user": person.id,
                "to_address": person.email,
                "subject": _fill(subject, fill),
                "text_body": _fill(text, fill),
                "html_body": _fill(html, fill_html),
                "unsubscribe_url": person.unsubscribe_url,
                "next_attempt_at": now,
                "created_at": now,
            }
        )
    for start in range(0, len(rows), 500):
        OutgoingMail.insert_many(rows[start : start + 500]).execute()
    return len(rows)


def _fill(text: str, values: dict[str, str]) -> str:
    for slot, value in values.items():
        text = text.replace(slot, value)
    return text


def enqueue(
    user: User,
    kind: str,
    settings: MailSettings,
    /,
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
