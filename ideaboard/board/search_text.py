"""What a person typed into the search box, made safe: words, phrases and exclusions pulled out
of any text, written back as an FTS5 MATCH expression or a PostgreSQL tsquery the database
can always parse; and the highlighting of matches in results, as plain (text, marked) pieces
that templates escape.

Nothing typed reaches the database as query syntax: only runs of letters and digits survive,
each quoted, so quotes, `*`, `AND (`, `NEAR`, `:`, `-` and emoji cannot be operators.
"""

import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass

# Longer input is cut: nobody types a 2,000-character search, and the rest would be ignored.
MAX_INPUT = 300
# Words (counting those in phrases) a query may hold; more only make it slower, not better.
MAX_TERMS = 8
MAX_EXCLUDED = 4
# Longer "words" cannot be real ones (and PostgreSQL refuses to index them).
MAX_WORD = 40

WORD = re.compile(r"[^\W_]+")
# A quoted phrase, or a word with a minus in front of it (an exclusion), or any other run.
PIECE = re.compile(r'"([^"]*)"?|(?<![^\s(])-([^\W_]+)|([^"\s]+)')
CONTROL = re.compile("[\x00-\x1f\x7f]")

# PostgreSQL's English stop words: it drops them, so both engines leave them out of queries.
_STOP_WORDS = """
a about above after again against all am an and any are as at be because been before being
below between both but by can did do does doing don down during each few for from further had
has have having he her here hers herself him himself his how i if in into is it its itself just
me more most my myself no nor not now of off on once only or other our ours ourselves out over
own s same she should so some such t than that the their theirs them themselves then there
these they this those through to too under until up very was we were what when where which
while who whom why will with you your yours yourself yourselves
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())


def fold(word: str) -> str:
    """A word as the indexes compare it: case and accents folded."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True)
class Query:
    """A search, reduced to what the database will look for."""

    words: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    excluded: tuple[str, ...] = ()
    # Some of what was typed was left out (too many words, too long).
    shortened: bool = False

    @property
    def is_empty(self) -> bool:
        return not (self.words or self.phrases)

    @property
    def terms(self) -> tuple[str, ...]:
        """Every word looked for, for highlighting."""
        return self.words + tuple(w for phrase in self.phrases for w in phrase)


def words_of(text: str) -> list[str]:
    """Every word of the text as the indexes see it (stop words included)."""
    return [fold(w) for w in WORD.findall(text) if len(w) <= MAX_WORD]


def parse(text: str | None) -> Query:
    """The words, "phrases" and -exclusions in whatever was typed; never fails.

    Words match whole (after stemming: "cups" finds "cup"), not as prefixes: a prefix of a
    common word makes FTS5 merge the lists of every word that starts with it, at a million
    ideas tens of milliseconds per search."""
    text = unicodedata.normalize("NFKC", CONTROL.sub(" ", text or ""))
    shortened = len(text) > MAX_INPUT
    text = text[:MAX_INPUT]
    words: list[str] = []
    phrases: list[tuple[str, ...]] = []
    excluded: list[str] = []
    budget = MAX_TERMS
    for match in PIECE.finditer(text):
        phrase, minus, plain = match.groups()
        if minus is not None:
            excluded += [w for w in words_of(minus) if w not in STOP_WORDS and w not in excluded]
            continue
        if phrase is not None:
            found = words_of(phrase)
            if len(found) > 1:
                if len(found) > budget:
                    found, shortened = found[:budget], True
                if len(found) > 1:
                    phrases.append(tuple(found))
                    budget -= len(found)
                continue
            plain = " ".join(found)
        for word in words_of(plain):
            if word in STOP_WORDS or word in words:
                continue
            if budget == 0:
                shortened = True
                break
            words.append(word)
            budget -= 1
    if len(excluded) > MAX_EXCLUDED:
        excluded, shortened = excluded[:MAX_EXCLUDED], True
    return Query(
        words=tuple(words),
        phrases=tuple(phrases),
        excluded=tuple(w for w in excluded if w not in words),
        shortened=shortened,
    )


# Best match puts the ideas with every word in the title first, then those with them
# elsewhere (description, comments). ANYWHERE is both.
TITLE, OTHER, ANYWHERE = 0, 1, None
TIERS = (TITLE, OTHER)


