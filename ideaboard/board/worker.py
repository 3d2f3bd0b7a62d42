"""The background worker: everything that is done after a request has answered.

Fanning events out to followers (notifications and instant mail), daily digests, sending
the outbox, in that order so that a round's new mail goes out in the same round, and posting
the webhooks' deliveries. `run_once`
does what is due now; `run` repeats it until told to stop. Both are safe to run on several
machines at once (see board/outbox.py).
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ideaboard.board.mail import MailSettings
from ideaboard.board.notifications import FanOut, fan_out_due, send_digests
from ideaboard.board.outbox import Delivery, deliver_due
from ideaboard.board.webhooks import HookDelivery, WebhookSettings
from ideaboard.board.webhooks import deliver_due as deliver_webhooks
from ideaboard.db import db

log = logging.getLogger("ideaboard.worker")


@dataclass
class Round:
    fan_out: FanOut
    digests: int
    mail: Delivery
    webhooks: HookDelivery

    @property
    def busy(self) -> bool:
        m, w = self.mail, self.webhooks
        mailed = m.sent or m.retried or m.failed
        posted = w.sent or w.retried or w.failed
        return bool(self.fan_out.events or self.digests or mailed or posted)

    def summary(self) -> str:
        f, m, w = self.fan_out, self.mail, self.webhooks
        return (
            f"mail: {m.sent} sent, {m.retried} to retry, {m.failed} given up; "
            f"events: {f.events} fanned out to {f.notifications} notifications; "
            f"digests: {self.digests}; "
            f"webhooks: {w.sent} delivered, {w.retried} to retry, {w.failed} given up"
        )


def run_once(
    transport,
    settings: MailSettings,
    now: datetime | None = None,
    hooks: WebhookSettings | None = None,
) -> Round:
    """Do all the work that is due now, on a connection of its own. Webhooks are posted when
    their settings are given (the worker command always gives them)."""
    with db.connection_context():
        fan_out = fan_out_due(settings, now)
        digests = send_digests(settings, now)
        mail = deliver_due(transport, settings, now)
        posted = deliver_webhooks(hooks, now) if hooks else HookDelivery()
        return Round(fan_out, digests, mail, posted)


def run(
    make_transport: Callable[[], object],
    settings: MailSettings,
    interval: float,
    stop: threading.Event,
    hooks: WebhookSettings | None = None,
) -> None:
    """Work until `stop` is set; after an idle round, wait `interval` seconds."""
    log.info("worker started: looking for due work every %.0f s when idle", interval)
    while not stop.is_set():
        try:
            done = run_once(make_transport(), settings, hooks=hooks)
        except Exception:
            # A database that is down for a moment must not end the worker.
            log.exception("worker round failed; trying again in %.0f s", interval)
            stop.wait(interval)
            continue
        if done.busy:
            log.info("worker round: %s", done.summary())
        else:
            stop.wait(interval)
    log.info("worker stopped")
