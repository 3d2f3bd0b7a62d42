"""An idea's page, shared by the views that show it again with a form's errors."""

from flask import abort, render_template

from ideaboard.board.changelog import shipped_in
from ideaboard.board.comments import comments_of
from ideaboard.board.follows import is_following
from ideaboard.board.ideas import can_edit, find_idea
from ideaboard.board.pipeline import history_of
from ideaboard.board.votes import voted_ids
from ideaboard.models import NEXT_STATUS, Idea
from ideaboard.web.forms import CommentForm, StatusForm, status_choices
from ideaboard.web.login import viewer

NO_SUCH_IDEA = "There is no idea with that number. It may have been removed."


def get_idea_or_404(idea_id: int) -> Idea:
    idea = find_idea(idea_id)
    if idea is None:
        abort(404, description=NO_SUCH_IDEA)
    return idea


def render_idea_page(
    idea: Idea,
    comment_form: CommentForm | None = None,
    status_form: StatusForm | None = None,
    status: int = 200,
):
    """The idea page; forms that failed validation are passed in so their errors show."""
    user = viewer()
    if status_form is None and user and user.is_staff:
        status_form = StatusForm(formdata=None, status=NEXT_STATUS[idea.status])
    if status_form is not None:
        status_form.status.choices = status_choices(exclude=idea.status)
    page = render_template(
        "ideas/detail.html",
        idea=idea,
        comments=comments_of(idea.id),
        history=history_of(idea.id),
        voted=bool(user and voted_ids(user.id, [idea.id])),
        following=bool(user and is_following(user.id, idea.id)),
        shipped_in=shipped_in(idea.id),
        # A form makes a CSRF token, and with it a session: only for those who may comment.
        comment_form=comment_form or (user and CommentForm(formdata=None)),
        status_form=status_form,
        can_edit=can_edit(idea, user),
    )
    return page, status
