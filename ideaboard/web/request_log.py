"""One log line per request, and a request id that ties a 500 page to its traceback."""

import logging
import secrets
import sys
import time

from flask import Flask, g, request, session
from flask_login import current_user

log = logging.getLogger("ideaboard.requests")


def request_id() -> str:
    """This request's id (made on first use, so even early errors have one)."""
    if "request_id" not in g:
        g.request_id = secrets.token_hex(8)
    return g.request_id


def _start() -> None:
    g.started = time.perf_counter()
    request_id()


def _user_id() -> str:
    # Without a login in the session there is no user to load (most requests on a public board).
    if "_login_user" not in g and "_user_id" not in session:
        return "-"
    # current_user loads lazily; never let logging itself fail a request.
    try:
        return str(current_user.id) if current_user.is_authenticated else "-"
    except Exception:
        return "?"


def _finish(response):
    duration_ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
    response.headers["X-Request-ID"] = request_id()
    log.info(
        "%s %s %s %.1fms user=%s rid=%s client=%s bytes=%s",
        request.method,
        request.path,
        response.status_code,
        duration_ms,
        _user_id(),
        request_id(),
        request.remote_addr or "-",
        response.content_length if response.content_length is not None else "-",
    )
    return response


def init_app(app: Flask) -> None:
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    app.before_request(_start)
    app.after_request(_finish)
