"""The `next` parameter of /login and /register never sends anyone to another site."""

from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import pytest

from ideaboard.web.login import is_safe_next
from tests.conftest import PASSWORD

# Each is refused by is_safe_next; browsers would read most of them as another host.
UNSAFE = [
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https://evil.example",
    "http:evil.example",
    "%2F%2Fevil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "javascript:alert(1)",
    "///evil.example",
    " //evil.example",
    "\x01//evil.example",
    "https:/\\evil.example",
    "\t//evil.example",
    "////evil.example",
    "/\\/evil.example",
    "\\/evil.example",
    "HTTPS://EVIL.EXAMPLE",
    "https:evil.example",
    "https://localhost@evil.example",
    "http://evil.example\\@localhost",
    "//evil.example/%2F..",
    "/\r\n/evil.example",
    "/\u3000/evil.example",
    "\u3000//evil.example",
    "\x00//evil.example",
    "javascript://%0Aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
]
# Paths on this site; what is encoded in them (slashes, CR LF) must stay encoded in Location.
ATTACKS = [
    *UNSAFE,
    "/%2F%2Fevil.example",
    "/%5Cevil.example",
    "/%0d%0aSet-Cookie:%20stolen=1",
    "/.//evil.example",
]
SAFE = ["/ideas/1?x=1", "/?sort=new&page=2"]


class HiddenFields(HTMLParser):
    """The hidden inputs of a page: what a browser would send back with the form."""

    def __init__(self, page: str):
        super().__init__()
        self.fields: dict[str, str] = {}
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") == "hidden":
            self.fields[attrs["name"]] = attrs.get("value") or ""


def new_account(email: str) -> dict:
    return {"email": email, "name": "Nora New", "password": PASSWORD, "confirm": PASSWORD}


def login_from_link(client, target):
    """Follow a link to /login?next=..., then submit the form it shows."""
    url = "/login?" + urlencode({"next": target})
    fields = HiddenFields(client.get(url).get_data(as_text=True)).fields
    return client.post(url, data={**fields, "email": "member@example.com", "password": PASSWORD})


def login_with_posted_next(client, target):
    """A form elsewhere posting straight to /login with a `next` field of its own."""
    data = {"next": target, "email": "member@example.com", "password": PASSWORD}
    return client.post_form("/login", data)


def register_from_link(client, target):
    url = "/register?" + urlencode({"next": target})
    fields = HiddenFields(client.get(url).get_data(as_text=True)).fields
    return client.post(url, data={**fields, **new_account("linked@example.com")})


def register_with_posted_next(client, target):
    return client.post_form("/register", {"next": target, **new_account("posted@example.com")})


def visit_login_when_logged_in(client, target):
    client.login("member@example.com")
    return client.get("/login?" + urlencode({"next": target}))


FLOWS = [
    login_from_link,
    login_with_posted_next,
    register_from_link,
    register_with_posted_next,
    visit_login_when_logged_in,
]


def assert_stays_on_site(response) -> None:
    assert response.status_code == 302
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert parts.scheme in ("", "http")
    assert parts.netloc in ("", "localhost")
    assert parts.path.startswith("/")
    assert not parts.path.startswith("//")
    # Browsers read "\" as "/" and drop tabs and newlines, which can turn "/\x" into "//x".
    assert not any(ch == "\\" or ch.isspace() or ord(ch) < 32 for ch in location)
    # An encoded CR LF stays in the URL: it never splits the response into a new header.
    assert "stolen" not in response.headers.get("Set-Cookie", "")


@pytest.mark.parametrize("target", ATTACKS)
def test_next_cannot_leave_the_site(app, users, subtests, target):
    for flow in FLOWS:
        with subtests.test(flow=flow.__name__):
            assert_stays_on_site(flow(app.test_client(), target))


@pytest.mark.parametrize("target", SAFE)
def test_safe_next_is_honoured(app, users, subtests, target):
    for flow in FLOWS:
        with subtests.test(flow=flow.__name__):
            response = flow(app.test_client(), target)
            assert response.status_code == 302
            assert response.headers["Location"] == target


@pytest.mark.parametrize("target", [None, "", *UNSAFE])
def test_is_safe_next_refuses(target):
    assert not is_safe_next(target)


@pytest.mark.parametrize("target", [*SAFE, "/", "/ideas/7/free-refills#comments"])
def test_is_safe_next_accepts_local_paths(target):
    assert is_safe_next(target)
