"""The background worker: everything that is done after a request has answered.

Fanning events out to followers (notifications and instant mail), daily digests, and sending
the outbox, in that order so that a round's new mail goes out in the same round. `run_once`
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
from ideaboard.db import db

log = logging.getLogger("ideaboard.worker")


@dataclass
class Round:
    fan_out: FanOut
    digests: int
    mail: Delivery

    @property
    def busy(self) -> bool:
        m = self.mail
        return bool(self.fan_out.events or self.digests or m.sent or m.retried or m.failed)

    def summary(self) -> str:
        f, m = self.fan_out, self.mail
        return (
            f"mail: {m.sent} sent, {m.retried} to retry, {m.failed} given up; "
            f"events: {f.events} fanned out to {f.notifications} notifications; "
            f"digests: {self.digests}"
        )


def run_once(transport, settings: MailSettings, now: datetime | None = None) -> Round:
    """Do all the work that is due now, on a connection of its own."""
    with db.connection_context():
        fan_out = fan_out_due(settings, now)
        digests = send_digests(settings, now)
        return Round(fan_out, digests, deliver_due(transport, settings, now))


def run(
    make_transport: Callable[[], object],
    settings: MailSettings,
    interval: float,
    stop: threading.Event,
) -> None:
    """Work until `stop` is set; after an idle round, wait `interval` seconds."""
    log.info("worker started: looking for due work every %.0f s when idle", interval)
    while not stop.is_set():
        try:
            done = run_once(make_transport(), settings)
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
