"""Handing finished messages to a mail server over SMTP, or to .eml files when there is none.

Knows nothing of the board: it turns an SMTP URL into a connection and sends Messages.
"""

import contextlib
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import Message
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import unquote, urlsplit

log = logging.getLogger("ideaboard.mail")

SCHEMES = {"smtp": (25, "plain"), "smtp+starttls": (587, "starttls"), "smtps": (465, "tls")}
TIMEOUT_SECONDS = 10


class MailServerError(Exception):
    """The mail server could not be reached or refused the message; worth trying again later.

    server_down: the server itself failed (not this one message), so the rest can wait too.
    """

    def __init__(self, message: str, server_down: bool = True):
        super().__init__(message)
        self.server_down = server_down


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # plain, starttls or tls
    username: str | None = None
    password: str | None = None


def parse_smtp_url(url: str) -> SmtpSettings:
    """smtp://host:port, smtp+starttls://user:pass@host:587 or smtps://user:pass@host:465."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise ValueError(
            f"IDEABOARD_SMTP_URL must look like smtp://host:25, smtp+starttls://user:pass@host:587"
            f" or smtps://user:pass@host:465, not {parts.scheme or '(no scheme)'}://…"
        )
    default_port, security = SCHEMES[parts.scheme]
    return SmtpSettings(
        host=parts.hostname,
        port=parts.port or default_port,
        security=security,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


class SmtpTransport:
    """One connection, opened on the first message and reused for the next ones."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self._connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()
        if s.security == "tls":
            connection = smtplib.SMTP_SSL(s.host, s.port, timeout=TIMEOUT_SECONDS, context=context)
        else:
            connection = smtplib.SMTP(s.host, s.port, timeout=TIMEOUT_SECONDS)
            if s.security == "starttls":
                connection.starttls(context=context)
        if s.username:
            connection.login(s.username, s.password or "")
        return connection

    def send(self, message: Message) -> None:
        try:
            if self._connection is None:
                self._connection = self._connect()
            # SMTP wants CRLF line ends; smtplib sends bytes as they are.
            data = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
            self._connection.sendmail(parseaddr(message["From"])[1], [message["To"]], data)
        except smtplib.SMTPRecipientsRefused as error:
            raise MailServerError(
                f"recipient refused: {error.recipients}", server_down=False
            ) from error
        except (smtplib.SMTPException, OSError) as error:
            # The connection may be half-dead: the next message starts a new one.
            self.close()
            raise MailServerError(f"{type(error).__name__}: {error}") from error

    def close(self) -> None:
        if self._connection is not None:
            # Closing a connection that already broke must not hide the error that broke it.
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._connection.quit()
            self._connection = None


class FileTransport:
    """No mail server configured: each message becomes an .eml file a person can open."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def send(self, message: Message) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        # The Message-ID makes the name unique and stable: a resend overwrites, never doubles.
        name = str(message["Message-ID"]).strip("<>").replace("/", "_").replace("@", "_at_")
        path = self.folder / f"{name}.eml"
        path.write_bytes(bytes(message))
        log.info("mail to %s written to %s: %s", message["To"], path, message["Subject"])

    def close(self) -> None:
        pass


def transport_for(smtp_url: str | None, mail_folder: str | Path) -> SmtpTransport | FileTransport:
    if smtp_url:
        return SmtpTransport(parse_smtp_url(smtp_url))
    return FileTransport(mail_folder)
