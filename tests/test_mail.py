"""Mail through a real SMTP server (aiosmtpd): the outbox, the worker, verification and resets."""

import email
import re
import threading
from datetime import timedelta
from email.policy import default as email_policy
from pathlib import Path

import pytest
from itsdangerous import TimestampSigner

from ideaboard.board.mail import enqueue, mail_settings, may_receive
from ideaboard.board.outbox import LEASE, MAX_ATTEMPTS, claim_due
from ideaboard.board.worker import run_once
from ideaboard.db import db
from ideaboard.mailer import FileTransport, parse_smtp_url, transport_for
from ideaboard.models import MAIL_FAILED, MAIL_PENDING, MAIL_SENT, OutgoingMail, User, utcnow
from tests.conftest import PASSWORD
from tests.mail_support import link_in, start_smtp, work

NEW_PASSWORD = "a whole new passphrase"


def outbox() -> list[OutgoingMail]:
    with db.connection_context():
        return list(OutgoingMail.select().order_by(OutgoingMail.id))


def register(client, address="new@example.com"):
    return client.post_form(
        "/register",
        {"email": address, "name": "Nia New", "password": PASSWORD, "confirm": PASSWORD},
    )


def test_sign_up_mails_a_link_that_confirms_the_address(app, client, runner, inbox):
    assert register(client).status_code == 302
    [queued] = outbox()
    assert (queued.kind, queued.status, queued.to_address) == (
        "verify_email",
        "pending",
        "new@example.com",
    )
    assert inbox.messages == []  # nothing is sent during the request

    assert "1 sent" in work(runner)
    [message] = inbox.messages
    assert message["To"] == "new@example.com"
    assert message["Message-ID"] == queued.message_id
    assert message["List-Id"].startswith("IdeaBoard <")
    assert "Confirm your email address" in message["Subject"]
    assert message.get_body(preferencelist=("html",)) is not None
    link = link_in(message)
    html = message.get_body(preferencelist=("html",)).get_content()
    assert link in html

    page = client.get(link)
    assert page.status_code == 200 and b"Confirm my email address" in page.data
    with db.connection_context():
        assert User.get(User.email == "new@example.com").email_verified_at is None
    assert client.post_form(link).status_code == 302
    with db.connection_context():
        assert User.get(User.email == "new@example.com").email_verified_at is not None
    assert [m.status for m in outbox()] == [MAIL_SENT]
    assert work(runner).startswith("mail: 0 sent")  # sent once, never again


def test_only_account_mail_goes_to_an_unconfirmed_address(app, users):
    with db.connection_context():
        member = User.get_by_id(users["member"].id)
        assert member.email_verified_at is None
        assert may_receive(member, "verify_email") and may_receive(member, "reset_password")
        assert not may_receive(member, "status_change")
        assert enqueue(member, "status_change", mail_settings(app.config)) is None
        member.email_verified_at = utcnow()
        assert may_receive(member, "status_change")
    assert outbox() == []


def forgot(client, address: str):
    return client.post_form("/forgot-password", {"email": address}, follow_redirects=True)


def test_forgotten_password_link_works_once_and_ends_other_sessions(
    app, client, runner, inbox, users
):
    elsewhere = app.test_client()
    assert elsewhere.login("member@example.com").status_code == 302

    known, unknown = forgot(client, "member@example.com"), forgot(client, "nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    said = [
        re.search(r"a link to choose a new password is on its way", page.get_data(as_text=True))
        for page in (known, unknown)
    ]
    assert all(said)
    assert [m.to_address for m in outbox()] == ["member@example.com"]  # unverified is fine

    work(runner)
    [message] = inbox.messages
    link = link_in(message)
    assert client.get(link).status_code == 200
    weak = client.post_form(link, {"password": "password", "confirm": "password"})
    assert weak.status_code == 400 and b"common passwords" in weak.data
    done = client.post_form(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    assert b"Log out" in client.get("/").data  # the reset logs this browser in

    assert elsewhere.get("/account").status_code == 302  # the other session is over
    again = client.get(link)
    assert again.status_code == 400 and b"already been used" in again.data
    fresh = app.test_client()
    assert fresh.login("member@example.com", NEW_PASSWORD).status_code == 302
    with db.connection_context():
        # Opening a mailed link proves the address.
        assert User.get_by_id(users["member"].id).email_verified_at is not None


def test_reset_link_expires_after_an_hour(app, client, runner, users, monkeypatch):
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) - 3601)
    result = runner.invoke(args=["reset-password", "--email", "member@example.com"])
    monkeypatch.undo()
    assert result.exit_code == 0
    page = client.get(result.output.strip().removeprefix("http://127.0.0.1:8000"))
    assert page.status_code == 400 and b"expired" in page.data


def test_broken_links_get_a_clear_page(client):
    for path in ("/reset-password/nonsense", "/verify-email/nonsense"):
        response = client.post_form(path) if "verify" in path else client.get(path)
        assert response.status_code == 400
        assert b"not valid" in response.data


