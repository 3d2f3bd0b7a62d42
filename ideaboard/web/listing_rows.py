"""A listing's idea rows, rendered once per board version and shared by every viewer.

Rendering twenty rows costs more than everything else on the page together, yet the rows are
the same for everyone but for the vote buttons: whether this viewer voted, and the viewer's
form token. So the rows are kept as HTML with a slot per vote button, each button is kept in
its three forms (voted, not voted, and the visitor's link to log in), and a request only
picks a form per slot and fills in its own token.
"""

import re
from dataclasses import dataclass

from flask import get_template_attribute, render_template
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from ideaboard.board.listing import ALL, Page, list_ideas
from ideaboard.board.votes import voted_ids
from ideaboard.web.page_cache import remember

SLOT = re.compile(r"<!--vote:(\d+)-->")
# Stands for the viewer's CSRF token in the kept HTML; not something a token can contain.
TOKEN_PLACEHOLDER = "\x00csrf\x00"
VOTED, NOT_VOTED, VISITOR = 0, 1, 2


@dataclass
class Rows:
    parts: list[str | int]  # HTML, and idea ids where their vote button goes
    buttons: dict[int, tuple[str, str, str]]  # by idea id: VOTED, NOT_VOTED, VISITOR
    page: Page  # for the pager: its cursors (its items are not kept)

    @property
    def count(self) -> int:
        return len(self.buttons)


def _render(sort: str, status, category_id, per_page: int, after, before, show) -> Rows:
    page = list_ideas(sort, status, category_id, per_page, after=after, before=before, show=show)
    return rows_from(page, "ideas/_rows.html")


def rows_from(page: Page, template: str, ideas: list | None = None, **context) -> Rows:
    """A page rendered with `template` (which marks a vote slot per idea), kept as Rows.
    `ideas`: the page's ideas when its items are something else (search hits)."""
    html = render_template(template, page=page, **context)
    pieces = SLOT.split(html)
    parts: list[str | int] = [int(p) if i % 2 else p for i, p in enumerate(pieces)]
    vote_button = get_template_attribute("_macros.html", "vote_button")
    buttons = {
        idea.id: tuple(
            str(vote_button(idea, voted, signed_in, TOKEN_PLACEHOLDER))
            for voted, signed_in in ((True, True), (False, True), (False, False))
        )
        for idea in (page.items if ideas is None else ideas)
    }
    # Only the HTML is kept, not the model instances.
    cursors = Page([], page.next_cursor, page.previous_cursor, page.is_first)
    return Rows(parts, buttons, cursors)


def listing_rows(
    sort: str, status, category_id, per_page: int, after, before, show: str = ALL
) -> Rows:
    key = f"rows:{sort}:{show}:{status}:{category_id}:{per_page}:{after}:{before}"
    return remember(key, lambda: _render(sort, status, category_id, per_page, after, before, show))


def assemble(rows: Rows, user_id: int | None) -> Markup:
    """The rows' HTML for this viewer: their vote buttons, their token."""
    if user_id is None:
        chosen = {idea_id: forms[VISITOR] for idea_id, forms in rows.buttons.items()}
    else:
        voted = voted_ids(user_id, list(rows.buttons))
        chosen = {
            idea_id: forms[VOTED if idea_id in voted else NOT_VOTED]
            for idea_id, forms in rows.buttons.items()
        }
    html = "".join(chosen[part] if isinstance(part, int) else part for part in rows.parts)
    if user_id is not None:
        html = html.replace(TOKEN_PLACEHOLDER, generate_csrf())
    # Safe: every piece came out of autoescaped templates.
    return Markup(html)
