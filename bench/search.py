"""The search benchmark's query mix (bench/run measures it with the page cache off).

Each row rotates over a few queries of one kind, from words the generated boards are made of
(ideaboard/benchseed/words.py): store names from the long tail (a few dozen ideas each) and
from its head (thousands), the things ideas ask for (6 % of titles), two words, a phrase, a
filter, the sorts, and the ideas like a title being typed. With the page cache off every
request runs its search: what a visitor pays for a query nobody asked since the last write.
"""

import sys
import urllib.parse

from client import Browser, Endpoint
from serve import ROOT

sys.path.insert(0, str(ROOT))
from ideaboard.benchseed.words import STORE_NAMES  # noqa: E402

# Store names by popularity rank (Zipf): the last ones are in 25-50 ideas per million, the
# tenth in some 7,000, the hundredth in some 700.
RARE = STORE_NAMES[-12:]
MIDDLE = STORE_NAMES[8:20]
COMMON = ["milk", "cups", "pastries", "tracking", "hours", "drinks", "seating", "receipts"]
TWO_WORDS = ["oat milk", "gift cards", "dark mode", "decaf options", "group orders"]
PHRASES = ['"oat milk"', '"gift cards"', '"dark mode"', '"quiet seating"']
TITLES = [
    "Add oat milk in every store",
    "Gift cards for teams please",
    "Dark mode in the app",
    "Bring back seasonal drinks",
    "Vegan menu at weekends",
]


def _paths(queries: list[str], **params) -> list[str]:
    return ["/?" + urllib.parse.urlencode({"q": q, **params}) for q in queries]


def search_endpoints(browser: Browser) -> list[Endpoint]:
    """The query mix, each path checked once: a search that finds nothing would flatter."""
    similar = ["/ideas/similar?" + urllib.parse.urlencode({"title": t}) for t in TITLES]
    rows = [
        ("search: rare word", _paths(RARE)),
        ("search: word in ~0.5 %", _paths(MIDDLE)),
        ("search: common word", _paths(COMMON)),
        ("search: two words", _paths(TWO_WORDS)),
        ("search: phrase", _paths(PHRASES)),
        ("search: common word, accepted", _paths(COMMON, status="accepted")),
        ("search: rare word, category 1", _paths(STORE_NAMES[-60:], category=1)),
        ("search: common word, top", _paths(COMMON, sort="top")),
        ("search: two words, hot", _paths(TWO_WORDS, sort="hot")),
        ("search: common word, new", _paths(COMMON, sort="new")),
        ("search: word in ~0.5 %, discussed", _paths(MIDDLE, sort="discussed")),
    ]
    endpoints = []
    for name, paths in rows:
        found = [path for path in paths if 'class="idea-row"' in browser.get(path)[2]]
        if len(found) < len(paths) // 2:
            raise RuntimeError(
                f"{name}: most queries find nothing on this board; seed it again (--reseed)"
            )
        endpoints.append(Endpoint(name, "search", found[0], paths=found))
    for path in similar:
        status, _, body = browser.get(path, {"Accept": "application/json"})
        if status != 200 or '"ideas":[{' not in body.replace(" ", ""):
            raise RuntimeError(f"{path} answered {status}: {body[:200]}")
    endpoints.append(Endpoint("similar ideas (JSON)", "search", similar[0], paths=similar))
    return endpoints
