"""RSS 2.0 and Atom 1.0 feeds of accepted ideas, with ETag revalidation."""

from datetime import UTC

from feedgen.feed import FeedGenerator
from flask import Blueprint, current_app, make_response, url_for
from markupsafe import Markup

from ideaboard.board.listing import accepted_ideas
from ideaboard.board.pipeline import latest_notes
from ideaboard.models import Idea, StatusChange
from ideaboard.text import render_markdown, xml_safe
from ideaboard.web.page_cache import cached_page

bp = Blueprint("feeds", __name__, url_prefix="/feeds")

FEED_SIZE = 50
FEED_MAX_AGE = 300


def _aware(moment):
    return moment.replace(tzinfo=UTC)


def _build_feed(ideas: list[Idea], notes: dict[int, StatusChange], self_url: str) -> FeedGenerator:
    site = current_app.config["SITE_NAME"]
    home = url_for("ideas.index", _external=True)
    feed = FeedGenerator()
    feed.id(url_for("feeds.accepted_atom", _external=True))
    feed.title(f"{site}: accepted ideas")
    feed.subtitle("Customer ideas the team has accepted, with the team's latest word on each.")
    feed.author(name=f"{site} team")
    # feedgen uses the last link added as RSS's <link>, which must be the site, not the feed.
    feed.link(href=self_url, rel="self")
    feed.link(href=home, rel="alternate")
    feed.language("en")
    newest = max((idea.updated_at for idea in ideas), default=None)
    if newest:
        feed.updated(_aware(newest))
    # feedgen emits entries in reverse insertion order, so add the oldest first.
    for idea in reversed(ideas):
        # Without the slug: the entry's id must not change when the title is edited.
        link = url_for("ideas.detail", idea_id=idea.id, _external=True)
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
        entry.link(href=link, rel="alternate")
        entry.author(name=xml_safe(idea.author.name))
        entry.published(_aware(idea.accepted_at or idea.created_at))
        entry.updated(_aware(idea.updated_at))
        entry.summary(xml_safe(summary), type="html")
        if idea.category_id:
            entry.category(term=xml_safe(idea.category.name))
        entry.category(term=idea.status_label, scheme=url_for("roadmap.index", _external=True))
    return feed


def _feed_response(kind: str):
    ideas = accepted_ideas(FEED_SIZE)
    notes = latest_notes([idea.id for idea in ideas])
    feed = _build_feed(ideas, notes, url_for(f"feeds.accepted_{kind}", _external=True))
    response = make_response(
        feed.rss_str(pretty=True) if kind == "rss" else feed.atom_str(pretty=True)
    )
    response.mimetype = f"application/{kind}+xml"
    newest = max((idea.updated_at for idea in ideas), default=None)
    if newest:
        response.last_modified = _aware(newest)
    # The ETag (a hash of the feed) and the 304 answer come from web/revalidation.py.
    response.cache_control.public = True
    response.cache_control.max_age = FEED_MAX_AGE
    return response


@bp.route("/accepted.rss")
@cached_page
def accepted_rss():
    return _feed_response("rss")


@bp.route("/accepted.atom")
@cached_page
def accepted_atom():
    return _feed_response("atom")
