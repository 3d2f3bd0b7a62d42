"""Following ideas: by asking, or without asking as author, voter or commenter.

Each person can turn each kind of automatic following off (User.follow_own, follow_voted,
follow_commented). An unfollow keeps its row, inactive, so that a later vote or comment does
not follow the idea again behind the person's back.
"""

from peewee import fn

from ideaboard.db import db
from ideaboard.models import Follow, Idea, User, utcnow

OWN, VOTED, COMMENTED, ASKED = "own", "voted", "commented", "asked"
CHOICE = {OWN: "follow_own", VOTED: "follow_voted", COMMENTED: "follow_commented"}


def set_following(user_id: int, idea_id: int, wanted: bool) -> None:
    """Follow (or stop following) an idea because the person asked to."""
    Follow.insert(
        user=user_id, idea=idea_id, active=wanted, reason=ASKED, created_at=utcnow()
    ).on_conflict(
        conflict_target=[Follow.idea, Follow.user],
        # A follow a merge copied becomes the person's own choice: unmerging leaves it.
        update={Follow.active: wanted, Follow.reason: ASKED, Follow.merged_from: None},
    ).execute()


def follow_automatically(user: User, idea_id: int, reason: str) -> None:
    """Follow an idea one just posted, voted for or commented on, unless one said not to."""
    if not getattr(user, CHOICE[reason]):
        return
    p = db.param
    # Plain SQL: it runs inside every first vote. ON CONFLICT keeps an earlier unfollow.
    db.execute_sql(
        f"INSERT INTO follow (user_id, idea_id, active, reason, created_at)"
        f" VALUES ({p}, {p}, {p}, {p}, {p}) ON CONFLICT DO NOTHING",
        [user.id, idea_id, True, reason, Follow.created_at.db_value(utcnow())],
    )


def is_following(user_id: int, idea_id: int) -> bool:
    return (
        Follow.select()
        .where((Follow.user == user_id) & (Follow.idea == idea_id) & Follow.active)
        .exists()
    )


def follower_count(idea_id: int) -> int:
    return (
        Follow.select(fn.COUNT(Follow.id)).where((Follow.idea == idea_id) & Follow.active).scalar()
    )


def followed_ideas(user_id: int, limit: int) -> list[Idea]:
    """The ideas a person follows, most recently followed first."""
    return list(
        Idea.select()
        .join(Follow, on=(Follow.idea == Idea.id))
        .where((Follow.user == user_id) & Follow.active)
        .order_by(Follow.created_at.desc(), Follow.id.desc())
        .limit(limit)
    )
