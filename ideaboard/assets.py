"""Fingerprinted static files: content-hashed names that browsers may cache for a year."""

import hashlib
import re
from pathlib import Path

from flask import Flask, current_app, redirect, send_from_directory, url_for

EXTENSION = "ideaboard.assets"
YEAR = 31_536_000
# Unfingerprinted URLs (an old bookmark, a hand-written link) still work, but are rechecked soon.
PLAIN_MAX_AGE = 300
# css/app.3f9c2e1a.css -> css/app + .css
FINGERPRINTED = re.compile(r"^(?P<stem>.+)\.[0-9a-f]{8}(?P<suffix>\.[^./]+)$")


def fingerprint(folder: str) -> dict[str, str]:
    """Every file under the static folder, mapped to its name with a hash of its content."""
    names = {}
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file():
            name = path.relative_to(folder).as_posix()
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:8]
            names[name] = f"{path.parent.relative_to(folder).as_posix()}/{path.stem}.{digest}"
            names[name] = names[name].removeprefix("./") + path.suffix
    return names


def _fingerprinted_url(endpoint: str, values: dict) -> None:
    if endpoint == "static" and "filename" in values:
        names = current_app.extensions[EXTENSION]
        values["filename"] = names.get(values["filename"], values["filename"])


def serve_static(filename: str):
    """A fingerprinted name for a year (immutable); an outdated one is sent to the current name."""
    names = current_app.extensions[EXTENSION]
    original = names.get("by_fingerprint", {}).get(filename)
    folder = current_app.static_folder
    if original:
        response = send_from_directory(folder, original, max_age=YEAR)
        response.cache_control.immutable = True
        return response
    outdated = FINGERPRINTED.match(filename)
    if outdated and outdated["stem"] + outdated["suffix"] in names:
        # A page from before a deploy (or from a machine not yet updated) still gets styled.
        return redirect(url_for("static", filename=outdated["stem"] + outdated["suffix"]))
    return send_from_directory(folder, filename, max_age=PLAIN_MAX_AGE)


def init_app(app: Flask) -> None:
    # Under `flask run --debug` files change without a restart: keep plain, revalidated URLs.
    if app.debug:
        return
    app.extensions[EXTENSION] = fingerprint(app.static_folder)
    app.url_defaults(_fingerprinted_url)
    app.view_functions["static"] = serve_static
