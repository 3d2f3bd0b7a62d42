"""An idea's page, shared by the views that show it again with a form's errors."""

from flask import abort, make_response, render_template

from ideaboard.board.changelog import shipped_in
from ideaboard.board.comments import comments_of
from ideaboard.board.follows import is_following
from ideaboard.board.ideas import can_edit, find_idea
from ideaboard.board.merge_info import merge_links
from ideaboard.board.moderation import can_see_idea, hide_reason
from ideaboard.board.pipeline import history_of
from ideaboard.board.votes import vote_summary
from ideaboard.models import NEXT_STATUS, Idea
from ideaboard.web.errors import wants_json
from ideaboard.web.forms import CommentForm, StatusForm, status_choices
from ideaboard.web.login import viewer
from ideaboard.web.staff_tools import staff_tools
from ideaboard.web.vote_budget import votes_left

NO_SUCH_IDEA = "There is no idea with that number. It may have been removed."
HIDDEN_IDEA = "This idea was hidden by the moderators."


def get_idea_or_404(idea_id: int) -> Idea:
    """The idea, if the viewer may see it. Hidden by staff: a 404 page saying so, to everyone
    but its author and staff (search engines and link previews drop it, people learn why).
    A first post awaiting review: a plain 404, as if it were not posted yet."""
    idea = find_idea(idea_id)
    if idea is None:
        abort(404, description=NO_SUCH_IDEA)
    if not can_see_idea(idea, viewer()):
        if idea.hidden_at is None or wants_json():
            abort(404, description=HIDDEN_IDEA if idea.hidden_at else NO_SUCH_IDEA)
        abort(make_response(render_template("moderation/hidden_idea.html"), 404))
    return idea


def render_idea_page(
    idea: Idea,
    comment_form: CommentForm | None = None,
    status_form: StatusForm | None = None,
    status: int = 200,
    staff_forms: dict | None = None,
):
    """The idea page; forms that failed validation are passed in so their errors show
    (staff_forms: the keyword arguments of web/staff_tools.staff_tools)."""
    user = viewer()
    # The viewer's vote (and who recorded it), and the votes staff recorded for customers.
    votes = vote_summary(idea.id, user.id if user else None)
    # A merged idea's own page is read-only (board/merge.py): no status form either.
    if status_form is None and user and user.is_staff and idea.merged_into_id is None:
        status_form = StatusForm(formdata=None, status=NEXT_STATUS[idea.status])
    if status_form is not None:
        status_form.status.choices = status_choices(exclude=idea.status)
    page = render_template(
        "ideas/detail.html",
        idea=idea,
        comments=comments_of(idea.id),
        history=history_of(idea.id),
        voted=votes.voted,
        votes=votes,
        votes_left=votes_left(),
        staff_tools=staff_tools(idea, votes, **(staff_forms or {})),
        following=bool(user and is_following(user.id, idea.id)),
        shipped_in=shipped_in(idea.id),
        # Where a merged idea went, or the ideas merged into this one.
        merge=merge_links(idea),
        # A form makes a CSRF token, and with it a session: only for those who may comment.
        comment_form=comment_form or (user and CommentForm(formdata=None)),
        status_form=status_form,
        can_edit=can_edit(idea, user),
        # Only its author and staff get this far for a hidden idea (get_idea_or_404).
        hide_reason=hide_reason(idea.id) if idea.hidden_at else "",
    )
    return page, status
