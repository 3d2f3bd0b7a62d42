"""Votes staff record for a customer who asked by phone or mail, shown as such everywhere.

The vote goes through votes.set_vote like any other (the same closed-idea rule, the same
counter, the same budget: a recorded vote is the customer's vote and counts against their
budget), with recorded_by set to the staff member. A customer without an account can be given
one: unconfirmed, with a password nobody knows, so it is theirs once they use "Forgot your
password?" (which also confirms the address). No mail is sent on their behalf.
"""

import secrets
from typing import NamedTuple

from ideaboard.board import audit
from ideaboard.board.accounts import EmailTaken, create_user, find_user
from ideaboard.board.votes import VoteBudgetSpent, VoteResult, set_vote
from ideaboard.db import db
from ideaboard.models import User, Vote


class BehalfError(ValueError):
    """The vote cannot be recorded for this person; the message says why, for staff."""


class NoAccount(BehalfError):
    """Nobody has an account with this address: staff may create one (with a name)."""


class _NoSuchIdea(Exception):
    """Raised inside the transaction to roll back an account made for a missing idea."""


class Recorded(NamedTuple):
    customer: User
    result: VoteResult
    # The account was made just now for this vote.
    created: bool
    # The customer had already voted for the idea: nothing was added.
    already: bool


def record_vote_for(
    idea_id: int,
    staff: User,
    email: str,
    new_name: str | None = None,
    budget: int = 0,
) -> Recorded | None:
    """Record the customer's vote for the idea; None when there is no such idea.

    new_name: create the account when the address has none (else NoAccount). Raises
    BehalfError when the person cannot vote, and lets votes.VotingClosed through.
    """
    if not staff.is_staff:
        raise BehalfError("Only staff record votes for customers.")
    customer = find_user(email)
    if customer is not None and customer.id == staff.id:
        raise BehalfError("That is your own account: use the Vote button to vote yourself.")
    if customer is not None and customer.deleted_at is not None:
        raise BehalfError("That account was deleted.")
    if customer is not None and customer.suspended_at is not None:
        raise BehalfError("That account is suspended: its votes cannot be recorded.")
    if customer is None and not new_name:
        raise NoAccount(f"Nobody has an account with {email} yet.")
    created = customer is None
    try:
        # One transaction: a refused vote (closed idea, budget spent) makes no account either.
        with db.atomic():
            if created:
                try:
                    # A password nobody knows, hashed like any other, so logging in with a
                    # guess takes as long as for every account; "Forgot your password?"
                    # replaces it.
                    customer = create_user(email, new_name, secrets.token_urlsafe(32))
                except EmailTaken:
                    raise BehalfError("An account with this address was just created.") from None
            try:
                result = set_vote(idea_id, customer, True, recorded_by=staff, budget=budget)
            except VoteBudgetSpent as spent:
                raise BehalfError(
                    f"{customer.name} already has {spent.budget} votes on open ideas, the most"
                    " anyone may have: they can take one back first."
                ) from None
            if result is None:
                raise _NoSuchIdea
            if result.changed:
                audit.record(
                    staff,
                    "vote_on_behalf",
                    f"Recorded a vote on #{idea_id} for {customer.name}"
                    + (" (account created)" if created else ""),
                    idea_id=idea_id,
                    user_id=customer.id,
                    account_created=created,
                )
    except _NoSuchIdea:
        return None
    return Recorded(customer, result, created, already=not result.changed)


def recorded_votes(idea_id: int, limit: int) -> list[Vote]:
    """The idea's votes recorded by staff, newest first, with the customer and the recorder
    (vote.user, vote.recorder): for staff only, since it names who voted."""
    recorder = User.alias()
    return list(
        Vote.select(Vote, User, recorder)
        .join(User, on=(Vote.user == User.id))
        .switch(Vote)
        .join(recorder, on=(Vote.recorded_by == recorder.id), attr="recorder")
        .where((Vote.idea == idea_id) & Vote.recorded_by.is_null(False))
        .order_by(Vote.created_at.desc(), Vote.id.desc())
        .limit(limit)
    )
