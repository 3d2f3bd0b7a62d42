"""The JSON Schemas of the API: what requests may carry and what answers hold.

Request schemas are checked on every call (web/api/endpoint.py) and answers are checked by
the tests; the OpenAPI document publishes both from here.
"""

from ideaboard.board.listing import SHOWS, SORTS
from ideaboard.board.search import SEARCH_SORTS
from ideaboard.models import STATUS_LABELS, TOKEN_SCOPES
from ideaboard.web.api.endpoint import ID_SCHEMA
from ideaboard.web.forms import BODY_MAX, COMMENT_MAX, NOTE_MAX, TITLE_MAX

# Characters the forms refuse (ideaboard/text.py CONTROL_CHARACTERS), as a JSON Schema regex.
NO_CONTROLS = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\ufffe\\uffff]*$"


# One character that Python's str.strip() keeps, as the forms' "required" check asks. Spelled
# out: regex dialects disagree on what \s is (ECMA's, which clients use, leaves out U+0085).
NOT_BLANK = (
    "[^\\t\\n\\u000b\\f\\r \\u001c-\\u001f\\u0085\\u00a0\\u1680\\u2000-\\u200a"
    "\\u2028\\u2029\\u202f\\u205f\\u3000]"
)


def text(max_length: int, required: bool = False) -> dict:
    """A text field: no control characters and, when required, not blank."""
    patterns = [{"pattern": NO_CONTROLS}] + ([{"pattern": NOT_BLANK}] if required else [])
    return {"type": "string", "maxLength": max_length, "allOf": patterns}


def page_of(item: str) -> dict:
    return {
        "type": "object",
        "required": ["data", "next_cursor", "previous_cursor"],
        "properties": {
            "data": {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}},
            "next_cursor": {"type": ["string", "null"], "description": "Pass as `after`."},
            "previous_cursor": {"type": ["string", "null"], "description": "Pass as `before`."},
        },
    }


def list_of(item: str) -> dict:
    items = {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}}
    return {"type": "object", "required": ["data"], "properties": {"data": items}}


TIMESTAMP = {"type": "string", "format": "date-time"}
NULLABLE_TIMESTAMP = {"type": ["string", "null"], "format": "date-time"}
STATUS = {"type": "string", "enum": list(STATUS_LABELS)}
CURSOR = {"type": "string", "maxLength": 80}
PER_PAGE = {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}
ID = ID_SCHEMA
PERSON_REF = {
    "type": "object",
    "required": ["id", "name", "url"],
    "properties": {
        "id": {"type": ["integer", "null"]},
        "name": {"type": "string"},
        "url": {"type": ["string", "null"]},
    },
}

IDEA_QUERY = {
    "sort": {"type": "string", "enum": sorted(set(SORTS) | set(SEARCH_SORTS))},
    "status": STATUS,
    "category": ID,
    "show": {"type": "string", "enum": list(SHOWS)},
    "q": {"type": "string", "maxLength": 200},
    "after": CURSOR,
    "before": CURSOR,
    "per_page": PER_PAGE,
}
PAGE_QUERY = {"after": CURSOR, "per_page": PER_PAGE}

IDEA_CREATE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["title"],
    "properties": {
        "title": text(TITLE_MAX, required=True),
        "body": text(BODY_MAX),
        "category_id": {"type": ["integer", "null"], "minimum": 1, "maximum": 2**31 - 1},
    },
}
IDEA_EDIT = {**IDEA_CREATE, "required": [], "minProperties": 1}
IDEA_CREATE_WITH_CONFIRMATION = {
    **IDEA_CREATE,
    "properties": {
        **IDEA_CREATE["properties"],
        "confirm_duplicate": {**ID, "description": "The id of an idea with the same title."},
    },
}
COMMENT_CREATE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["body"],
    "properties": {"body": text(COMMENT_MAX, required=True)},
}
STATUS_CHANGE_CREATE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["status", "note"],
    "properties": {"status": STATUS, "note": text(NOTE_MAX, required=True)},
}
CHANGELOG_CREATE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["title", "idea_ids"],
    "properties": {
        "title": text(TITLE_MAX, required=True),
        "body": text(BODY_MAX),
        "idea_ids": {"type": "array", "items": ID, "maxItems": 50, "uniqueItems": True},
        "mark_launched": {"type": "boolean", "default": False},
    },
}