def _fts5_terms(query: Query) -> str:
    parts = [f'"{w}"' for w in query.words]
    parts += ['"' + " ".join(phrase) + '"' for phrase in query.phrases]
    return " ".join(parts)


def fts5_match(query: Query, tier: int | None = ANYWHERE) -> str:
    """The query as an FTS5 MATCH expression: every term a quoted string (all must match),
    limited to the tier's columns."""
    terms = _fts5_terms(query)
    expression = {
        ANYWHERE: terms,
        TITLE: f"{{title}} : ({terms})",
        OTHER: f"({terms}) NOT ({{title}} : ({terms}))",
    }[tier]
    for word in query.excluded:
        expression = f'({expression}) NOT "{word}"'
    return expression


def tsquery(query: Query, exclusions: bool = True) -> str:
    """The query as to_tsquery() text: every lexeme quoted, joined with & (all must match)."""
    parts = [f"'{w}'" for w in query.words]
    parts += ["(" + " <-> ".join(f"'{w}'" for w in phrase) + ")" for phrase in query.phrases]
    if exclusions:
        parts += [f"!'{w}'" for w in query.excluded]
    return " & ".join(parts)


def tsquery_any(words: tuple[str, ...]) -> str:
    """to_tsquery() text that matches any of these words."""
    return " | ".join(f"'{w}'" for w in words)


# --- highlighting ------------------------------------------------------------------------

_SUFFIXES = ("ing", "ies", "ed", "es", "er", "ly", "s")


def _stem(word: str) -> str:
    """A rough English stem, close enough to mark what the database's stemmer matched."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


Pieces = list[tuple[str, bool]]


class Marker:
    """Marks a query's words in texts: a word matches when its rough stem is a query word's,
    or when it starts with a longer one ("allerg" marks "allergies")."""

    def __init__(self, query: Query):
        self.stems = {_stem(t) for t in query.terms}
        self.starts = tuple(s for s in self.stems if len(s) >= 4)
        # Every match starts with a stem: texts without any are passed over in one search.
        alternatives = "|".join(re.escape(s) for s in sorted(self.stems, key=len, reverse=True))
        self.candidates = re.compile(alternatives, re.IGNORECASE) if self.stems else None

    def matches(self, word: str) -> bool:
        folded = word.lower() if word.isascii() else fold(word)
        return _stem(folded) in self.stems or folded.startswith(self.starts)

    def _may_match(self, text: str) -> bool:
        if self.candidates is None:
            return False
        return not text.isascii() or self.candidates.search(text) is not None

    def highlight(self, text: str) -> Pieces:
        """The text cut into (piece, is_match) pairs; the caller escapes each piece."""
        if not self._may_match(text):
            return [(text, False)] if text else []
        pieces: Pieces = []
        position = 0
        for found in WORD.finditer(text):
            if self.matches(found.group()):
                if found.start() > position:
                    pieces.append((text[position : found.start()], False))
                pieces.append((found.group(), True))
                position = found.end()
        if position < len(text):
            pieces.append((text[position:], False))
        return pieces

    def _first_match(self, text: str, spans: list) -> int | None:
        """The index of the first matching word: only words where a stem starts are tried."""
        if not text.isascii():
            return next((i for i, found in enumerate(spans) if self.matches(found.group())), None)
        starts = [found.start() for found in spans]
        for candidate in self.candidates.finditer(text):
            i = bisect_left(starts, candidate.start())
            if i < len(spans) and starts[i] == candidate.start() and self.matches(spans[i].group()):
                return i
        return None

    def snippet(self, text: str, words: int = 28) -> Pieces | None:
        """About `words` words of the text around its first match, highlighted; None when
        the text has no match."""
        if not self._may_match(text):
            return None
        spans = list(WORD.finditer(text))
        first = self._first_match(text, spans)
        if first is None:
            return None
        start = max(first - words // 3, 0)
        end = min(start + words, len(spans))
        begin = spans[start].start() if start else 0
        finish = spans[end - 1].end() if end < len(spans) else len(text)
        pieces = self.highlight(text[begin:finish])
        if begin:
            pieces.insert(0, ("…", False))
        if finish < len(text):
            pieces.append(("…", False))
        return pieces


def is_marked(pieces: Pieces) -> bool:
    return any(marked for _, marked in pieces)
