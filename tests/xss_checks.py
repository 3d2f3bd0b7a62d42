"""How the XSS tests decide output is safe: an HTML parser for pages and a checker for feeds."""

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit
from xml.etree import ElementTree

from ideaboard.text import ALLOWED_ATTRIBUTES, ALLOWED_PROTOCOLS, ALLOWED_TAGS

# Every field where a user types text; each is checked wherever the site shows it.
FIELDS = [
    "idea title",
    "idea body",
    "comment body",
    "staff status note",
    "display name (register)",
    "display name (/account)",
    "category name (add)",
    "category name (rename)",
    "email address",
]
USER_LINK_REL = {"nofollow", "ugc", "noopener"}

FORBIDDEN_TAGS = {
    "script",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "svg",
    "math",
    "style",
    "base",
    "img",
    "video",
    "audio",
    "source",
    "portal",
    "template",
    "xmp",
    "plaintext",
    "noscript",
    "isindex",
}
FORBIDDEN_ATTRIBUTES = {"style", "srcdoc"}
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "data",
    "poster",
    "background",
    "xlink:href",
    "srcset",
    "cite",
    "ping",
}
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "wbr"}
# Browsers drop tabs and newlines anywhere in a URL, and spaces and controls before it.
IGNORED_IN_URL = re.compile(r"[\t\n\r]")
LEADING_JUNK = "".join(chr(code) for code in range(33))


class PageScan(HTMLParser):
    """Elements with attributes decoded as a browser sees them, text, and which are in `.prose`."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list, bool]] = []
        self.strings: list[str] = []
        self.prose_text: list[str] = []
        self.prose_blocks = 0
        self._open: list[tuple[str, bool]] = []
        self.feed(page)
        self.close()

    def _in_prose(self) -> bool:
        return any(is_prose for _, is_prose in self._open)

    def _record(self, tag, attrs):
        self.elements.append((tag, attrs, self._in_prose()))
        self.strings.extend(value for _, value in attrs if value)

    def handle_starttag(self, tag, attrs):
        self._record(tag, attrs)
        if tag not in VOID_TAGS:
            is_prose = "prose" in (dict(attrs).get("class") or "").split()
            self.prose_blocks += is_prose
            self._open.append((tag, is_prose))

    def handle_startendtag(self, tag, attrs):
        self._record(tag, attrs)

    def handle_endtag(self, tag):
        # Closing a tag closes whatever is still open inside it, as a browser does.
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                del self._open[index:]
                break

    def handle_data(self, data):
        self.strings.append(data)
        if self._in_prose():
            self.prose_text.append(data)


def is_script_url(value: str | None) -> bool:
    cleaned = IGNORED_IN_URL.sub("", value or "").lstrip(LEADING_JUNK).lower()
    return cleaned.startswith(("javascript:", "vbscript:", "data:"))


def is_own_script(tag: str, attrs: list) -> bool:
    """The site's one script tag, from base.html."""
    return tag == "script" and (dict(attrs).get("src") or "").startswith("/static/")


def assert_prose_element(tag: str, attrs: list) -> None:
    """Inside user prose only what text.py allows: its tags, attributes and link schemes."""
    assert tag in ALLOWED_TAGS, (tag, attrs)
    assert {name for name, _ in attrs} <= set(ALLOWED_ATTRIBUTES.get(tag, ())), (tag, attrs)
    if tag == "a":
        href = dict(attrs).get("href") or ""
        assert urlsplit(href).scheme in ALLOWED_PROTOCOLS | {""}, href
        assert set((dict(attrs).get("rel") or "").split()) >= USER_LINK_REL, attrs


def assert_inert(html: str, shown=()) -> PageScan:
    """No active content from users; each of `shown` must appear as plain text or a value."""
    scan = PageScan(html)
    prose_links = 0
    for tag, attrs, in_prose in scan.elements:
        attr = dict(attrs)
        assert tag not in FORBIDDEN_TAGS or is_own_script(tag, attrs), (tag, attrs)
        assert not (tag == "meta" and "http-equiv" in attr), attrs
        # The page's own stylesheet and feed links are site paths; a user's would not be.
        href = attr.get("href") or ""
        assert tag != "link" or (href.startswith("/") and not href.startswith("//")), attrs
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name, value)
            assert name not in FORBIDDEN_ATTRIBUTES, (tag, name, value)
            assert not (name in URL_ATTRIBUTES and is_script_url(value)), (tag, name, value)
        if in_prose:
            assert_prose_element(tag, attrs)
            prose_links += tag == "a"
    # Each Markdown field carries SAFE_LINK, so a block without a link lost its content.
    assert prose_links >= scan.prose_blocks
    for text in shown:
        assert any(text in string for string in scan.strings), f"{text!r} is not shown"
    return scan


def local(name: str) -> str:
    """An XML tag or attribute name without its namespace."""
    return name.rsplit("}", 1)[-1]


@dataclass
class Posted:
    """What one payload became: the text each field really holds, and who posted it."""

    payload: str
    client: object
    token: str
    name: str
    title: str
    category: str | None
    idea_id: int = 0

    @property
    def shown(self) -> list[str]:
        return [self.title, self.name] + ([self.category] if self.category else [])


class Checker:
    """Counts what was parsed, so the run can say how much it looked at."""

    def __init__(self):
        self.pages = 0
        self.feeds = 0
        self.kinds: set[str] = set()

    def page(self, response, status: int = 200, shown=()) -> PageScan:
        path = response.request.path
        assert response.status_code == status, (response.status_code, path)
        self.pages += 1
        self.kinds.add(f"{response.request.method} {re.sub(r'/[0-9]+', '/<id>', path)} {status}")
        return assert_inert(response.get_data(as_text=True), shown)

    def feed(self, xml: bytes, posted: dict[int, Posted]) -> None:
        """Every idea is in the feed once, its text as typed and its note sanitized."""
        self.feeds += 1
        root = ElementTree.fromstring(xml)
        for element in root.iter():
            assert local(element.tag) not in FORBIDDEN_TAGS, element.tag
            assert not any(local(name).startswith("on") for name in element.attrib)
        seen = []
        for entry in root.findall("channel/item") + root.findall("{*}entry"):
            guid = entry.find("guid")
            link = (guid if guid is not None else entry.find("{*}id")).text
            item = posted[int(re.search(r"/ideas/(\d+)", link).group(1))]
            seen.append(item.idea_id)
            # Titles are plain text in RSS and in Atom (no type attribute): shown as typed.
            title = entry.find("{*}title")
            assert title.get("type", "text") == "text"
            assert title.text == item.title
            for name in entry.findall("{*}author/{*}name"):
                assert name.text == item.name
            if item.category:
                terms = {c.get("term") or c.text for c in entry.findall("{*}category")}
                assert item.category in terms
            for summary in entry.findall("description") + entry.findall("{*}summary"):
                # RSS descriptions are always HTML; an Atom summary is when its type says so.
                if local(summary.tag) == "description" or summary.get("type") == "html":
                    # The note's author (who typed the payload) signs the summary.
                    assert_inert(f'<div class="prose">{summary.text}</div>', [item.name])
        assert sorted(seen) == sorted(posted)
