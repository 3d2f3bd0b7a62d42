"""People: what a profile shows of someone (ideas, comments, signed answers), bios, and the
export of everything the board holds about a person."""

from datetime import datetime

from peewee import JOIN

from ideaboard.board.listing import Page, idea_query, keyset_page
from ideaboard.models import (
    ApiToken,
    Category,
    Comment,
    Event,
    Follow,
    Idea,
    LinkedAccount,
    Notification,
    StatusChange,
    User,
    Vote,
)

DELETED_NAME = "Deleted user"


def find_person(user_id: int) -> User | None:
    return User.get_or_none(User.id == user_id)


# What others see of a person: no idea hidden by staff or awaiting review, no hidden comment,
# and nothing said on such an idea. `everything=True` (the person, or staff) shows it all.
def _public_idea():
    return Idea.hidden_at.is_null() & ~Idea.pending_review


def _ideas_by(user_id: int, everything: bool):
    condition = Idea.author == user_id
    return condition if everything else condition & _public_idea()


def ideas_page(
    user_id: int,
    per_page: int,
    after: str | None = None,
    before: str | None = None,
    everything: bool = False,
) -> Page:
    """The person's ideas, newest first, a page at a time (keyset over created_at, id)."""
    query = idea_query().where(_ideas_by(user_id, everything))
    return keyset_page(query, Idea.created_at, per_page, after=after, before=before)


def idea_count(user_id: int, everything: bool = False) -> int:
    return Idea.select().where(_ideas_by(user_id, everything)).count()


def _comments_by(user_id: int, official: bool | None, everything: bool = False):
    """The condition for the person's comments: all, or only the official (or other) ones."""
    condition = Comment.author == user_id
    if not everything:
        condition &= Comment.hidden_at.is_null() & _public_idea()
    return condition if official is None else condition & (Comment.is_official == official)


def recent_comments(
    user_id: int, limit: int, official: bool | None = None, everything: bool = False
) -> list[Comment]:
    """The person's newest comments (only official or other ones if asked), each with its
    idea's id and title for the link."""
    return list(
        Comment.select(Comment, Idea.id, Idea.title)
        .join(Idea)
        .where(_comments_by(user_id, official, everything))
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .limit(limit)
    )


def comment_count(user_id: int, official: bool | None = None, everything: bool = False) -> int:
    return Comment.select().join(Idea).where(_comments_by(user_id, official, everything)).count()


def signed_changes(user_id: int, limit: int, everything: bool = False) -> list[StatusChange]:
    """Status changes the person signed, newest first, each with its idea's id and title."""
    condition = StatusChange.author == user_id
    return list(
        StatusChange.select(StatusChange, Idea.id, Idea.title)
        .join(Idea)
        .where(condition if everything else condition & _public_idea())
        .order_by(StatusChange.created_at.desc(), StatusChange.id.desc())
        .limit(limit)
    )


def set_bio(user_id: int, bio: str) -> None:
    User.update(bio=(bio or "").strip()).where(User.id == user_id).execute()


def _when(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def _profile(user: User) -> dict:
    # Everything of the row but the password hash and the private feed's secret (a key).
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "email_verified_at": _when(user.email_verified_at),
        "role": user.role,
        "bio": user.bio,
        "joined_at": _when(user.created_at),
        "private_feed_enabled": user.feed_token is not None,
        "follow_own_ideas": user.follow_own,
        "follow_voted_ideas": user.follow_voted,
        "follow_commented_ideas": user.follow_commented,
        "mail": {
            "status_changes": user.mail_status,
            "official_answers": user.mail_answers,
            "comments": user.mail_comments,
            "changelog": user.mail_changelog,
        },
        "last_digest_at": _when(user.last_digest_at),
    }


