"""Shared by the API tests: clients that send a personal access token, one valid request per
API operation, and the OpenAPI document's schemas as validators."""

from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from ideaboard.board.api_tokens import issue_token
from ideaboard.db import db
from ideaboard.models import ACCEPTED, User
from tests.attack_support import PLACEHOLDER_IDS as FORM_PLACEHOLDER_IDS
from tests.attack_support import db_state

API = "/api/v1"
READ_WRITE, EVERY_SCOPE = ("read", "write"), ("read", "write", "staff")
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Stand-ins for the `ids` fixture where only the operation names matter (parametrize).
PLACEHOLDER_IDS = {**FORM_PLACEHOLDER_IDS, "user_id": 0, "post_id": 0}
# The document's own address, so its "#/components/..." references resolve inside it.
DOCUMENT_URI = "https://ideaboard.test/api/openapi.json"


def new_token(user: User, scopes=READ_WRITE) -> str:
    """A fresh token's secret, made the way the account page makes one."""
    with db.connection_context():
        return issue_token(user, "tests", list(scopes))[1]


def board_state() -> dict:
    """Every row but the tokens' own (a token's first use notes when it was last used)."""
    state = db_state()
    del state["ApiToken"]
    return state


def assert_error(response, status: int, error: str) -> None:
    """An API error object: the code, a message for people, and the status again."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    assert (response.json["error"], response.json["status"]) == (error, status)
    assert response.json["message"]


def assert_unauthorized(response) -> None:
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")


class ApiClient:
    """A script calling the API: no cookies of its own, a bearer token on every request."""

    def __init__(self, app, secret: str | None):
        self.client = app.test_client()
        self.headers = {"Authorization": f"Bearer {secret}"} if secret else {}

    def call(self, method: str, path: str, body=None, headers: dict | None = None, **kwargs):
        if body is not None:
            kwargs["json"] = body
        return self.client.open(
            path, method=method, headers={**self.headers, **(headers or {})}, **kwargs
        )

    def get(self, path: str, **kwargs):
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body=None, **kwargs):
        return self.call("POST", path, body, **kwargs)

    def put(self, path: str, **kwargs):
        return self.call("PUT", path, **kwargs)

    def patch(self, path: str, body=None, **kwargs):
        return self.call("PATCH", path, body, **kwargs)

    def delete(self, path: str, **kwargs):
        return self.call("DELETE", path, **kwargs)


def token_client(app, user: User | None, scopes=READ_WRITE) -> ApiClient:
    """A client acting for user with a new token of these scopes; anonymous for None."""
    return ApiClient(app, new_token(user, scopes) if user else None)


def role_clients(app, users: dict) -> dict[str | None, ApiClient]:
    """One client per role of api_requests(): members read and write, staff have every scope."""
    return {
        None: ApiClient(app, None),
        "member": token_client(app, users["member"]),
        "other": token_client(app, users["other"]),
        "staff": token_client(app, users["staff"], EVERY_SCOPE),
    }


def api_rules(app) -> list:
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")]


def api_operations(app) -> set[tuple[str, str]]:
    """(endpoint, method) of every operation the API serves, read from the URL map."""
    return {
        (rule.endpoint, method)
        for rule in api_rules(app)
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def api_requests(ids: dict) -> dict:
    """Every API operation: (who calls it, method, path, its valid JSON body or None), on the
    objects of attack_support's `ids` (the member's own idea, another member's idea, ...)."""
    own, theirs = f"{API}/ideas/{ids['own']}", f"{API}/ideas/{ids['idea_id']}"
    return {
        "api.ideas_list": ("member", "GET", f"{API}/ideas", None),
        "api.idea_detail": ("member", "GET", theirs, None),
        "api.idea_create": (
            "member",
            "POST",
            f"{API}/ideas",
            {"title": "Oat milk", "body": "Please.", "category_id": ids["category_id"]},
        ),
        "api.idea_edit": ("member", "PATCH", own, {"title": "Edited", "body": "New."}),
        "api.vote_cast": ("member", "PUT", f"{theirs}/vote", None),
        "api.vote_withdraw": ("member", "DELETE", f"{theirs}/vote", None),
        "api.follow_state": ("member", "GET", f"{theirs}/follow", None),
        "api.follow_start": ("member", "PUT", f"{theirs}/follow", None),
        "api.follow_stop": ("member", "DELETE", f"{theirs}/follow", None),
        "api.comment_list": ("member", "GET", f"{theirs}/comments", None),
        "api.comment_create": ("member", "POST", f"{theirs}/comments", {"body": "Me too!"}),
        "api.status_change_list": ("member", "GET", f"{theirs}/status-changes", None),
        "api.status_change_create": (
            "staff",
            "POST",
            f"{theirs}/status-changes",
            {"status": ACCEPTED, "note": "Yes."},
        ),
        "api.category_list": ("member", "GET", f"{API}/categories", None),
        "api.person_detail": ("member", "GET", f"{API}/people/{ids['user_id']}", None),
        "api.me": ("member", "GET", f"{API}/me", None),
        "api.changelog_list": ("member", "GET", f"{API}/changelog", None),
        "api.changelog_detail": ("member", "GET", f"{API}/changelog/{ids['post_id']}", None),
        "api.changelog_create": (
            "staff",
            "POST",
            f"{API}/changelog",
            {"title": "Spring release", "body": "Shipped.", "idea_ids": [ids["idea_id"]]},
        ),
    }


def writes(ids: dict) -> dict:
    """The operations of api_requests() that change something."""
    return {name: call for name, call in api_requests(ids).items() if call[1] in WRITE_METHODS}


def document_validator(document: dict, *pointer: str) -> Draft202012Validator:
    """A validator for the schema at this place in the OpenAPI document, e.g. ("components",
    "schemas", "Idea"); its "#/components/..." references resolve inside the document."""
    registry = Registry().with_resource(DOCUMENT_URI, DRAFT202012.create_resource(document))
    escaped = "/".join(part.replace("~", "~0").replace("/", "~1") for part in pointer)
    return Draft202012Validator({"$ref": f"{DOCUMENT_URI}#/{escaped}"}, registry=registry)


def component_validator(document: dict, name: str) -> Draft202012Validator:
    return document_validator(document, "components", "schemas", name)
