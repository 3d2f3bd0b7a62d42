"""The vote budget as pages show it: "k of N votes left" for the signed-in person."""

from typing import NamedTuple

from flask import current_app

from ideaboard.board.votes import open_votes
from ideaboard.web.login import viewer


class VotesLeft(NamedTuple):
    left: int
    budget: int


def budget() -> int:
    """Votes a person may have on open ideas at a time; 0: no budget (the default)."""
    return current_app.config["VOTE_BUDGET"]


def votes_left() -> VotesLeft | None:
    """What the signed-in person has left, or None without a budget or a sign-in."""
    user, limit = viewer(), budget()
    if user is None or limit <= 0:
        return None
    return VotesLeft(max(limit - open_votes(user.id), 0), limit)
