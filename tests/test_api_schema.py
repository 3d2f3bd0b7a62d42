"""schemathesis against the API's own OpenAPI document, on both databases: no 5xx, no answer
outside the document, and nothing the document forbids is accepted."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from ideaboard.board.api_tokens import issue_token
from ideaboard.board.comments import add_comment
from ideaboard.board.ideas import create_idea
from ideaboard.db import db

EXAMPLES = 50


@pytest.fixture
def staff_token(app, users, category) -> str:
    """A staff member's token with every scope, and something on the board to act on."""
    with db.connection_context():
        idea = create_idea(users["member"], "Oat milk at no extra charge", "Please.", category.id)
        add_comment(idea.id, users["other"], "Yes please.")
        _, secret = issue_token(users["staff"], "schemathesis", ["read", "write", "staff"])
    return secret


def operations(app) -> list:
    document = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    return [result.ok() for result in document.get_all_operations()]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_keeps_to_its_document(app, staff_token, mode, subtests):
    headers = {"Authorization": f"Bearer {staff_token}"}
    found = operations(app)
    # Every operation the API serves is in the document, so every one is tried.
    served = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("api.")]
    assert len(found) == sum(len(r.methods - {"HEAD", "OPTIONS"}) for r in served)
    for operation in found:
        raw = operation.definition.raw
        if mode == GenerationMode.NEGATIVE and not (raw["parameters"] or "requestBody" in raw):
            continue  # nothing in the request can break the schema
        with subtests.test(operation=operation.label):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))  # fmt: skip
            def keeps_to_it(case):
                case.call_and_validate(headers=headers)

            keeps_to_it()
