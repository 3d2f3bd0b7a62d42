"""Rendered pages kept in each worker's memory, dropped everywhere as soon as the board changes.

Pages are the same for every visitor without a session (no login, no pending message, no
form token), and those visitors are most of the traffic on a public board. Such pages are
kept by URL. An entry serves while two things hold:

- the board version it was rendered at is still current. Every successful POST bumps that
  number in the database after its transaction committed, so every worker on every machine
  sees the change on its next request;
- it is younger than PAGE_CACHE_SECONDS, because pages say "5 minutes ago".

Reading the version first and the data second means an entry never holds data older than
its version: a write that commits in between only makes the entry newer than it claims.
"""

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from functools import wraps

from flask import Flask, Response, current_app, g, make_response, request, session

from ideaboard.board.version import bump_version, current_version
from ideaboard.web.revalidation import page_etag


@dataclass
class Entry:
    version: int
    expires: float
    value: object


class PageCache:
    """A small LRU of values by key, each tagged with the board version it was made at."""

    def __init__(self, seconds: float, max_entries: int):
        self.seconds = seconds
        self.max_entries = max_entries
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        # gthread workers share one cache between threads.
        self._lock = threading.Lock()

    def get(self, key: str, version: int):
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.version != version or entry.expires < time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry.value

    def put(self, key: str, version: int, value) -> None:
        with self._lock:
            self._entries[key] = Entry(version, time.monotonic() + self.seconds, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)


def cache() -> PageCache | None:
    return current_app.extensions.get("pagecache")


def board_version() -> int:
    """The board version, read once per request."""
    if "board_version" not in g:
        g.board_version = current_version()
    return g.board_version


def remember(key: str, build):
    """build()'s value, kept until the board changes (or the cache's time runs out)."""
    pages = cache()
    if pages is None:
        return build()
    version = board_version()
    value = pages.get(key, version)
    if value is None:
        value = build()
        pages.put(key, version, value)
    return value


def is_anonymous_visit() -> bool:
    """A visitor with nothing in their session sees exactly what every such visitor sees."""
    return request.method in ("GET", "HEAD") and not session


@dataclass
class CachedResponse:
    """A 200 answer as the view gave it (the after-request hooks run on every hit)."""

    body: bytes
    headers: list[tuple[str, str]]


def cached_page(view):
    """Serve the view's answer from the cache to visitors without a session."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        pages = cache()
        if pages is None or not is_anonymous_visit():
            return view(*args, **kwargs)
        environ = request.environ
        # Scheme and host too: feeds carry absolute links.
        key = (
            f"page:{environ['wsgi.url_scheme']}://{request.host}{environ.get('PATH_INFO', '')}"
            f"?{environ.get('QUERY_STRING', '')}"
        )
        version = board_version()
        hit = pages.get(key, version)
        if hit is not None:
            return Response(hit.body, headers=hit.headers)
        response = make_response(view(*args, **kwargs))
        # A page that started a session (a form's token) belongs to that visitor alone.
        if response.status_code == 200 and not session.modified and not session:
            # Tagged once here rather than hashed again on every hit.
            response.set_etag(page_etag(response), weak=True)
            headers = [(k, v) for k, v in response.headers if k.lower() != "set-cookie"]
            pages.put(key, version, CachedResponse(response.get_data(), headers))
        return response

    return wrapper


def _bump_after_write(response):
    # Only successful POSTs: a flood of rejected ones (bad token, invalid form) must not be
    # able to empty every worker's cache.
    # Bumped even where this app caches nothing: other workers or machines may.
    if request.method == "POST" and response.status_code < 400:
        bump_version()
    return response


def init_app(app: Flask) -> None:
    seconds = app.config["PAGE_CACHE_SECONDS"]
    if seconds > 0:
        app.extensions["pagecache"] = PageCache(seconds, app.config["PAGE_CACHE_ENTRIES"])
    app.after_request(_bump_after_write)