def export_data(user_id: int) -> dict | None:
    """Everything the board holds about one person, as plain JSON-ready values; None if no
    such person. Never the password hash, sessions or the feed secret."""
    user = find_person(user_id)
    if user is None:
        return None
    ideas = (
        Idea.select(Idea, Category.name)
        .join(Category, JOIN.LEFT_OUTER, on=(Idea.category == Category.id))
        .where(Idea.author == user_id)
        .order_by(Idea.id)
    )
    comments = (
        Comment.select(Comment, Idea.id, Idea.title).join(Idea).where(Comment.author == user_id)
    ).order_by(Comment.id)
    recorder = User.alias("recorder")
    votes = (
        Vote.select(Vote, Idea.id, Idea.title, recorder.id, recorder.name)
        .join(Idea)
        .switch(Vote)
        .join(recorder, JOIN.LEFT_OUTER, on=(Vote.recorded_by == recorder.id))
        .where(Vote.user == user_id)
        .order_by(Vote.id)
    )
    follows = (
        Follow.select(Follow, Idea.id, Idea.title)
        .join(Idea)
        .where(Follow.user == user_id)
        .order_by(Follow.id)
    )
    notifications = (
        Notification.select(Notification, Event)
        .join(Event)
        .where(Notification.user == user_id)
        .order_by(Notification.id)
    )
    tokens = ApiToken.select().where(ApiToken.user == user_id).order_by(ApiToken.id)
    links = LinkedAccount.select().where(LinkedAccount.user == user_id).order_by(LinkedAccount.id)
    changes = (
        StatusChange.select(StatusChange, Idea.id, Idea.title)
        .join(Idea)
        .where(StatusChange.author == user_id)
        .order_by(StatusChange.id)
    )
    return {
        "profile": _profile(user),
        "ideas": [
            {
                "id": i.id,
                "title": i.title,
                "body": i.body,
                "category": i.category.name if i.category_id else None,
                "status": i.status,
                "votes": i.vote_count,
                "comments": i.comment_count,
                "created_at": _when(i.created_at),
                "updated_at": _when(i.updated_at),
            }
            for i in ideas
        ],
        "comments": [
            {
                "id": c.id,
                "idea_id": c.idea_id,
                "idea_title": c.idea.title,
                "body": c.body,
                "official": c.is_official,
                "created_at": _when(c.created_at),
            }
            for c in comments
        ],
        "votes": [
            {
                "idea_id": v.idea_id,
                "idea_title": v.idea.title,
                "created_at": _when(v.created_at),
                # A vote staff recorded for them (from a call or an email), and who did.
                "recorded_by": v.recorded_by.name if v.recorded_by_id else None,
                # A vote a merge copied here from their vote on the duplicate.
                "merged_from_idea_id": v.merged_from_id,
            }
            for v in votes
        ],
        "follows": [
            {
                "idea_id": f.idea_id,
                "idea_title": f.idea.title,
                "active": f.active,
                "reason": f.reason,
                "created_at": _when(f.created_at),
            }
            for f in follows
        ],
        "notifications": [
            {
                "kind": n.event.kind,
                "idea_id": n.event.idea_id,
                "created_at": _when(n.created_at),
                "read_at": _when(n.read_at),
            }
            for n in notifications
        ],
        "status_changes_signed": [
            {
                "idea_id": s.idea_id,
                "idea_title": s.idea.title,
                "from_status": s.from_status,
                "to_status": s.to_status,
                "note": s.note,
                "created_at": _when(s.created_at),
            }
            for s in changes
        ],
        # What exists, never a secret: a token's first characters name it, its hash stays.
        "api_tokens": [
            {
                "name": t.name,
                "starts_with": t.prefix,
                "scopes": t.scope_names,
                "created_at": _when(t.created_at),
                "last_used_at": _when(t.last_used_at),
            }
            for t in tokens
        ],
        "linked_accounts": [
            {
                "provider": a.provider,
                "email": a.email,
                "created_at": _when(a.created_at),
                "last_used_at": _when(a.last_used_at),
            }
            for a in links
        ],
    }
