"""Fingerprinted static files: names that carry a hash of the content, cached for a year."""

import hashlib
import re
from pathlib import Path, PurePosixPath

from flask import Flask, current_app, redirect, send_from_directory, url_for

EXTENSION = "ideaboard.assets"
YEAR = 31_536_000
# Plain URLs (an old bookmark, a hand-written link) still work, but are checked again soon.
PLAIN_MAX_AGE = 300
# css/app.3f9c2e1a.css -> stem css/app, suffix .css
FINGERPRINTED = re.compile(r"^(?P<stem>.+)\.[0-9a-f]{8}(?P<suffix>\.[^./]+)$")


def fingerprint(folder: str) -> dict[str, str]:
    """Each static file's name mapped to the name with a hash of its content before the suffix."""
    names = {}
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file() and path.suffix:
            name = PurePosixPath(path.relative_to(folder).as_posix())
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:8]
            names[str(name)] = str(name.with_name(f"{name.stem}.{digest}{name.suffix}"))
    return names


def _fingerprint_url(endpoint: str, values: dict) -> None:
    # url_for('static', filename='css/app.css') -> /static/css/app.3f9c2e1a.css
    if endpoint == "static" and "filename" in values:
        names = current_app.extensions[EXTENSION]
        values["filename"] = names.get(values["filename"], values["filename"])


def serve_static(filename: str):
    """The current fingerprint for a year; an outdated one redirects; a plain name for minutes."""
    names = current_app.extensions[EXTENSION]
    folder = current_app.static_folder
    match = FINGERPRINTED.match(filename)
    original = match and match["stem"] + match["suffix"]
    if original and names.get(original) == filename:
        response = send_from_directory(folder, original, max_age=YEAR)
        response.cache_control.immutable = True
        return response
    if original in names:
        # A page from before a deploy, or from a machine not yet updated, still gets its styles.
        return redirect(url_for("static", filename=original))
    return send_from_directory(folder, filename, max_age=PLAIN_MAX_AGE)


def init_app(app: Flask) -> None:
    # `flask run --debug` serves edited files without a restart: keep plain, revalidated URLs.
    if app.debug:
        return
    # Hashed once at start-up: a deploy that changes a file restarts the workers anyway.
    app.extensions[EXTENSION] = fingerprint(app.static_folder)
    app.url_defaults(_fingerprint_url)
    app.view_functions["static"] = serve_static
