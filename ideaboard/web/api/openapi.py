"""The OpenAPI 3.1 document, built from the @endpoint declarations the API is served from,
and the readable reference page made from the same document."""

import json
import re

from flask import Blueprint, jsonify, redirect, render_template, url_for
from markupsafe import Markup, escape

from ideaboard.web.api.endpoint import ENDPOINTS, ID_SCHEMA, Endpoint
from ideaboard.web.api.schemas import COMPONENTS

bp = Blueprint("api_docs", __name__, url_prefix="/api")

CODE_SPAN = re.compile(r"`([^`]+)`")
PATH_PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")
ERROR_DESCRIPTIONS = {
    400: "The request does not match the schema, or a field is not valid (`fields` says which).",
    401: "No valid access token: send `Authorization: Bearer <token>`.",
    403: "The token lacks the scope, or the account lacks the right.",
    404: "No such thing, or not one the caller may see.",
    409: "Refused by the board's rules as things stand (`error` says which rule).",
    415: "The body must be JSON (`Content-Type: application/json`).",
    429: "Too many requests: wait `Retry-After` seconds.",
}
SCOPE_NOTE = {
    "read": "Needs a token with the `read` scope (or a signed-in browser).",
    "write": "Needs a token with the `write` scope (or a signed-in browser, with its CSRF token).",
    "staff": "Needs a staff account and a token with the `staff` scope.",
}
ETAG_NOTE = "Send it back in If-None-Match: an unchanged answer is a 304 with no body."
RATE_HEADERS = {
    "RateLimit-Limit": "Requests allowed in the current window.",
    "RateLimit-Remaining": "Requests left in it.",
    "RateLimit-Reset": "Seconds until it resets.",
}


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _headers(*names: str) -> dict:
    return {name: {"schema": {"type": "string"}, "description": RATE_HEADERS.get(name, "")}
            for name in names}  # fmt: skip


def _parameters(spec: Endpoint) -> list[dict]:
    found = [
        {"name": name, "in": "path", "required": True, "schema": ID_SCHEMA}
        for name in PATH_PARAMETER.findall(spec.rule)
    ]
    found += [
        {"name": name, "in": "query", "required": False, "schema": schema}
        for name, schema in spec.query.items()
    ]
    return found


def _responses(spec: Endpoint) -> dict:
    ok = {"description": "Done.", "headers": _headers(*RATE_HEADERS)}
    if spec.returns:
        ok["content"] = _json({"$ref": f"#/components/schemas/{spec.returns}"})
    if spec.method == "GET":
        ok["headers"] |= {"ETag": {"schema": {"type": "string"}, "description": ETAG_NOTE}}
    responses = {str(spec.status): ok}
    if spec.method == "GET":
        responses["304"] = {"description": "Not modified since the ETag sent."}
    codes = set(spec.errors) | {401, 429}
    if spec.scope:
        codes.add(403)
    if spec.body is not None:
        codes |= {400, 415}
    if spec.query:
        codes.add(400)
    for code in sorted(codes):
        responses[str(code)] = {
            "description": ERROR_DESCRIPTIONS[code],
            "content": _json({"$ref": "#/components/schemas/Error"}),
        }
    return responses


def _operation(spec: Endpoint) -> dict:
    description = " ".join(filter(None, [spec.description, SCOPE_NOTE.get(spec.scope)]))
    operation = {
        "operationId": spec.name,
        "tags": [spec.tag],
        "summary": spec.summary,
        "description": description,
        "parameters": _parameters(spec),
        "responses": _responses(spec),
        # Public reads take an optional token (then `voted` and hidden-to-others ideas of
        # one's own show); everything else requires one.
        "security": [{"bearer": []}] if spec.scope else [{}, {"bearer": []}],
    }
    if spec.body is not None:
        operation["requestBody"] = {"required": True, "content": _json(spec.body)}
    return operation


def openapi_document() -> dict:
    paths: dict[str, dict] = {}
    for spec in ENDPOINTS:
        path = PATH_PARAMETER.sub(r"{\1}", spec.rule)
        paths.setdefault(path, {})[spec.method.lower()] = _operation(spec)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "IdeaBoard API",
            "version": "1.0",
            "description": (
                "Ideas, votes, comments, the signed status pipeline, follows, categories,"
                " people and release notes. Lists page by cursor: pass `next_cursor` as"
                ' `after`. Errors are `{"error": code, "message": text}`.'
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {
            "schemas": COMPONENTS,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal access token from your account's API tokens page.",
                }
            },
        },
    }


@bp.route("/openapi.json")
def document():
    return jsonify(openapi_document())


@bp.route("")
def root():
    return redirect(url_for("api_docs.reference"))


@bp.route("/docs")
def reference():
    document = openapi_document()
    operations = [
        (path, method.upper(), operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]
    tags = list(dict.fromkeys(operation["tags"][0] for _, _, operation in operations))
    return render_template(
        "api/docs.html",
        document=document,
        tags=tags,
        operations=operations,
        pretty=lambda value: json.dumps(value, indent=2, ensure_ascii=False),
        inline=inline_code,
    )


def inline_code(text: str) -> Markup:
    """The document's descriptions use Markdown code spans; the page shows them as code."""
    return Markup(CODE_SPAN.sub(r"<code>\1</code>", str(escape(text))))
