"""Sending what the outbox holds: claim due mail, hand it to the transport, retry with backoff.

Several workers, on several machines, may run this at once. A worker claims a batch by moving
each row's next_attempt_at past a lease, in one transaction (PostgreSQL skips rows another
worker has locked; SQLite's IMMEDIATE transaction lets one claimer in at a time), so no two
workers hold the same row. Rows are marked sent a few at a time right after the server took
them; a worker that dies in between leaves them due again once the lease runs out, and they go
once more with the same Message-ID, which mail clients use to drop the copy.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr

from ideaboard.board.mail import MailSettings
from ideaboard.db import db, is_sqlite
from ideaboard.mailer import MailServerError
from ideaboard.models import MAIL_FAILED, MAIL_PENDING, MAIL_SENT, OutgoingMail, utcnow

# How long a claimed mail belongs to its worker before others may take it.
LEASE = timedelta(minutes=5)
# Retries wait 1, 2, 4 … minutes, at most 6 hours; after this many attempts it is failed.
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=6)
MAX_ATTEMPTS = 12
BATCH = 100
MARK_SENT_EVERY = 20


@dataclass
class Delivery:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def retry_delay(attempts: int) -> timedelta:
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_WAIT)


def lease_due(model, pending: str, now: datetime, limit: int) -> list[int]:
    """Take up to `limit` due pending rows of an outbox table (status, next_attempt_at,
    attempts) for this worker: their ids; nobody else gets them during the lease. Mail and
    webhook deliveries (board/webhooks.py) are claimed the same way."""
    p = db.param
    lock = "" if is_sqlite() else " FOR UPDATE SKIP LOCKED"
    table = model._meta.table_name
    with db.atomic():
        ids = [
            row[0]
            for row in db.execute_sql(
                f"SELECT id FROM {table} WHERE status = {p} AND next_attempt_at <= {p}"
                f" ORDER BY next_attempt_at, id LIMIT {p}{lock}",
                [pending, model.next_attempt_at.db_value(now), limit],
            )
        ]
        if ids:
            model.update(next_attempt_at=now + LEASE, attempts=model.attempts + 1).where(
                model.id.in_(ids)
            ).execute()
    return ids


def claim_due(now: datetime, limit: int = BATCH) -> list[OutgoingMail]:
    """Take up to `limit` due mails for this worker; nobody else gets them during the lease."""
    ids = lease_due(OutgoingMail, MAIL_PENDING, now, limit)
    if not ids:
        return []
    return list(OutgoingMail.select().where(OutgoingMail.id.in_(ids)).order_by(OutgoingMail.id))


def build_message(mail: OutgoingMail, settings: MailSettings) -> Message:
    """Plain text and HTML alternatives with the list headers.

    Built with the compat32 classes (email.mime): the modern EmailMessage parses and refolds
    every header through its registry, which cost more than the SMTP exchange itself.
    """
    message = MIMEMultipart("alternative")
    message["From"] = formataddr((settings.site_name, settings.mail_from), charset="utf-8")
    message["To"] = mail.to_address
    message["Subject"] = _header(mail.subject)
    message["Message-ID"] = mail.message_id
    message["Date"] = format_datetime(mail.created_at.replace(tzinfo=UTC), usegmt=True)
    message["List-Id"] = f"{_header(settings.site_name)} <ideaboard.{settings.domain}>"
    message["Auto-Submitted"] = "auto-generated"
    if mail.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{mail.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.attach(MIMEText(mail.text_body, "plain", "utf-8"))
    message.attach(MIMEText(mail.html_body, "html", "utf-8"))
    return message


def _header(text: str) -> str:
    """ASCII as it is; anything else as an RFC 2047 encoded word."""
    return text if text.isascii() else Header(text, "utf-8").encode()


def deliver_due(transport, settings: MailSettings, now: datetime | None = None) -> Delivery:
    """Send every mail due now, batch by batch; failures wait for their next attempt."""
    now = now or utcnow()
    done = Delivery()
    sent: list[int] = []
    try:
        while batch := claim_due(now):
            for position, mail in enumerate(batch):
                try:
                    transport.send(build_message(mail, settings))
                except MailServerError as error:
                    # A server that is down fails the rest of the batch too: let it all wait.
                    stalled = batch[position:] if error.server_down else [mail]
                    for waiting in stalled:
                        gave_up = _failed(waiting, str(error), now)
                        done.failed += gave_up
                        done.retried += not gave_up
                    if error.server_down:
                        return done
                else:
                    sent.append(mail.id)
                    done.sent += 1
                    if len(sent) >= MARK_SENT_EVERY:
                        _mark_sent(sent)
    finally:
        _mark_sent(sent)
        transport.close()
    return done


def _mark_sent(ids: list[int]) -> None:
    """Record what the server took, a few at a time: a commit per mail would halve the rate,
    and a crash in between only means these few go once more, with the same Message-ID."""
    if ids:
        OutgoingMail.update(status=MAIL_SENT, sent_at=utcnow(), last_error="").where(
            OutgoingMail.id.in_(ids)
        ).execute()
        ids.clear()


def _failed(mail: OutgoingMail, error: str, now: datetime) -> bool:
    """Schedule the next attempt, or give up after the last; True when given up."""
    gave_up = mail.attempts >= MAX_ATTEMPTS
    changes = {OutgoingMail.last_error: error[:1000]}
    if gave_up:
        changes[OutgoingMail.status] = MAIL_FAILED
    else:
        changes[OutgoingMail.next_attempt_at] = now + retry_delay(mail.attempts)
    OutgoingMail.update(changes).where(OutgoingMail.id == mail.id).execute()
    return gave_up


def pending_count() -> int:
    return OutgoingMail.select().where(OutgoingMail.status == MAIL_PENDING).count()
