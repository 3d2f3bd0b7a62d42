"""Rows as the API shows them (web/api/schemas.py describes each shape): public fields only."""

from datetime import datetime

from flask import url_for

from ideaboard.board.people import DELETED_NAME
from ideaboard.models import (
    STATUS_LABELS,
    Category,
    ChangelogPost,
    Comment,
    Idea,
    StatusChange,
    User,
)
from ideaboard.text import render_markdown
from ideaboard.web.templating import idea_url


def timestamp(moment: datetime | None) -> str | None:
    """UTC, as RFC 3339 says (the database keeps naive UTC)."""
    return moment.isoformat(timespec="seconds") + "Z" if moment else None


def person_ref(user: User) -> dict:
    """A name as the pages show it: a deleted account is "Deleted user", with no trail."""
    if user.deleted_at:
        return {"id": None, "name": DELETED_NAME, "url": None}
    url = url_for("people.profile", user_id=user.id, _external=True)
    return {"id": user.id, "name": user.name, "url": url}


def category_shape(category: Category | None) -> dict | None:
    return {"id": category.id, "name": category.name} if category else None


def idea_shape(idea: Idea, voted: bool | None = None) -> dict:
    return {
        "id": idea.id,
        "title": idea.title,
        "body": idea.body,
        "body_html": str(render_markdown(idea.body)),
        "status": idea.status,
        "status_label": STATUS_LABELS[idea.status],
        "category": category_shape(idea.category if idea.category_id else None),
        "author": person_ref(idea.author),
        "votes": idea.vote_count,
        "comments": idea.comment_count,
        "voted": voted,
        "created_at": timestamp(idea.created_at),
        "updated_at": timestamp(idea.updated_at),
        "merged_into": idea.merged_into_id,
        "url": idea_url(idea, _external=True),
    }


def comment_shape(comment: Comment) -> dict:
    return {
        "id": comment.id,
        "idea_id": comment.idea_id,
        "author": person_ref(comment.author),
        "body": comment.body,
        "body_html": str(render_markdown(comment.body)),
        "official": comment.is_official,
        "created_at": timestamp(comment.created_at),
        "edited_at": timestamp(comment.edited_at),
    }


def status_change_shape(change: StatusChange) -> dict:
    return {
        "id": change.id,
        "idea_id": change.idea_id,
        "from_status": change.from_status or None,
        "to_status": change.to_status,
        "note": change.note,
        "author": person_ref(change.author),
        "created_at": timestamp(change.created_at),
    }


def changelog_shape(post: ChangelogPost, idea_ids: list[int]) -> dict:
    return {
        "id": post.id,
        "title": post.title,
        "body": post.body,
        "body_html": str(render_markdown(post.body)),
        "author": person_ref(post.author),
        "published_at": timestamp(post.created_at),
        "ideas": idea_ids,
        "url": url_for("changelog.post", post_id=post.id, _external=True),
    }