def test_reset_password_command_prints_a_working_link(app, runner, users):
    result = runner.invoke(args=["reset-password", "--email", "MEMBER@example.com", "--send"])
    assert result.exit_code == 0, result.output
    path = result.output.strip().removeprefix("http://127.0.0.1:8000")
    client = app.test_client()
    assert (
        client.post_form(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code
        == 302
    )
    assert [m.kind for m in outbox()] == ["reset_password"]
    missing = runner.invoke(args=["reset-password", "--email", "nobody@example.com"])
    assert missing.exit_code != 0 and "no account" in missing.output


def test_changing_email_asks_to_confirm_the_new_one(app, client, users):
    with db.connection_context():
        User.update(email_verified_at=utcnow()).execute()
    client.login("member@example.com")
    response = client.post_form(
        "/account/email", {"email": "mia@example.org", "current_password": PASSWORD}
    )
    assert response.status_code == 302
    with db.connection_context():
        assert User.get_by_id(users["member"].id).email_verified_at is None
    assert [(m.kind, m.to_address) for m in outbox()] == [("verify_email", "mia@example.org")]
    page = client.get("/account").get_data(as_text=True)
    assert "is not confirmed yet" in page
    assert client.post_form("/account/verify-email").status_code == 302
    assert len(outbox()) == 2


def test_mail_waits_while_the_server_is_down_and_goes_when_it_is_back(app, client, smtp_port):
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{smtp_port}"  # nothing listens there yet
    assert register(client).status_code == 302  # the action never waits for mail
    settings = mail_settings(app.config)
    transport = lambda: transport_for(app.config["SMTP_URL"], app.config["MAIL_FOLDER"])  # noqa: E731

    first = run_once(transport(), settings)
    assert (first.mail.sent, first.mail.retried) == (0, 1)
    [mail] = outbox()
    assert mail.status == MAIL_PENDING and mail.attempts == 1 and mail.last_error
    later = mail.next_attempt_at
    assert later > utcnow()

    controller, inbox = start_smtp(smtp_port)
    try:
        assert run_once(transport(), settings, now=later - timedelta(seconds=1)).mail.sent == 0
        assert run_once(transport(), settings, now=later).mail.sent == 1
        assert run_once(transport(), settings, now=later + timedelta(days=1)).mail.sent == 0
    finally:
        controller.stop()
    assert [m["Message-ID"] for m in inbox.messages] == [mail.message_id]
    assert [m.status for m in outbox()] == [MAIL_SENT]


def test_a_mail_is_given_up_after_its_last_attempt(app, client, smtp_port):
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{smtp_port}"
    register(client)
    with db.connection_context():
        OutgoingMail.update(attempts=MAX_ATTEMPTS - 1).execute()
    done = run_once(
        transport_for(app.config["SMTP_URL"], "/nonexistent"), mail_settings(app.config)
    )
    assert done.mail.failed == 1
    assert [m.status for m in outbox()] == [MAIL_FAILED]


def test_workers_never_claim_the_same_mail(app, users, password_hash):
    settings = mail_settings(app.config)
    with db.connection_context():
        User.update(email_verified_at=utcnow()).execute()
        for user in User.select():
            for _ in range(5):
                enqueue(user, "verify_email", settings, link="http://127.0.0.1:8000/x")
    now = utcnow()
    claimed: list[list[int]] = []
    start = threading.Barrier(4)

    def claim():
        start.wait()
        with db.connection_context():
            claimed.append(
                [m.id for m in claim_due(now, limit=3)] + [m.id for m in claim_due(now, limit=3)]
            )

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [mail_id for ids in claimed for mail_id in ids]
    assert len(every) == len(set(every)) == 20  # 4 workers × 2 claims × 3, capped at the 20 due

    # A worker that died mid-send: after the lease, its mail is due again, same Message-ID.
    with db.connection_context():
        assert claim_due(now + timedelta(seconds=1)) == []
        again = claim_due(now + LEASE + timedelta(seconds=1), limit=50)
    assert sorted(m.id for m in again) == sorted(every)


def test_without_a_mail_server_mail_becomes_files(app, client, runner, caplog):
    assert app.config["SMTP_URL"] == ""
    register(client)
    with caplog.at_level("INFO", logger="ideaboard"):
        assert "1 sent" in work(runner)
    # Logged too, so a newcomer running `make run` sees where the mail went.
    assert any("mail to new@example.com written to" in r.getMessage() for r in caplog.records)
    [path] = list(Path(app.config["MAIL_FOLDER"]).glob("*.eml"))
    message = email.message_from_bytes(path.read_bytes(), policy=email_policy)
    assert message["To"] == "new@example.com"
    assert "/verify-email/" in message.get_body(preferencelist=("plain",)).get_content()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://127.0.0.1:2525", ("127.0.0.1", 2525, "plain", None, None)),
        (
            "smtp+starttls://me%40x.com:p%3Ass@mail.x.com",
            ("mail.x.com", 587, "starttls", "me@x.com", "p:ss"),
        ),
        ("smtps://u:p@mail.x.com", ("mail.x.com", 465, "tls", "u", "p")),
    ],
)
def test_smtp_urls(url, expected):
    s = parse_smtp_url(url)
    assert (s.host, s.port, s.security, s.username, s.password) == expected


@pytest.mark.parametrize("url", ["http://mail.x.com", "smtp://", "mail.x.com:25"])
def test_bad_smtp_urls_say_what_is_expected(url):
    with pytest.raises(ValueError, match="IDEABOARD_SMTP_URL must look like"):
        parse_smtp_url(url)


def test_file_transport_is_chosen_without_a_url(tmp_path):
    assert isinstance(transport_for("", tmp_path), FileTransport)
