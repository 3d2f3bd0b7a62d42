"""User text stays text: every payload in every user text field, parsed wherever it shows."""

import re
from xml.etree import ElementTree

import pytest
from peewee import fn

from ideaboard.board.ideas import create_idea
from ideaboard.board.pipeline import change_status
from ideaboard.db import db
from ideaboard.models import ACCEPTED, Category, Idea, User
from ideaboard.text import render_markdown
from ideaboard.web.forms import TITLE_MAX
from tests.attack_support import db_state
from tests.conftest import CSRF_INPUT, PASSWORD
from tests.payloads import (
    CONTROL_PAYLOADS,
    EMAIL_PAYLOADS,
    NUL_PAYLOADS,
    PAYLOADS,
    SAFE_LINK,
    TEMPLATE_PAYLOADS,
)
from tests.xss_checks import FIELDS, Checker, Posted, assert_inert

NAME_MIN, NAME_MAX, CATEGORY_MAX = 2, 60, 60
NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
DUPLICATE_OK = re.compile(r'name="duplicate_ok" value="(\d+)"')


def fits(text: str, low: int, high: int) -> bool:
    """Whether a form accepts the text under a length rule (the required check strips it)."""
    return low <= len(text.strip()) and len(text) <= high


def markdown(payload: str) -> str:
    return f"{payload}\n\n{SAFE_LINK}"


def token_of(response) -> str:
    return CSRF_INPUT.search(response.get_data(as_text=True)).group(1)


def idea_id_of(response) -> int:
    assert response.status_code == 302, response.status_code
    return int(re.search(r"/ideas/(\d+)", response.headers["Location"]).group(1))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_render_markdown_output_is_inert(payload):
    html = render_markdown(markdown(payload))
    assert_inert(f'<div class="prose">{html}</div>')


@pytest.mark.parametrize("payload", TEMPLATE_PAYLOADS)
def test_template_syntax_renders_literally(payload):
    scan = assert_inert(f'<div class="prose">{render_markdown(markdown(payload))}</div>')
    assert payload in "".join(scan.prose_text)


def test_payload_list_is_large_and_distinct():
    stripped = {payload.strip() for payload in PAYLOADS}
    assert len(PAYLOADS) >= 110
    # Distinct after stripping, because categories and names are stored stripped and unique.
    assert len(stripped) == len(PAYLOADS)


@pytest.fixture
def everything_on_one_page(app, monkeypatch, password_hash):
    """Lists, triage, roadmap and feeds show every row, so one render checks every payload."""
    app.config["IDEAS_PER_PAGE"] = 10 * len(PAYLOADS)
    for limit in ["feeds.FEED_SIZE", "roadmap.COLUMN_LIMIT", "staff.TRIAGE_PER_PAGE"]:
        monkeypatch.setattr(f"ideaboard.web.{limit}", 10 * len(PAYLOADS))
    # argon2 is slow on purpose; a sign-up per payload reuses the one test hash instead.
    monkeypatch.setattr("ideaboard.board.accounts.hash_password", lambda password: password_hash)


def add_category(staff, token: str, payload: str, check: Checker) -> tuple[str | None, int]:
    """Add the payload as a category and rename it to itself; (None, 0) if it is too long."""
    with db.connection_context():
        # Names are unique whatever their capitals, as the database lower-cases them.
        taken = (
            Category.select().where(fn.LOWER(Category.name) == fn.LOWER(payload.strip())).exists()
        )
    response = staff.post("/staff/categories", data={"name": payload, "csrf_token": token})
    if not fits(payload, 1, CATEGORY_MAX) or taken:
        check.page(response, 400, shown=[payload])
        return None, 0
    assert response.status_code == 302
    name = payload.strip()
    with db.connection_context():
        category_id = Category.get(Category.name == name).id
    rename = {"name": payload, "csrf_token": token}
    assert staff.post(f"/staff/categories/{category_id}", data=rename).status_code == 302
    return name, category_id


def sign_up(app, number: int, payload: str, check: Checker):
    """Register with the payload as display name (a plain one if it is too long); log in."""
    member = app.test_client()
    account = {"email": f"xss{number}@example.com", "password": PASSWORD, "confirm": PASSWORD}
    response = member.post_form("/register", {**account, "name": payload})
    name = payload.strip()
    if not fits(payload, NAME_MIN, NAME_MAX):
        check.page(response, 400, shown=[name])
        name = f"Member {number}"
        response = member.post_form("/register", {**account, "name": name})
    assert response.status_code == 302
    # The welcome flash, the header and the name field all show the name.
    page = member.get("/account")
    check.page(page, shown=[name, f"xss{number}@example.com"])
    token = token_of(page)
    # The same name again through /account; its flash shows on the next page (the editor).
    renamed = member.post("/account/name", data={"name": name, "csrf_token": token})
    assert renamed.status_code == 302
    return member, token, name


