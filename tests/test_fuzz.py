"""Property-based fuzzing: no form field or query parameter can make the app answer 5xx."""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ideaboard.board.api_tokens import issue_token
from ideaboard.board.counters import move_counters
from ideaboard.board.ideas import create_idea
from ideaboard.db import db
from ideaboard.models import Category, Comment, Webhook

# Any text a browser could send: every code point but lone surrogates (not encodable).
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)
# Values that look almost right are the interesting ones for numbers and choices.
NUMBERISH = st.one_of(
    TEXT, st.integers(-(2**70), 2**70).map(str), st.sampled_from(["", "0", "-1", "1e9", "NaN"])
)
# Paging cursors are "<sort value>~<id>": fuzz both halves and the separator.
CURSORISH = st.one_of(
    TEXT,
    st.tuples(NUMBERISH, NUMBERISH).map("~".join),
    st.tuples(st.datetimes().map(str), NUMBERISH).map("~".join),
)
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

QUERY_ROUTES = {
    "/": {
        "q": TEXT,
        "sort": TEXT,
        "status": TEXT,
        "show": TEXT,
        "category": NUMBERISH,
        "after": CURSORISH,
        "before": CURSORISH,
    },
    "/ideas/similar": {"title": TEXT},
    "/staff/triage": {"after": CURSORISH, "before": CURSORISH},
    "/staff/moderation": {
        "view": st.sampled_from(["flagged", "pending", "hidden", "x"]),
        "after": CURSORISH,
        "before": CURSORISH,
        "comments_after": CURSORISH,
    },
    "/login": {"next": TEXT},
    "/register": {"next": TEXT},
    "/admin/people": {"q": TEXT, "show": TEXT, "after": NUMBERISH, "before": NUMBERISH},
    "/admin/webhooks/1": {"before": NUMBERISH},
    "/admin/audit": {
        "action": TEXT,
        "actor": NUMBERISH,
        "idea": NUMBERISH,
        "person": TEXT,
        "after": NUMBERISH,
        "before": NUMBERISH,
    },
}
# Pages and forms for admins alone, fuzzed as an admin; the rest as staff.
ADMIN_ONLY = {"/admin/people", "/admin/audit", "set-role", "/admin/webhooks/1"}
ADMIN_ONLY |= {"add-webhook", "test-webhook", "delete-webhook"}


# Forms anonymous visitors fill in; every other form is fuzzed as staff, who may use them all.
ANONYMOUS_FORMS = {"register", "login"}


def form_routes(idea_id: int, category_id: int, comment_id: int = 1) -> dict:
    """Every form of the site: name -> (path, a strategy for each of its fields)."""
    return {
        "register": (
            "/register",
            {"email": TEXT, "name": TEXT, "password": TEXT, "confirm": TEXT, "next": TEXT},
        ),
        "login": ("/login", {"email": TEXT, "password": TEXT, "remember": TEXT, "next": TEXT}),
        "new": (
            "/ideas/new",
            {"title": TEXT, "body": TEXT, "category": NUMBERISH, "preview": TEXT},
        ),
        "edit": (f"/ideas/{idea_id}/edit", {"title": TEXT, "body": TEXT, "category": NUMBERISH}),
        "vote": (f"/ideas/{idea_id}/vote", {"vote": TEXT}),
        "comment": (f"/ideas/{idea_id}/comments", {"body": TEXT}),
        "status": (f"/ideas/{idea_id}/status", {"status": TEXT, "note": TEXT}),
        "add-category": ("/staff/categories", {"name": TEXT}),
        "rename-category": (f"/staff/categories/{category_id}", {"name": TEXT}),
        "account-name": ("/account/name", {"name": TEXT}),
        "account-email": ("/account/email", {"email": TEXT, "current_password": TEXT}),
        "account-password": (
            "/account/password",
            {"current_password": TEXT, "password": TEXT, "confirm": TEXT},
        ),
        "account-bio": ("/account/bio", {"bio": TEXT}),
        "account-delete": ("/account/delete", {"current_password": TEXT, "content": TEXT}),
        "mail-settings": (
            "/account/mail",
            {
                "mail_status": TEXT,
                "mail_answers": TEXT,
                "mail_comments": TEXT,
                "mail_changelog": TEXT,
                "follow_own": TEXT,
                "follow_voted": TEXT,
                "follow_commented": TEXT,
            },
        ),
        "private-feed": ("/account/feed", {"x": TEXT}),
        "private-feed-revoke": ("/account/feed/revoke", {"x": TEXT}),
        "resend-verification": ("/account/verify-email", {"x": TEXT}),
        "forgot-password": ("/forgot-password", {"email": TEXT}),
        # Links with a made-up token: the form is judged after the link, never a 500.
        "reset-password": ("/reset-password/x", {"password": TEXT, "confirm": TEXT}),
        "verify-email": ("/verify-email/x", {"x": TEXT}),
        "unsubscribe": ("/unsubscribe/x", {"List-Unsubscribe": TEXT}),
        "follow": (f"/ideas/{idea_id}/follow", {"follow": TEXT}),
        "merge": (f"/ideas/{idea_id}/merge", {"original": TEXT}),
        "unmerge": (f"/ideas/{idea_id}/unmerge", {"x": TEXT}),
        "read-all": ("/notifications/read", {"x": TEXT}),
        "read-one": ("/notifications/1/read", {"x": TEXT}),
        "changelog": (
            "/changelog/new",
            {"title": TEXT, "body": TEXT, "ideas": TEXT, "mark_launched": TEXT, "preview": TEXT},
        ),
        # Moderation and comments (web/moderation.py, web/comments.py); `next` is where a
        # staff action returns.
        "flag-idea": (f"/ideas/{idea_id}/flag", {"reason": TEXT, "details": TEXT}),
        "flag-comment": (f"/comments/{comment_id}/flag", {"reason": TEXT, "details": TEXT}),
        "hide-idea": (f"/ideas/{idea_id}/hide", {"reason": TEXT, "next": TEXT}),
        "restore-idea": (f"/ideas/{idea_id}/restore", {"next": TEXT}),
        "approve-idea": (f"/ideas/{idea_id}/approve", {"next": TEXT}),
        "dismiss-idea-flags": (f"/ideas/{idea_id}/flags/dismiss", {"next": TEXT}),
        "hide-comment": (f"/comments/{comment_id}/hide", {"reason": TEXT, "next": TEXT}),
        "restore-comment": (f"/comments/{comment_id}/restore", {"next": TEXT}),
        "dismiss-comment-flags": (f"/comments/{comment_id}/flags/dismiss", {"next": TEXT}),
        "edit-comment": (f"/comments/{comment_id}/edit", {"body": TEXT}),
        "delete-comment": (f"/comments/{comment_id}/delete", {"x": TEXT}),
        # Staff and admin tools (web/admin.py, web/idea_staff.py, web/staff.py); person 1 is
        # a member.
        "set-role": ("/admin/people/1/role", {"role": TEXT}),
        "suspend": ("/admin/people/1/suspend", {"votes": TEXT, "next": TEXT}),
        "unsuspend": ("/admin/people/1/unsuspend", {"next": TEXT}),
        "staff-note": (f"/ideas/{idea_id}/notes", {"staff_note": TEXT}),
        "vote-on-behalf": (
            f"/ideas/{idea_id}/vote-on-behalf",
            {"customer_email": TEXT, "customer_name": TEXT},
        ),
        "move-category": (f"/staff/categories/{category_id}/move", {"direction": TEXT}),
        "archive-category": (f"/staff/categories/{category_id}/archive", {"archived": TEXT}),
        "delete-category": (f"/staff/categories/{category_id}/delete", {"x": TEXT}),
        # Admins' webhooks (web/webhooks.py); webhook 1 is the targets' own.
        "add-webhook": ("/admin/webhooks", {"url": TEXT, "events": TEXT}),
        "test-webhook": ("/admin/webhooks/1/test", {"x": TEXT}),
        "delete-webhook": ("/admin/webhooks/1/delete", {"x": TEXT}),
        # Sign-in through OpenID Connect providers (web/oidc.py); none is configured here.
        "oidc-start": ("/oidc/start", {"provider": TEXT, "next": TEXT}),
        "oidc-confirm": ("/oidc/confirm", {"email": TEXT, "password": TEXT}),
        "oidc-unlink": ("/oidc/unlink", {"linked_account": NUMBERISH}),
        # API tokens (web/access_tokens.py); token 1 is the staff member's own.
        "create-token": ("/account/tokens", {"name": TEXT, "scopes": TEXT}),
        "revoke-token": ("/account/tokens/1/revoke", {"x": TEXT}),
    }


