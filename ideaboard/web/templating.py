"""Template filters and globals: dates, Markdown, status badges, links."""

import re
from datetime import datetime

from flask import Flask, request, url_for

from ideaboard.models import STATUS_LABELS, utcnow
from ideaboard.text import excerpt, render_markdown


def time_ago(moment: datetime | None) -> str:
    if moment is None:
        return ""
    seconds = max(int((utcnow() - moment).total_seconds()), 0)
    for unit, size in (
        ("year", 31_536_000),
        ("month", 2_592_000),
        ("week", 604_800),
        ("day", 86_400),
        ("hour", 3_600),
        ("minute", 60),
    ):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def exact_time(moment: datetime | None) -> str:
    return moment.strftime("%d %b %Y, %H:%M UTC") if moment else ""


def iso_time(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else ""


def slugify(title: str) -> str:
    """The readable part of an idea's URL; only the number in front of it counts."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return slug[:60].rstrip("-") or "idea"


def idea_url(idea, **kwargs) -> str:
    """The idea's page (anything with an id and a title); url_for's options pass through."""
    return url_for("ideas.detail", idea_id=idea.id, slug=slugify(idea.title), **kwargs)


def listing_url(**changes) -> str:
    """The current listing's URL with some parameters changed; paging starts over."""
    args = {k: v for k, v in request.args.items() if k not in ("after", "before")}
    args.update(changes)
    return url_for(request.endpoint, **{k: v for k, v in args.items() if v not in (None, "")})


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        markdown=render_markdown,
        excerpt=excerpt,
        time_ago=time_ago,
        exact_time=exact_time,
        iso_time=iso_time,
    )
    app.jinja_env.globals.update(
        idea_url=idea_url,
        listing_url=listing_url,
        STATUS_LABELS=STATUS_LABELS,
    )
