"""The W3C feed validator's rules, for the feed tests: feedparser's, and those it does not check.

No validator package is on PyPI (the W3C one is a web service), so the rules feedparser lets
pass are checked here with ElementTree: Atom needs one id, title and updated per feed and
entry, an author, and a self link that is the feed's own address; RSS needs a guid unique
per item, an atom:link rel="self", RFC 822 dates and a description.
"""

import re
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit
from xml.etree import ElementTree

import feedparser

ATOM = "{http://www.w3.org/2005/Atom}"
# RFC 822 as RFC 2822 writes it, with a four-digit year and a numeric zone.
RFC822 = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}"
)
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def is_absolute(url: str | None) -> bool:
    parts = urlsplit(url or "")
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _one(parent, tag: str) -> ElementTree.Element:
    found = parent.findall(tag)
    assert len(found) == 1, f"{len(found)} × {tag} in {parent.tag}"
    return found[0]


def _rfc3339(text: str | None) -> datetime:
    assert text and RFC3339.fullmatch(text), text
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _rfc822(text: str | None) -> datetime:
    assert text and RFC822.fullmatch(text), text
    return parsedate_to_datetime(text)


def check_atom(root: ElementTree.Element, self_url: str) -> list[dict]:
    assert root.tag == f"{ATOM}feed"
    assert is_absolute(_one(root, f"{ATOM}id").text)
    assert _one(root, f"{ATOM}title").text
    _rfc3339(_one(root, f"{ATOM}updated").text)
    feed_author = root.find(f"{ATOM}author/{ATOM}name") is not None
    selves = [link for link in root.findall(f"{ATOM}link") if link.get("rel") == "self"]
    assert [link.get("href") for link in selves] == [self_url]
    entries = []
    for entry in root.findall(f"{ATOM}entry"):
        entry_id = _one(entry, f"{ATOM}id").text
        assert entry_id and urlsplit(entry_id).scheme, entry_id
        assert _one(entry, f"{ATOM}title").text
        # An entry without its own author takes the feed's; one of the two must exist.
        assert feed_author or entry.find(f"{ATOM}author/{ATOM}name") is not None
        links = [
            link for link in entry.findall(f"{ATOM}link") if link.get("rel") in (None, "alternate")
        ]
        assert links and all(is_absolute(link.get("href")) for link in links)
        assert entry.find(f"{ATOM}summary") is not None or entry.find(f"{ATOM}content") is not None
        entries.append(
            {
                "id": entry_id,
                "title": entry.findtext(f"{ATOM}title"),
                "date": _rfc3339(_one(entry, f"{ATOM}updated").text),
                "link": links[0].get("href"),
                "author": entry.findtext(f"{ATOM}author/{ATOM}name"),
                "summary": entry.findtext(f"{ATOM}summary") or "",
            }
        )
    assert len({e["id"] for e in entries}) == len(entries), "duplicate entry ids"
    return entries


def check_rss(root: ElementTree.Element, self_url: str) -> list[dict]:
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = _one(root, "channel")
    for tag in ("title", "link", "description"):
        assert _one(channel, tag).text, tag
    assert is_absolute(channel.findtext("link"))
    selves = [link for link in channel.findall(f"{ATOM}link") if link.get("rel") == "self"]
    assert [(link.get("href"), link.get("type")) for link in selves] == [
        (self_url, "application/rss+xml")
    ]
    if channel.find("lastBuildDate") is not None:
        _rfc822(channel.findtext("lastBuildDate"))
    items = []
    for item in channel.findall("item"):
        assert _one(item, "title").text
        assert _one(item, "description").text
        guid = _one(item, "guid")
        assert guid.text
        if guid.get("isPermaLink", "true") == "true":
            assert is_absolute(guid.text), guid.text
        assert is_absolute(_one(item, "link").text)
        # RSS's <author> is an email address; names go in dc:creator.
        for author in item.findall("author"):
            assert "@" in (author.text or ""), author.text
        items.append(
            {
                "id": guid.text,
                "title": item.findtext("title"),
                "date": _rfc822(_one(item, "pubDate").text),
                "link": item.findtext("link"),
                "author": item.findtext("{http://purl.org/dc/elements/1.1/}creator"),
                "summary": item.findtext("description") or "",
            }
        )
    assert len({i["id"] for i in items}) == len(items), "duplicate guids"
    return items


def valid_feed(response, self_url: str) -> list[dict]:
    """The feed's items (id, title, date, link, author, summary), newest first as served,
    after checking it under feedparser and the validator's other rules."""
    assert response.status_code == 200, response.status_code
    assert response.mimetype in ("application/rss+xml", "application/atom+xml")
    parsed = feedparser.parse(response.data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    root = ElementTree.fromstring(response.data)
    items = check_rss(root, self_url) if root.tag == "rss" else check_atom(root, self_url)
    assert [e.get("id") for e in parsed.entries] == [i["id"] for i in items]
    return items