def post_idea(posted: Posted, category_id: int, check: Checker) -> None:
    """Preview, then post, the payload as idea title and body; comment it; open the editor."""
    client, token, payload = posted.client, posted.token, posted.payload
    form = {"title": posted.title, "body": markdown(payload), "category": str(category_id)}
    if posted.title != payload.strip():
        too_long = client.post("/ideas/new", data={**form, "title": payload, "csrf_token": token})
        check.page(too_long, 400, shown=[payload])
    preview = client.post("/ideas/new", data={**form, "preview": "1", "csrf_token": token})
    check.page(preview, shown=[posted.title])
    response = client.post("/ideas/new", data={**form, "csrf_token": token})
    # A title another payload posted already (whatever its capitals) takes "post mine anyway".
    confirm = DUPLICATE_OK.search(response.get_data(as_text=True))
    if response.status_code == 400 and confirm:
        check.page(response, 400, shown=[posted.title])
        confirmed = {**form, "duplicate_ok": confirm.group(1), "csrf_token": token}
        response = client.post("/ideas/new", data=confirmed)
    posted.idea_id = idea_id_of(response)
    comment = {"body": markdown(payload), "csrf_token": token}
    assert client.post(f"/ideas/{posted.idea_id}/comments", data=comment).status_code == 302
    check.page(client.get(f"/ideas/{posted.idea_id}/edit"), shown=[posted.title])


def answer_idea(posted: Posted, check: Checker) -> None:
    """As staff: an official comment and a status note with the payload, then the idea page."""
    client, token, idea = posted.client, posted.token, posted.idea_id
    text = markdown(posted.payload)
    comment = {"body": text, "csrf_token": token}
    assert client.post(f"/ideas/{idea}/comments", data=comment).status_code == 302
    note = {"status": ACCEPTED, "note": text, "csrf_token": token}
    assert client.post(f"/ideas/{idea}/status", data=note).status_code == 302
    scan = check.page(client.get(f"/ideas/{idea}"), shown=posted.shown)
    if posted.payload in TEMPLATE_PAYLOADS:
        # Shown as typed in the body, both comments and the note: never evaluated.
        assert "".join(scan.prose_text).count(posted.payload) == 4


def test_every_payload_in_every_field_is_inert(app, users, everything_on_one_page, subtests):
    """Each payload as category, display name, idea title and body, comment and status note."""
    check = Checker()
    staff = app.test_client()
    staff.login("staff@example.com")
    staff_token = staff.csrf_token()
    posts: list[Posted] = []
    for number, payload in enumerate(PAYLOADS):
        with subtests.test(payload=payload, step="post"):
            category, category_id = add_category(staff, staff_token, payload, check)
            if number % 8 == 7:
                # Flashes pile up in the session cookie: show them before it grows too big.
                added = [p.category for p in posts[-7:] if p.category]
                check.page(staff.get("/staff/categories"), shown=added)
            member, token, name = sign_up(app, number, payload, check)
            title = payload.strip() if fits(payload, 1, TITLE_MAX) else f"Idea {number}"
            posted = Posted(payload, member, token, name, title, category)
            post_idea(posted, category_id, check)
            posts.append(posted)
    everyone = [text for posted in posts for text in posted.shown]
    with subtests.test(page="triage and listing, before any answer"):
        check.page(staff.get("/staff/triage"), shown=everyone)
        check.page(staff.get("/"), shown=everyone)
        check.page(staff.get("/staff/categories"), shown=[p.category for p in posts if p.category])

    # Payload authors become staff, so their names also sign the notes the feeds show.
    with db.connection_context():
        User.update(role="staff").where(User.email.startswith("xss")).execute()
    for posted in posts:
        with subtests.test(payload=posted.payload, step="answer"):
            answer_idea(posted, check)

    anonymous = app.test_client()
    emails = [user.email for user in users.values()]
    emails += [f"xss{number}@example.com" for number in range(len(posts))]
    # The roadmap's cards show title and category, not the author.
    on_roadmap = [text for p in posts for text in p.shown if text != p.name]
    public = {"/": everyone, "/?status=accepted": everyone, "/roadmap": on_roadmap}
    public.update((f"/ideas/{p.idea_id}", p.shown) for p in posts)
    for path, shown in public.items():
        with subtests.test(page=path):
            response = anonymous.get(path)
            check.page(response, shown=shown)
            # Email addresses are private: no public page may carry one.
            page = response.get_data(as_text=True)
            assert not [email for email in emails if email in page]
    by_id = {posted.idea_id: posted for posted in posts}
    for path in ["/feeds/accepted.rss", "/feeds/accepted.atom"]:
        with subtests.test(feed=path):
            response = anonymous.get(path)
            assert response.status_code == 200
            check.feed(response.data, by_id)
            assert not [email for email in emails if email.encode() in response.data]
    print(
        f"\nXSS: {len(PAYLOADS)} payloads x {len(FIELDS)} fields; {check.pages} HTML pages "
        f"({len(check.kinds)} kinds) and {check.feeds} feeds parsed per database:\n  "
        + "\n  ".join(sorted(check.kinds))
    )
    assert check.pages > 5 * len(PAYLOADS)


