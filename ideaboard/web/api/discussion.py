"""/api/v1/ideas/{id}/comments and /status-changes: the conversation on an idea, and the
signed status pipeline staff move it through."""

from werkzeug.datastructures import MultiDict

from ideaboard.board.comments import add_comment, comments_of, find_comment
from ideaboard.board.moderation import can_see_comment
from ideaboard.board.pipeline import StatusError, change_status, history_of
from ideaboard.models import STATUS_LABELS
from ideaboard.web.api.endpoint import STAFF, WRITE, api_throttle, endpoint, fail
from ideaboard.web.api.ideas import IDEA_PATH
from ideaboard.web.api.schemas import COMMENT_CREATE, STATUS_CHANGE_CREATE
from ideaboard.web.api.shapes import comment_shape, status_change_shape
from ideaboard.web.forms import CommentForm, StatusForm, status_choices
from ideaboard.web.idea_page import get_idea_or_404
from ideaboard.web.login import viewer

DISCUSSION = "Discussion"


def _form_problems(form) -> dict[str, str]:
    return {name: errors[0] for name, errors in form.errors.items()}


@endpoint(
    "GET",
    IDEA_PATH + "/comments",
    tag=DISCUSSION,
    summary="An idea's comments",
    description="Oldest first. Staff's comments are official answers. Hidden ones are left out.",
    returns="CommentList",
    errors=(404,),
)
def comment_list(idea_id: int):
    idea, user = get_idea_or_404(idea_id), viewer()
    visible = [c for c in comments_of(idea.id) if can_see_comment(c, user)]
    return {"data": [comment_shape(c) for c in visible]}


@endpoint(
    "POST",
    IDEA_PATH + "/comments",
    tag=DISCUSSION,
    summary="Comment on an idea",
    description="From a staff account, the comment is an official answer, signed by its author.",
    scope=WRITE,
    body=COMMENT_CREATE,
    status=201,
    returns="Comment",
    errors=(400, 404, 409),
)
@api_throttle("COMMENT")
def comment_create(idea_id: int, body: dict):
    idea = get_idea_or_404(idea_id)
    if idea.merged_into_id is not None:
        fail(409, "merged", "This idea is merged into another: comment there.")
    form = CommentForm(formdata=MultiDict(body), meta={"csrf": False})
    if not form.validate():
        fail(400, "invalid_request", "Some fields are not valid.", fields=_form_problems(form))
    comment = add_comment(idea.id, viewer(), form.body.data)
    return comment_shape(find_comment(comment.id))


@endpoint(
    "GET",
    IDEA_PATH + "/status-changes",
    tag=DISCUSSION,
    summary="An idea's signed status history",
    description="Each change with its public note, its author and its date, oldest first.",
    returns="StatusChangeList",
    errors=(404,),
)
def status_change_list(idea_id: int):
    idea = get_idea_or_404(idea_id)
    return {"data": [status_change_shape(change) for change in history_of(idea.id)]}


@endpoint(
    "POST",
    IDEA_PATH + "/status-changes",
    tag=DISCUSSION,
    summary="Move an idea to a new status",
    description=(
        "Staff only. The note is public and signed with the token owner's name; followers and"
        " voters hear of it."
    ),
    scope=STAFF,
    body=STATUS_CHANGE_CREATE,
    status=201,
    returns="StatusChange",
    errors=(400, 404, 409),
)
def status_change_create(idea_id: int, body: dict):
    idea = get_idea_or_404(idea_id)
    if idea.merged_into_id is not None:
        fail(409, "merged", "This idea is merged into another: its status follows that one.")
    form = StatusForm(formdata=MultiDict(body), meta={"csrf": False})
    form.status.choices = status_choices()
    if not form.validate():
        fail(400, "invalid_request", "Some fields are not valid.", fields=_form_problems(form))
    try:
        change = change_status(idea, form.status.data, viewer(), form.note.data)
    except StatusError as refused:
        fail(409, "status_unchanged", str(refused), status_label=STATUS_LABELS[idea.status])
    return status_change_shape(next(c for c in history_of(idea.id) if c.id == change.id))