@pytest.fixture
def targets(app, users):
    with db.connection_context():
        idea = create_idea(users["staff"], "Fuzz target", "body")
        category = Category.create(name="Fuzz")
        # Written before its author joined the team (not official): staff may edit and delete it.
        comment = Comment.create(idea=idea.id, author=users["staff"].id, body="Fuzz comment")
        move_counters(idea.id, comments=1)
        Webhook.create(url="https://hooks.example.com/in", events="idea.merged", secret="s")
        issue_token(users["staff"], "Fuzz", ["read"])
    return form_routes(idea.id, category.id, comment.id)


@pytest.mark.parametrize("path", sorted(QUERY_ROUTES))
def test_query_parameters_never_5xx(client, users, path):
    client.login("admin@example.com" if path in ADMIN_ONLY else "staff@example.com")

    @FUZZ
    @given(st.fixed_dictionaries({}, optional=QUERY_ROUTES[path]))
    def check(params):
        response = client.get(path, query_string=params)
        assert response.status_code < 500, (path, params)

    check()


@pytest.mark.parametrize("form", sorted(form_routes(1, 1)))
def test_form_fields_never_5xx(client, targets, form):
    path, fields = targets[form]
    if form not in ANONYMOUS_FORMS:
        client.login("admin@example.com" if form in ADMIN_ONLY else "staff@example.com")

    @FUZZ
    @given(st.fixed_dictionaries({}, optional=fields))
    def check(data):
        # A fresh token each time: a successful login or sign-up starts a new session.
        response = client.post(path, data={**data, "csrf_token": client.csrf_token()})
        assert response.status_code < 500, (path, data)
        # A fuzzed register or login must not leave us logged in as someone else.
        if form in ANONYMOUS_FORMS and response.status_code == 302:
            client.post("/logout", data={"csrf_token": client.csrf_token()})

    check()


def test_every_post_route_is_fuzzed(app):
    """A new form gets fuzzed too: this fails until it is added to form_routes()."""
    # Any URL argument (an id, a mailed link's token) counts as the same route.
    fuzzed = {re.sub(r"/(1|x)(?=/|$)", "/<arg>", path) for path, _ in form_routes(1, 1).values()}
    posted = {
        re.sub(r"<[^>]+>", "<arg>", rule.rule)
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods
        and rule.endpoint not in ("auth.logout",)
        # The API takes JSON, not forms: tests/test_fuzz_api.py.
        and not rule.endpoint.startswith("api.")
    }
    assert posted <= fuzzed, posted - fuzzed