def test_reflected_query_parameters_are_inert(app, users, subtests):
    """`next` on the log-in and sign-up pages, and listing parameters copied into its links."""
    check = Checker()
    client = app.test_client()
    for payload in PAYLOADS:
        for path in ["/login", "/register"]:
            with subtests.test(path=path, payload=payload):
                # The form sends `next` back as typed, in a hidden field.
                check.page(client.get(path, query_string={"next": payload}), shown=[payload])
    # The listing copies every parameter into its sort links: payloads as names and values.
    for start in range(0, len(PAYLOADS), 16):
        batch = PAYLOADS[start : start + 16]
        query = [(f"x{n}", payload) for n, payload in enumerate(batch)] + [(p, "1") for p in batch]
        with subtests.test(listing=start):
            check.page(client.get("/", query_string=query))
    assert check.pages == 2 * len(PAYLOADS) + len(range(0, len(PAYLOADS), 16))


@pytest.fixture
def linked_idea(users, category):
    """An idea whose body carries SAFE_LINK, as assert_inert expects of every Markdown block."""
    with db.connection_context():
        return create_idea(users["member"], "Free refills", markdown("On every cup."), category.id)


def nul_targets(idea, category) -> list[tuple[str, str | None, str, dict, str]]:
    """(field, user, url, other valid fields, id of its error) for every displayed text field."""
    register = {"email": "nul@example.com", "password": PASSWORD, "confirm": PASSWORD}
    return [
        ("title", "member", "/ideas/new", {"body": "b"}, "title-error"),
        ("body", "member", "/ideas/new", {"title": "t"}, "body-error"),
        ("title", "member", f"/ideas/{idea.id}/edit", {"body": "b"}, "title-error"),
        ("body", "member", f"/ideas/{idea.id}/edit", {"title": "t"}, "body-error"),
        ("body", "member", f"/ideas/{idea.id}/comments", {}, "body-error"),
        ("note", "staff", f"/ideas/{idea.id}/status", {"status": ACCEPTED}, "note-error"),
        ("name", None, "/register", register, "name-error"),
        ("name", "member", "/account/name", {}, "name-error"),
        ("name", "staff", "/staff/categories", {}, "name-error"),
        ("name", "staff", f"/staff/categories/{category.id}", {}, f"rename-{category.id}-error"),
    ]


def test_control_characters_are_refused_in_every_field(app, users, linked_idea, category, subtests):
    """NUL and other controls: a field error (400) wherever text is typed; nothing is saved."""
    targets = nul_targets(linked_idea, category)
    for field, user, url, others, error_id in targets:
        client = app.test_client()
        if user:
            client.login(f"{user}@example.com")
        token = client.csrf_token()
        for payload in NUL_PAYLOADS + CONTROL_PAYLOADS:
            with subtests.test(url=url, field=field, payload=payload):
                before = db_state()
                response = client.post(url, data={**others, field: payload, "csrf_token": token})
                assert response.status_code == 400
                scan = assert_inert(response.get_data(as_text=True))
                assert any(("id", error_id) in attrs for _, attrs, _ in scan.elements)
                assert db_state() == before
    assert len(targets) * len(NUL_PAYLOADS + CONTROL_PAYLOADS) >= 100


def test_feeds_survive_control_characters_in_older_rows(app, users, linked_idea, category):
    idea = linked_idea
    """Rows saved before the forms refused controls: pages stay inert, feeds drop the controls."""
    title, name, note = CONTROL_PAYLOADS[:3]
    with db.connection_context():
        change_status(idea, ACCEPTED, users["staff"], markdown(note))
        Idea.update(title=title).where(Idea.id == idea.id).execute()
        User.update(name=name).where(User.id == users["member"].id).execute()
        Category.update(name=CONTROL_PAYLOADS[3]).where(Category.id == category.id).execute()
    client = app.test_client()
    for path in [f"/ideas/{idea.id}", "/", "/roadmap"]:
        response = client.get(path)
        assert response.status_code == 200
        assert_inert(response.get_data(as_text=True), shown=[title])
    for path in ["/feeds/accepted.rss", "/feeds/accepted.atom"]:
        response = client.get(path)
        assert response.status_code == 200
        root = ElementTree.fromstring(response.data)
        # The XML parser accepted the document; the title lost only what XML cannot carry.
        assert NOT_IN_XML.sub("", title) in {
            element.text for element in root.findall(".//{*}title")
        }


def test_email_payloads_are_inert_where_the_email_is_shown(app, users, subtests):
    """Refused addresses come back in the form; accepted ones show only on their own account."""
    for number, email in enumerate(EMAIL_PAYLOADS):
        with subtests.test(email=email):
            client = app.test_client()
            account = {"email": email, "name": f"Eve {number}", "password": PASSWORD}
            response = client.post_form("/register", {**account, "confirm": PASSWORD})
            if response.status_code == 400:
                assert_inert(response.get_data(as_text=True), shown=[email])
                continue
            assert response.status_code == 302
            own = client.get("/account")
            assert_inert(own.get_data(as_text=True), shown=[email.lower()])
            token = token_of(own)
            hello = {"title": f"Hello {number}", "csrf_token": token}
            created = client.post("/ideas/new", data=hello)
            public = app.test_client().get(f"/ideas/{idea_id_of(created)}")
            assert email.lower() not in public.get_data(as_text=True)
