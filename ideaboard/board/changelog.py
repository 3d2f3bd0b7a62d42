"""The changelog: release notes by the team, each naming the ideas it delivers.

Publishing a post tells the followers and voters of every idea it ships (through the worker),
and can mark those ideas launched with the post as the signed note.
"""

import re
from dataclasses import dataclass

from ideaboard.board import webhooks
from ideaboard.board.events import record_event
from ideaboard.board.listing import Page
from ideaboard.board.pipeline import change_status
from ideaboard.db import db
from ideaboard.models import (
    EVENT_CHANGELOG,
    LAUNCHED,
    ChangelogIdea,
    ChangelogPost,
    Idea,
    User,
)

PER_PAGE = 10
MAX_IDEAS = 50
NUMBER = re.compile(r"#?(\d{1,10})")


class ChangelogError(ValueError):
    """The post cannot be published as asked; the message says why, for the form."""


@dataclass
class Post:
    post: ChangelogPost
    ideas: list[Idea]


def parse_idea_numbers(text: str) -> list[int]:
    """'12, 31', '#12 #31' or '12 31' -> [12, 31]; anything else is a ChangelogError."""
    numbers: list[int] = []
    for piece in re.split(r"[\s,;]+", text.strip()):
        if not piece:
            continue
        match = NUMBER.fullmatch(piece)
        if not match:
            raise ChangelogError(f"“{piece[:20]}” is not an idea number. Write numbers: 12, 31.")
        number = int(match.group(1))
        if number not in numbers:
            numbers.append(number)
    if len(numbers) > MAX_IDEAS:
        raise ChangelogError(f"One post can ship at most {MAX_IDEAS} ideas.")
    return numbers


def publish(
    author: User, title: str, body: str, idea_ids: list[int], mark_launched: bool
) -> ChangelogPost:
    """Publish a post; its ideas' followers and voters hear of it from the worker."""
    with db.atomic():
        ideas = {idea.id: idea for idea in Idea.select().where(Idea.id.in_(idea_ids))}
        missing = [str(number) for number in idea_ids if number not in ideas]
        if missing:
            raise ChangelogError(f"There is no idea numbered {', '.join(missing)}.")
        post = ChangelogPost.create(author=author.id, title=title.strip(), body=body or "")
        for idea_id in idea_ids:
            ChangelogIdea.create(post=post.id, idea=idea_id)
            idea = ideas[idea_id]
            if mark_launched and idea.status != LAUNCHED:
                note = f"Shipped in [{post.title}](/changelog/{post.id})."
                change_status(idea, LAUNCHED, author, note, announce=False)
            record_event(EVENT_CHANGELOG, idea_id, author.id, changelog_post=post.id)
        webhooks.changelog_published(post.id, post.title, post.body, author, idea_ids)
    return post


def _ideas_of(post_ids: list[int]) -> dict[int, list[Idea]]:
    if not post_ids:
        return {}
    links = (
        ChangelogIdea.select(ChangelogIdea, Idea)
        .join(Idea)
        # An idea staff hid since leaves the post's list (board/moderation.py).
        .where(ChangelogIdea.post.in_(post_ids) & Idea.hidden_at.is_null())
        .order_by(ChangelogIdea.id)
    )
    ideas: dict[int, list[Idea]] = {post_id: [] for post_id in post_ids}
    for link in links:
        ideas[link.post_id].append(link.idea)
    return ideas


def posts_page(before: int | None = None, per_page: int = PER_PAGE) -> Page:
    """Posts newest first, with their ideas (two queries), paged by the post id."""
    query = ChangelogPost.select(ChangelogPost, User).join(User).order_by(ChangelogPost.id.desc())
    if before:
        query = query.where(ChangelogPost.id < before)
    rows = list(query.limit(per_page + 1))
    posts = rows[:per_page]
    ideas = _ideas_of([p.id for p in posts])
    return Page(
        items=[Post(p, ideas[p.id]) for p in posts],
        next_cursor=str(posts[-1].id) if len(rows) > per_page else None,
        is_first=before is None,
    )


def find_post(post_id: int) -> Post | None:
    post = (
        ChangelogPost.select(ChangelogPost, User)
        .join(User)
        .where(ChangelogPost.id == post_id)
        .first()
    )
    return Post(post, _ideas_of([post.id])[post.id]) if post else None


def shipped_in(idea_id: int) -> list[ChangelogPost]:
    """The posts that ship this idea, oldest first."""
    return list(
        ChangelogPost.select()
        .join(ChangelogIdea)
        .where(ChangelogIdea.idea == idea_id)
        .order_by(ChangelogPost.id)
    )
