"""One handler for every HTTP error: a page in the site layout, or JSON for JSON clients."""

from flask import Flask, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from ideaboard.db import roll_back_unfinished
from ideaboard.web.request_log import log, request_id

TITLES = {
    400: "That request did not look right",
    401: "Please log in",
    403: "You are not allowed to do that",
    404: "Page not found",
    405: "That action is not possible here",
    413: "That was too much to send",
    429: "Slow down a little",
    500: "Something went wrong on our side",
}
API_ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "server_error",
}
MESSAGES = {
    400: "The request could not be understood. Please go back and try again.",
    403: "Your account does not have permission for this page or action.",
    404: "The page you asked for does not exist. It may have moved or been removed.",
    405: "This address does not accept that kind of request.",
    413: "The text or file you sent is larger than we accept. Please shorten it and try again.",
    429: "You have done that many times in a short while. Please wait a moment and try again.",
    500: "We have been told about it. Please try again in a moment.",
}


def is_api_call() -> bool:
    return request.path.startswith("/api/v1/") or request.path == "/api/v1"


def wants_json() -> bool:
    """The client asked for JSON (a fetch() from our script, an API client), not a page."""
    if is_api_call():
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return request.is_json or best == "application/json"


def error_code(code: int, title: str) -> str:
    """What the API's error objects carry in "error": a stable code, not a sentence."""
    return API_ERROR_CODES.get(code) or title.lower().replace(" ", "_")


def render_error(error: HTTPException):
    code = error.code or 500
    if isinstance(error, CSRFError):
        message = (
            "This form has expired or was not sent from this site. "
            "Please reload the page and try again."
        )
    elif error.description and error.description != type(error).description:
        message = error.description
    else:
        message = MESSAGES.get(code, error.description)
    title = TITLES.get(code, error.name)
    # Quoting this id lets support find the exact traceback in the log.
    rid = request_id()
    if is_api_call():
        error_name = "csrf_failed" if isinstance(error, CSRFError) else error_code(code, title)
        response = jsonify(error=error_name, message=message, status=code, request_id=rid)
    elif wants_json():
        response = jsonify(error=title, message=message, status=code, request_id=rid)
    else:
        response = make_response(
            render_template(
                "errors/error.html", code=code, title=title, message=message, request_id=rid
            )
        )
    response.status_code = code
    # Keep headers the error carries, such as Allow on 405 or Retry-After on 429.
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, render_error)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        # Roll back whatever the failed request had started before showing the page.
        roll_back_unfinished()
        rid = request_id()
        log.exception("Unhandled error on %s %s rid=%s", request.method, request.path, rid)
        return render_error(InternalServerError())
