"""Cheap repeat visits: ETags and 304s for HTML pages, and gzip for text over about 1 KB."""

import gzip
import hashlib

from flask import Flask, Response, g, request, session

# Below one network packet or so, compressing saves no round trip and costs CPU.
MIN_SIZE = 1024
COMPRESSIBLE = {
    "text/html",
    "text/css",
    "text/javascript",
    "text/plain",
    "application/javascript",
    "application/json",
    "application/rss+xml",
    "application/atom+xml",
    "application/xml",
    "image/svg+xml",
}


def page_etag(response: Response) -> str:
    """A hash of the page without its signed CSRF token, plus the session's raw token."""
    body = response.get_data()
    digest = hashlib.sha256()
    # Flask-WTF signs the session's raw token with the current second (g.csrf_token), so a
    # page differs from one second to the next. Every such signature is accepted for as
    # long as the raw token stays (WTF_CSRF_TIME_LIMIT is None), so the tag leaves the
    # signature out and covers the raw token: a cached page's forms post exactly while the
    # tag still matches. Logging in or out starts a new raw token, and so a new tag.
    token = g.get("csrf_token")
    if token:
        body = body.replace(token.encode(), b"")
        digest.update(session.get("csrf_token", "").encode())
    digest.update(body)
    return digest.hexdigest()[:32]


# Answers worth revalidating: pages and feeds (feed readers poll them all day).
TAGGED = {"text/html", "application/rss+xml", "application/atom+xml"}


def _is_page(response: Response) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and response.status_code == 200
        and response.mimetype in TAGGED
    )


def _is_compressible(response: Response) -> bool:
    return (
        response.status_code == 200
        and response.mimetype in COMPRESSIBLE
        and "Content-Encoding" not in response.headers
        # Unknown for streamed bodies, which are left alone.
        and (response.content_length or 0) >= MIN_SIZE
    )


def gzip_response(response: Response) -> None:
    """Replace the body with its gzip encoding; the ETag becomes weak, as nginx does."""
    # send_file hands over an open file; read it so its bytes can be compressed.
    response.direct_passthrough = False
    response.set_data(gzip.compress(response.get_data(), compresslevel=6, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    # Byte ranges would refer to the uncompressed file.
    response.headers.pop("Accept-Ranges", None)
    etag, weak = response.get_etag()
    if etag and not weak:
        response.set_etag(etag, weak=True)


def finish(response: Response) -> Response:
    """Tag and revalidate pages, then compress what is still a full text answer."""
    compressible = _is_compressible(response)
    if compressible:
        # Set on 304s too, as the full answer would carry it.
        response.vary.add("Accept-Encoding")
    if _is_page(response):
        # Weak: the bytes differ from one render to the next in the CSRF token. A page from
        # the page cache comes with the tag computed when it was stored.
        if "ETag" not in response.headers:
            response.set_etag(page_etag(response), weak=True)
        # Each page is rendered for one session (its header, its token): no shared caches.
        response.headers.setdefault("Cache-Control", "private, no-cache")
        if request.if_none_match or request.if_modified_since:
            response = response.make_conditional(request)
    if compressible and response.status_code == 200 and request.accept_encodings["gzip"]:
        gzip_response(response)
    return response


def init_app(app: Flask) -> None:
    app.after_request(finish)
