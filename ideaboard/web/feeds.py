"""RSS 2.0 and Atom 1.0 feeds: accepted ideas, the changelog, each status, each category, each
idea, and a private feed of the ideas a person follows (made and revoked on /account/mail).

Every feed is kept in the page cache by URL and revalidated with ETag and Last-Modified
(web/revalidation.py). The private feed is one person's: it says `Cache-Control: private`.
"""

from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from ideaboard.board import feeds
from ideaboard.board.categories import find_category
from ideaboard.board.changelog import posts_page
from ideaboard.board.ideas import find_idea
from ideaboard.board.listing import accepted_ideas
from ideaboard.board.moderation import is_public
from ideaboard.board.pipeline import latest_notes
from ideaboard.models import STATUS_LABELS
from ideaboard.text import render_markdown, xml_safe
from ideaboard.web.feed_builder import (
    activity_dates,
    add_activity,
    answer,
    aware,
    idea_link,
    new_feed,
)
from ideaboard.web.idea_page import NO_SUCH_IDEA
from ideaboard.web.page_cache import cached_page

bp = Blueprint("feeds", __name__)

FEED_SIZE = 50
NO_SUCH_FEED = "There is no feed at this address. A private feed's address changes when renewed."


def _urls(endpoint: str, kind: str, **values) -> tuple[str, str]:
    """(the feed's permanent id, its own address): the id is the Atom address for both."""
    return (
        url_for(f"feeds.{endpoint}_atom", _external=True, **values),
        url_for(f"feeds.{endpoint}_{kind}", _external=True, **values),
    )


def _accepted_feed(kind: str):
    ideas = accepted_ideas(FEED_SIZE)
    notes = latest_notes([idea.id for idea in ideas])
    feed = new_feed(
        "accepted ideas",
        "Customer ideas the team has accepted, with the team's latest word on each.",
        *_urls("accepted", kind),
        url_for("roadmap.index", _external=True),
        kind,
    )
    # feedgen emits entries in reverse insertion order, so add the oldest first.
    for idea in reversed(ideas):
        link = idea_link(idea.id)
        note = notes.get(idea.id)
        # Feed readers render RSS descriptions as HTML: escape the name, sanitize the note.
        summary = Markup("<p>Status: {}.</p>").format(idea.status_label)
        if note:
            when = note.created_at.strftime("%d %b %Y")
            summary += Markup("<p>{} ({}):</p>").format(note.author.name, when)
            summary += render_markdown(note.note)
        entry = feed.add_entry()
        entry.id(link)
        entry.guid(link, permalink=True)
        entry.title(xml_safe(idea.title))
        entry.link(href=link, rel="alternate", type="text/html")
        entry.author(name=xml_safe(idea.author.name))
        entry.dc.dc_creator(xml_safe(idea.author.name))
        entry.published(aware(idea.accepted_at or idea.created_at))
        entry.updated(aware(idea.updated_at))
        entry.summary(xml_safe(summary), type="html")
        if idea.category_id:
            entry.category(term=xml_safe(idea.category.name))
        entry.category(term=idea.status_label, scheme=url_for("roadmap.index", _external=True))
    return answer(feed, kind, max((idea.updated_at for idea in ideas), default=None))


@bp.route("/feeds/accepted.rss")
@cached_page
def accepted_rss():
    return _accepted_feed("rss")


@bp.route("/feeds/accepted.atom")
@cached_page
def accepted_atom():
    return _accepted_feed("atom")


def _changelog_feed(kind: str):
    posts = posts_page(per_page=FEED_SIZE).items
    feed = new_feed(
        "what shipped",
        "Release notes from the team, each naming the customer ideas it delivers.",
        *_urls("changelog", kind),
        url_for("changelog.index", _external=True),
        kind,
    )
    for entry in reversed(posts):
        post = entry.post
        link = url_for("changelog.post", post_id=post.id, _external=True)
        summary = render_markdown(post.body)
        if entry.ideas:
            summary += Markup("<p>Ideas it delivers:</p><ul>")
            for idea in entry.ideas:
                summary += Markup('<li><a href="{}">{}</a></li>').format(
                    idea_link(idea.id), idea.title
                )
            summary += Markup("</ul>")
        item = feed.add_entry()
        item.id(link)
        item.guid(link, permalink=True)
        item.title(xml_safe(post.title))
        item.link(href=link, rel="alternate", type="text/html")
        item.author(name=xml_safe(post.author.name))
        item.dc.dc_creator(xml_safe(post.author.name))
        item.published(aware(post.created_at))
        item.updated(aware(post.created_at))
        item.summary(xml_safe(summary), type="html")
    return answer(feed, kind, posts[0].post.created_at if posts else None)


