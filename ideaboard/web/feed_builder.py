"""Feed documents: RSS 2.0 and Atom 1.0 from one feedgen description, and their answers.

Valid under the W3C feed validator's rules: an id, an updated date and an author for the feed
and every entry, a self link that is the feed's own address, unique guids, RFC 822 dates in
RSS and a description on every item. Text from users goes through text.xml_safe (XML cannot
carry control characters) and notes through text.render_markdown, as on the pages.
"""

from datetime import UTC, datetime

from feedgen.feed import FeedGenerator
from flask import current_app, make_response, url_for
from markupsafe import Markup

from ideaboard.models import STATUS_LABELS, Comment, Idea, Merge, StatusChange
from ideaboard.text import render_markdown, xml_safe

FEED_MAX_AGE = 300
KINDS = ("rss", "atom")
MIMETYPES = {kind: f"application/{kind}+xml" for kind in KINDS}


def aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


def new_feed(
    title: str, subtitle: str, feed_id: str, self_url: str, home: str, kind: str
) -> FeedGenerator:
    """A feed with its title, its permanent id, its own address and the page it belongs to."""
    site = current_app.config["SITE_NAME"]
    feed = FeedGenerator()
    # RSS has no author element without an email address: name people with dc:creator.
    feed.load_extension("dc", atom=False, rss=True)
    feed.id(feed_id)
    feed.title(xml_safe(f"{site}: {title}"))
    feed.subtitle(xml_safe(subtitle))
    feed.author(name=f"{site} team")
    # feedgen uses the last link added as RSS's <link>, which must be the site, not the feed.
    feed.link(href=self_url, rel="self", type=MIMETYPES[kind])
    feed.link(href=home, rel="alternate", type="text/html")
    feed.language("en")
    return feed


def idea_link(idea_id: int) -> str:
    # Without the slug: an entry's id must not change when the title is edited.
    return url_for("ideas.detail", idea_id=idea_id, _external=True)


def _status_summary(change: StatusChange) -> Markup:
    when = change.created_at.strftime("%d %b %Y")
    summary = Markup("<p>{} moved it from {} to {} on {}:</p>").format(
        change.author.name,
        STATUS_LABELS.get(change.from_status, change.from_status),
        STATUS_LABELS.get(change.to_status, change.to_status),
        when,
    )
    return summary + render_markdown(change.note)


def _answer_summary(comment: Comment) -> Markup:
    when = comment.created_at.strftime("%d %b %Y")
    summary = Markup("<p>Official answer from {} on {}:</p>").format(comment.author.name, when)
    return summary + render_markdown(comment.body)


def _add_merge(feed: FeedGenerator, merge: Merge) -> None:
    """The entry that says where a merged idea went, linking to the original."""
    original: Idea = merge.original
    item_id = f"{idea_link(merge.duplicate_id)}#merged-{merge.id}"
    link = idea_link(original.id)
    who = merge.actor.name if merge.actor_id and merge.actor else "The team"
    summary = Markup(
        '<p>{} merged this idea into <a href="{}">#{} {}</a> on {}: its votes and followers'
        " moved there, and news of it comes from there now.</p>"
    ).format(who, link, original.id, original.title, merge.created_at.strftime("%d %b %Y"))
    entry = feed.add_entry()
    entry.id(item_id)
    entry.guid(item_id, permalink=False)
    entry.title(xml_safe(f"Merged into #{original.id} {original.title}"))
    entry.link(href=link, rel="alternate", type="text/html")
    entry.author(name=xml_safe(who))
    entry.dc.dc_creator(xml_safe(who))
    entry.published(aware(merge.created_at))
    entry.updated(aware(merge.created_at))
    entry.summary(xml_safe(summary), type="html")


def _idea_of(item: StatusChange | Comment | Merge) -> Idea:
    return item.duplicate if isinstance(item, Merge) else item.idea


def add_activity(feed: FeedGenerator, items: list[StatusChange | Comment | Merge]) -> None:
    """One entry per signed status change or official answer (or merge), given newest first.

    Ids are the idea's address with a fragment naming the row: the same in every feed the
    row appears in, and stable for good.
    """
    # feedgen emits entries in reverse insertion order, so add the oldest first.
    for item in reversed(items):
        if isinstance(item, Merge):
            _add_merge(feed, item)
            continue
        idea: Idea = item.idea
        base = idea_link(idea.id)
        if isinstance(item, StatusChange):
            item_id = f"{base}#status-{item.id}"
            link = f"{base}#history"
            title = f"{idea.title}: {STATUS_LABELS.get(item.to_status, item.to_status)}"
            summary = _status_summary(item)
        else:
            item_id = link = f"{base}#comment-{item.id}"
            title = f"{idea.title}: official answer"
            summary = _answer_summary(item)
        entry = feed.add_entry()
        entry.id(item_id)
        entry.guid(item_id, permalink=False)
        entry.title(xml_safe(title))
        entry.link(href=link, rel="alternate", type="text/html")
        entry.author(name=xml_safe(item.author.name))
        entry.dc.dc_creator(xml_safe(item.author.name))
        entry.published(aware(item.created_at))
        entry.updated(aware(item.created_at))
        entry.summary(xml_safe(summary), type="html")
        if idea.category_id:
            entry.category(term=xml_safe(idea.category.name))
        if isinstance(item, StatusChange):
            label = STATUS_LABELS.get(item.to_status, item.to_status)
            entry.category(term=label, scheme=url_for("roadmap.index", _external=True))


def activity_dates(items: list[StatusChange | Comment | Merge]) -> datetime | None:
    """When the feed last changed: its newest item, or an edit of one of its ideas."""
    return max((max(i.created_at, _idea_of(i).updated_at) for i in items), default=None)


def answer(feed: FeedGenerator, kind: str, newest: datetime | None, private: bool = False):
    """The feed as RSS or Atom; revalidated with ETag and Last-Modified by revalidation.py."""
    if newest:
        feed.updated(aware(newest))
    body = feed.rss_str(pretty=True) if kind == "rss" else feed.atom_str(pretty=True)
    response = make_response(body)
    response.mimetype = MIMETYPES[kind]
    if newest:
        response.last_modified = aware(newest)
    if private:
        # Per person: no shared cache may keep it, and no search engine may list it.
        response.cache_control.private = True
        response.headers["X-Robots-Tag"] = "noindex"
    else:
        response.cache_control.public = True
    response.cache_control.max_age = FEED_MAX_AGE
    return response
