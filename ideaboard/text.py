"""The only place user text becomes HTML: Markdown, then bleach, then Markup."""

import html
import re
from functools import lru_cache, partial

import bleach
from bleach.linkifier import LinkifyFilter
from markdown_it import MarkdownIt
from markupsafe import Markup

# Raw HTML in Markdown is switched off at the parser; bleach is the second, independent wall.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "strong",
        "em",
        "a",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "hr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
    }
)
ALLOWED_ATTRIBUTES = {"a": ["href", "title", "rel"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"
# Characters XML 1.0 cannot carry (C0 controls but tab and newlines, and two non-characters):
# forms refuse them, and feeds drop any that older rows may hold.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_BLOCK_END = re.compile(r"</(p|li|h[1-6]|blockquote|pre)>|<br ?/?>|<hr ?/?>")


def _set_link_rel(attrs: dict, new: bool = False) -> dict:
    """Mark every user link as untrusted so it passes no ranking and opens no window handle."""
    attrs[(None, "rel")] = LINK_REL
    return attrs


_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    filters=[partial(LinkifyFilter, callbacks=[_set_link_rel], skip_tags={"pre", "code"})],
)


# Rendering is a pure function of the text and costs more than the rest of a page; busy pages
# show the same ideas and comments over and over, so each worker keeps recent results.
@lru_cache(maxsize=4096)
def render_markdown(source: str) -> Markup:
    """Turn user Markdown into sanitized HTML that is safe to drop into a page or feed."""
    return Markup(_cleaner.clean(_markdown.render(source or "")))


@lru_cache(maxsize=4096)
def excerpt(source: str, length: int = 180) -> str:
    """Plain-text start of a Markdown body for listings (escaped later by the template)."""
    # Keep block boundaries (paragraphs, list items, headings) as line breaks, then strip tags
    # and undo bleach's escaping: the template escapes the result once.
    html_text = _BLOCK_END.sub("\n", _markdown.render(source or ""))
    text = html.unescape(bleach.clean(html_text, tags=set(), strip=True))
    pieces = [" ".join(line.split()) for line in text.splitlines()]
    text = ""
    for piece in filter(None, pieces):
        if text:
            text += " " if text[-1] in ".!?:;" else " · "
        text += piece
    if len(text) <= length:
        return text
    return text[: length - 1].rsplit(" ", 1)[0] + "…"


_TAG = re.compile(r"<[^>]*>")


@lru_cache(maxsize=4096)
def plain_text(source: str) -> str:
    """All of a Markdown text's words without its markup, for search passages (escaped later
    by the template; cheaper than excerpt, which sanitizes)."""
    html_text = _BLOCK_END.sub(" ", _markdown.render(source or ""))
    return " ".join(html.unescape(_TAG.sub("", html_text)).split())


def xml_safe(text: str) -> str:
    """The text without characters that would make an XML document (a feed) invalid."""
    return CONTROL_CHARACTERS.sub("", text or "")