@bp.route("/feeds/changelog.rss")
@cached_page
def changelog_rss():
    return _changelog_feed("rss")


@bp.route("/feeds/changelog.atom")
@cached_page
def changelog_atom():
    return _changelog_feed("atom")


def _status_feed(kind: str, status: str):
    if status not in STATUS_LABELS:
        abort(404, description="There is no such status.")
    label = STATUS_LABELS[status]
    items = feeds.status_feed(status, FEED_SIZE)
    feed = new_feed(
        f"ideas moved to {label}",
        f"Every idea the team moves to “{label}”, with the team's signed note.",
        *_urls("status", kind, status=status),
        url_for("ideas.index", status=status, _external=True),
        kind,
    )
    add_activity(feed, items)
    return answer(feed, kind, activity_dates(items))


@bp.route("/feeds/status/<status>.rss")
@cached_page
def status_rss(status: str):
    return _status_feed("rss", status)


@bp.route("/feeds/status/<status>.atom")
@cached_page
def status_atom(status: str):
    return _status_feed("atom", status)


def _category_feed(kind: str, category_id: int):
    category = find_category(category_id)
    if category is None:
        abort(404, description="There is no such category.")
    items = feeds.category_feed(category.id, FEED_SIZE)
    feed = new_feed(
        f"news of {category.name}",
        f"Every status change of the ideas in “{category.name}”, with the team's signed note.",
        *_urls("category", kind, category_id=category.id),
        url_for("ideas.index", category=category.id, show="all", _external=True),
        kind,
    )
    add_activity(feed, items)
    return answer(feed, kind, activity_dates(items) or category.created_at)


@bp.route("/feeds/category/<id:category_id>.rss")
@cached_page
def category_rss(category_id: int):
    return _category_feed("rss", category_id)


@bp.route("/feeds/category/<id:category_id>.atom")
@cached_page
def category_atom(category_id: int):
    return _category_feed("atom", category_id)


def _idea_feed(kind: str, idea_id: int):
    idea = find_idea(idea_id)
    # Feed readers cannot log in: an idea hidden by staff or awaiting review has no feed.
    if idea is None or not is_public(idea):
        abort(404, description=NO_SUCH_IDEA)
    items = feeds.idea_feed(idea.id, FEED_SIZE, merged=idea.merged_into_id is not None)
    feed = new_feed(
        idea.title,
        "Each status change of this idea and each official answer from the team.",
        *_urls("idea", kind, idea_id=idea.id),
        idea_link(idea.id),
        kind,
    )
    add_activity(feed, items)
    return answer(feed, kind, max(activity_dates(items) or idea.updated_at, idea.updated_at))


@bp.route("/feeds/ideas/<id:idea_id>.rss")
@cached_page
def idea_rss(idea_id: int):
    return _idea_feed("rss", idea_id)


@bp.route("/feeds/ideas/<id:idea_id>.atom")
@cached_page
def idea_atom(idea_id: int):
    return _idea_feed("atom", idea_id)


def _private_feed(kind: str, token: str):
    owner = feeds.feed_owner(token)
    if owner is None:
        abort(404, description=NO_SUCH_FEED)
    items = feeds.followed_feed(owner.id, FEED_SIZE)
    feed = new_feed(
        "ideas you follow",
        f"Status changes and official answers on the ideas {owner.name} follows."
        " This address is private: whoever has it can read this feed.",
        *_urls("private", kind, token=token),
        url_for("ideas.index", _external=True),
        kind,
    )
    add_activity(feed, items)
    return answer(feed, kind, activity_dates(items) or owner.created_at, private=True)


# Kept in the page cache like the others: the cache keys by URL, so by secret.
@bp.route("/feeds/private/<token>.rss")
@cached_page
def private_rss(token: str):
    return _private_feed("rss", token)


@bp.route("/feeds/private/<token>.atom")
@cached_page
def private_atom(token: str):
    return _private_feed("atom", token)


@bp.route("/account/feed", methods=["POST"])
@login_required
def create_private():
    """Make the private feed's address, or replace it (the old one stops working)."""
    had_one = current_user.feed_token is not None
    feeds.replace_feed_token(current_user.id)
    flash(
        "Your private feed has a new address; the old one no longer works."
        if had_one
        else "Your private feed is ready: add its address to your feed reader.",
        "success",
    )
    return redirect(url_for("notifications.settings", _anchor="private-feed"))


@bp.route("/account/feed/revoke", methods=["POST"])
@login_required
def revoke_private():
    feeds.revoke_feed_token(current_user.id)
    flash("Your private feed is off: its address no longer works.", "success")
    return redirect(url_for("notifications.settings", _anchor="private-feed"))
