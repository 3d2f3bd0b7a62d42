"""What an idea's page shows staff alone: internal notes, the votes recorded for customers,
and the forms to add either."""

from ideaboard.board.staff_notes import notes_of
from ideaboard.board.vote_on_behalf import recorded_votes
from ideaboard.board.votes import VoteSummary
from ideaboard.models import Idea
from ideaboard.web.login import viewer
from ideaboard.web.staff_forms import BehalfForm, StaffNoteForm

# Votes recorded for customers listed on the page; the count says how many in all.
RECORDED_SHOWN = 50


def staff_tools(
    idea: Idea,
    votes: VoteSummary,
    note_form: StaffNoteForm | None = None,
    behalf_form: BehalfForm | None = None,
    needs_name: bool = False,
) -> dict | None:
    """The staff section's data, or None for everyone else (who never gets a query for it)."""
    user = viewer()
    if user is None or not user.is_staff:
        return None
    return {
        "notes": notes_of(idea.id, user),
        "note_form": note_form or StaffNoteForm(formdata=None),
        "behalf_form": behalf_form or BehalfForm(formdata=None),
        # The address has no account yet: the name field asks for one.
        "needs_name": needs_name,
        # Only read when there are some: most ideas have none.
        "recorded": recorded_votes(idea.id, RECORDED_SHOWN) if votes.recorded else [],
    }