COMPONENTS = {
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": {"type": "string", "description": "A stable code, e.g. not_found."},
            "message": {"type": "string", "description": "What happened, for people."},
            "status": {"type": "integer"},
            "request_id": {"type": "string"},
            "fields": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "For invalid_request: each field's problem.",
            },
        },
    },
    "Idea": {
        "type": "object",
        "required": ["id", "title", "body", "status", "author", "votes", "comments", "url"],
        "properties": {
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "body": {"type": "string", "description": "Markdown, as written."},
            "body_html": {"type": "string", "description": "The body rendered and sanitized."},
            "status": STATUS,
            "status_label": {"type": "string"},
            "category": {
                "oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Category"}],
            },
            "author": PERSON_REF,
            "votes": {"type": "integer"},
            "comments": {"type": "integer"},
            "voted": {
                "type": ["boolean", "null"],
                "description": "Whether the caller voted for it; null without a caller.",
            },
            "created_at": TIMESTAMP,
            "updated_at": TIMESTAMP,
            "merged_into": {"type": ["integer", "null"]},
            "url": {"type": "string"},
        },
    },
    "IdeaPage": page_of("Idea"),
    "Vote": {
        "type": "object",
        "required": ["idea_id", "voted", "votes"],
        "properties": {
            "idea_id": {"type": "integer"},
            "voted": {"type": "boolean"},
            "votes": {"type": "integer"},
        },
    },
    "Follow": {
        "type": "object",
        "required": ["idea_id", "following"],
        "properties": {"idea_id": {"type": "integer"}, "following": {"type": "boolean"}},
    },
    "Comment": {
        "type": "object",
        "required": ["id", "idea_id", "author", "body", "official", "created_at"],
        "properties": {
            "id": {"type": "integer"},
            "idea_id": {"type": "integer"},
            "author": PERSON_REF,
            "body": {"type": "string"},
            "body_html": {"type": "string"},
            "official": {"type": "boolean", "description": "An answer from staff."},
            "created_at": TIMESTAMP,
            "edited_at": NULLABLE_TIMESTAMP,
        },
    },
    "CommentList": list_of("Comment"),
    "StatusChange": {
        "type": "object",
        "required": ["id", "idea_id", "from_status", "to_status", "note", "author", "created_at"],
        "properties": {
            "id": {"type": "integer"},
            "idea_id": {"type": "integer"},
            "from_status": {"type": ["string", "null"]},
            "to_status": STATUS,
            "note": {"type": "string", "description": "The public, signed note."},
            "author": PERSON_REF,
            "created_at": TIMESTAMP,
        },
    },
    "StatusChangeList": list_of("StatusChange"),
    "Category": {
        "type": "object",
        "required": ["id", "name"],
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
    },
    "CategoryList": list_of("Category"),
    "Person": {
        "type": "object",
        "required": ["id", "name", "staff", "joined_at", "url"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "staff": {"type": "boolean"},
            "bio": {"type": "string"},
            "joined_at": TIMESTAMP,
            "ideas": {"type": "integer"},
            "url": {"type": "string"},
        },
    },
    "Me": {
        "type": "object",
        "required": ["id", "name", "email", "role", "scopes"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "email": {"type": "string"},
            "role": {"type": "string"},
            "scopes": {"type": "array", "items": {"type": "string", "enum": list(TOKEN_SCOPES)}},
            "following": {"type": "array", "items": {"type": "integer"}},
        },
    },
    "ChangelogPost": {
        "type": "object",
        "required": ["id", "title", "body", "author", "published_at", "ideas", "url"],
        "properties": {
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "body": {"type": "string"},
            "body_html": {"type": "string"},
            "author": PERSON_REF,
            "published_at": TIMESTAMP,
            "ideas": {"type": "array", "items": {"type": "integer"}},
            "url": {"type": "string"},
        },
    },
    "ChangelogPage": page_of("ChangelogPost"),
}
