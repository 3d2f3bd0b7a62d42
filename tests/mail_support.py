"""Real mail for the tests: an aiosmtpd server that keeps what it receives, and the worker."""

import email
import re
from email.policy import default as email_policy

from aiosmtpd.controller import Controller

LINK = re.compile(r"http://\S+")


class Inbox:
    """What an aiosmtpd server received, as parsed messages."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email_policy))
        return "250 Message accepted for delivery"


def start_smtp(port: int) -> tuple[Controller, Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, inbox


def work(runner) -> str:
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def link_in(message) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    return LINK.search(text).group(0).removeprefix("http://127.0.0.1:8000")
