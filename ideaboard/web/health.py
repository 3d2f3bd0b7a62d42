"""GET /healthz for load balancers: is the database answering, and is its schema current?"""

from flask import Blueprint, Response, current_app, jsonify
from peewee import PeeweeException

from ideaboard.board.schema import schema_state
from ideaboard.web.throttling import limiter

bp = Blueprint("health", __name__)


def _answer(status_code: int, **fields) -> Response:
    response = jsonify(fields)
    response.status_code = status_code
    # A probe must see the state now, never a copy kept by a proxy on the way.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/healthz")
@limiter.exempt
def healthz() -> Response:
    """200 when the database answers at this code's schema or a newer one; 503 otherwise."""
    state = schema_state()
    version, latest = state.version, state.expected
    if state.is_ahead:
        # A rolling deploy runs db-upgrade first; the machines still on the previous release
        # must stay in the pool until their turn (migrations only ever add), so say so, but 200.
        return _answer(
            200,
            status="ok",
            database="ok",
            schema_version=version,
            note=f"the schema is ahead of this code's {latest}: a newer release is rolling out",
        )
    if not state.is_behind:
        return _answer(200, status="ok", database="ok", schema_version=version)
    return _answer(
        503,
        status="error",
        database="ok",
        schema_version=version,
        expected_schema_version=latest,
        error=f"schema version {version} is behind this code's {latest}: run flask db-upgrade",
    )


@bp.errorhandler(PeeweeException)
def database_down(error: PeeweeException) -> Response:
    # Also catches the connect in before_request, which runs before the view for this route.
    current_app.logger.warning("healthz: the database did not answer: %s", error)
    return _answer(503, status="error", database="unreachable", error="the database did not answer")
