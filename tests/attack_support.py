"""Shared by the attack tests: the `ids` fixture, a client per role, every form, database checks."""

from datetime import timedelta

import pytest

from ideaboard.board.api_tokens import issue_token
from ideaboard.board.comments import add_comment
from ideaboard.board.ideas import create_idea
from ideaboard.board.mail import mail_settings
from ideaboard.board.notifications import unsubscribe_token
from ideaboard.board.recovery import reset_password_path
from ideaboard.board.verification import verify_email_path
from ideaboard.db import db
from ideaboard.models import (
    ACCEPTED,
    ALL_MODELS,
    EVENT_COMMENT,
    UNDER_REVIEW,
    Category,
    ChangelogPost,
    Comment,
    Event,
    Idea,
    LinkedAccount,
    Notification,
    StatusChange,
    User,
    Vote,
    Webhook,
    hot_score,
    utcnow,
)
from tests.conftest import PASSWORD

OBJECT_ARGUMENTS = {"idea_id", "category_id", "comment_id"}
EMAILS = {role: f"{role}@example.com" for role in ("member", "other", "staff", "admin")}
# Ids no row has: the converter refuses the malformed ones, the lookup the rest (all 404).
BAD_IDS = ["0", "-1", "2147483647", "2147483648", str(2**63), str(10**30), "abc", "1.5", "%00"]
NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def ids(app, users, category) -> dict:
    """The member's own idea, another member's idea, and the category: every URL argument;
    a notification and the member's mailed links (reset, confirm, unsubscribe)."""
    settings = mail_settings(app.config)
    member = users["member"]
    with db.connection_context():
        own = create_idea(member, "My idea", "Mine.", category.id)
        theirs = create_idea(users["other"], "Free refills", "On every cup.", category.id)
        # What a comment by another on the member's idea leaves, without the comment itself.
        event = Event.create(kind=EVENT_COMMENT, idea=own.id, actor=users["other"].id)
        notification = Notification.create(user=member.id, event=event.id)
        User.update(unread_notifications=1).where(User.id == member.id).execute()
        post = ChangelogPost.create(author=users["staff"].id, title="Earlier release")
        # Another member's comment (to flag, for staff to hide) and the member's own (to edit
        # and delete), both on the other member's idea.
        theirs_said = add_comment(theirs.id, users["other"], "Their comment.")
        own_said = add_comment(theirs.id, member, "My comment.")
        # An admin's webhook (to test and remove), for an event none of the suites causes;
        # made directly, so that the audit log starts empty as the suites expect.
        hook = Webhook.create(url="https://hooks.example.com/in", events="idea.merged", secret="s")
        # The member's own sign-in through a provider, for the unlink form (web/oidc.py).
        linked = LinkedAccount.create(user=member.id, provider="acme", subject="mia-at-acme")
        # The member's own API token (to revoke) and another member's (never theirs to revoke).
        own_token, _ = issue_token(member, "My script", ["read"])
        their_token, _ = issue_token(users["other"], "Their script", ["read"])
    links = {
        "reset": reset_password_path(member, settings),
        "verify": verify_email_path(member, settings),
        "unsubscribe": f"/unsubscribe/{unsubscribe_token(settings, member.id, 'mail_status')}",
    }
    return {
        "notification_id": notification.id,
        "post_id": post.id,
        "links": links,
        "own": own.id,
        "idea_id": theirs.id,
        "category_id": category.id,
        "comment_id": theirs_said.id,
        "own_comment": own_said.id,
        "slug": "x",
        "user_id": users["member"].id,  # whose profile and avatar
        # Whom staff suspend (nobody the suites log in as) and whose role an admin changes.
        "other_id": users["other"].id,
        "staff_id": users["staff"].id,
        "webhook_id": hook.id,
        "linked_account_id": linked.id,
        "provider_name": "acme",  # an OpenID Connect callback's (none is configured here)
        "token_id": own_token.id,
        "their_token_id": their_token.id,
        "status": ACCEPTED,  # a status feed
        "token": "x",  # a private feed's secret (or a mailed link's): none is this
    }


def logged_in(app, role: str | None):
    client = app.test_client()
    if role:
        assert client.login(EMAILS[role]).status_code == 302
    return client


def db_state() -> dict:
    """Every row of every table, to prove a refused request changed nothing."""
    with db.connection_context():
        # By each table's primary key: some are not an `id` (the listening counts).
        return {
            m.__name__: list(m.select().order_by(*m._meta.get_primary_keys()).tuples())
            for m in ALL_MODELS
        }


def object_rules(app) -> list:
    """Every route that names an idea or a category, read from the URL map."""
    return [rule for rule in app.url_map.iter_rules() if rule.arguments & OBJECT_ARGUMENTS]


def methods(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def build(rule, ids: dict, raw_id: str | None = None) -> str:
    """The rule's path for the given ids; `raw_id` replaces the object id verbatim."""
    path = rule.build({name: ids[name] for name in rule.arguments}, append_unknown=False)[1]
    if raw_id is None:
        return path
    (name,) = rule.arguments & OBJECT_ARGUMENTS
    return path.replace(f"/{ids[name]}", f"/{raw_id}", 1)


# Stand-ins for the `ids` fixture where only the endpoint names matter (parametrize).
PLACEHOLDER_IDS = {
    "idea_id": 0,
    "own": 0,
    "category_id": 0,
    "notification_id": 0,
    "comment_id": 0,
    "own_comment": 0,
    "other_id": 0,
    "staff_id": 0,
    "webhook_id": 0,
    "linked_account_id": 0,
    "token_id": 0,
    "their_token_id": 0,
    "links": {"reset": "", "verify": "", "unsubscribe": ""},
}


def forms(ids: dict) -> dict:
    """Every POST endpoint: (who posts, path, its own valid fields)."""
    target, own = ids["idea_id"], ids["own"]
    their_comment, own_comment = ids["comment_id"], ids["own_comment"]
    category = str(ids["category_id"])
    return {
        "auth.register": (
            None,
            "/register",
            {
                "email": "new@example.com",
                "name": "Nina New",
                "password": PASSWORD,
                "confirm": PASSWORD,
            },
        ),
        "auth.login": (None, "/login", {"email": EMAILS["member"], "password": PASSWORD}),
        "auth.logout": ("member", "/logout", {}),
        "ideas.new": (
            "member",
            "/ideas/new",
            {"title": "Oat milk", "body": "Please.", "category": category},
        ),
        "ideas.edit": (
            "member",
            f"/ideas/{own}/edit",
            {"title": "Edited", "body": "New.", "category": category},
        ),
        "ideas.vote": ("member", f"/ideas/{target}/vote", {"vote": "1"}),
        "ideas.comment": ("member", f"/ideas/{target}/comments", {"body": "Me too!"}),
        "staff.set_status": (
            "staff",
            f"/ideas/{target}/status",
            {"status": ACCEPTED, "note": "Yes."},
        ),
        "staff.categories": ("staff", "/staff/categories", {"name": "Snacks"}),
        "staff.rename_category": ("staff", f"/staff/categories/{category}", {"name": "Beverages"}),
        "account.change_name": ("member", "/account/name", {"name": "Mia Renamed"}),
        "account.change_email": (
            "member",
            "/account/email",
            {"email": "mia@example.com", "current_password": PASSWORD},
        ),
        "account.change_password": (
            "member",
            "/account/password",
            {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        ),
        "account.change_bio": ("member", "/account/bio", {"bio": "I drink **oat** flat whites."}),
        "account.delete": (
            "member",
            "/account/delete",
            {"current_password": PASSWORD, "content": "keep"},
        ),
        "feeds.create_private": ("member", "/account/feed", {}),
        "recovery.forgot": (None, "/forgot-password", {"email": EMAILS["member"]}),
        "recovery.reset": (
            None,
            ids["links"]["reset"],
            {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        ),
        "recovery.verify": (None, ids["links"]["verify"], {}),
        "recovery.resend_verification": ("member", "/account/verify-email", {}),
        "notifications.follow": ("member", f"/ideas/{target}/follow", {"follow": "1"}),
        "notifications.read_all": ("member", "/notifications/read", {}),
        "notifications.read_one": (
            "member",
            f"/notifications/{ids['notification_id']}/read",
            {},
        ),
        "notifications.settings": (
            "member",
            "/account/mail",
            {
                "mail_status": "daily",
                "mail_answers": "instant",
                "mail_comments": "never",
                "mail_changelog": "instant",
                "follow_own": "y",
            },
        ),
        # RFC 8058 one-click: no session, no form token; the signed link is the proof.
        "notifications.unsubscribe": (None, ids["links"]["unsubscribe"], {}),
        "changelog.new": (
            "staff",
            "/changelog/new",
            {"title": "Spring release", "body": "Shipped.", "ideas": str(target)},
        ),
        "feeds.revoke_private": ("member", "/account/feed/revoke", {}),
        # Staff merge another member's idea into the member's own (web/merge.py).
        "merge.merge": ("staff", f"/ideas/{target}/merge", {"original": str(own)}),
        # Nothing is merged there: as from a stale page, it says so and goes back to the idea.
        "merge.unmerge": ("staff", f"/ideas/{target}/unmerge", {}),
        # Moderation (web/moderation.py): the member flags another's idea and comment; staff
        # hide, restore, approve, dismiss. Restoring, approving or dismissing what is not
        # hidden, waiting or flagged says so and goes back, changing nothing.
        "moderation.flag_idea": (
            "member",
            f"/ideas/{target}/flag",
            {"reason": "spam", "details": "Ads."},
        ),
        "moderation.flag_comment": (
            "member",
            f"/comments/{their_comment}/flag",
            {"reason": "offensive", "details": "Rude."},
        ),
        "moderation.hide_idea": ("staff", f"/ideas/{target}/hide", {"reason": "Spam."}),
        "moderation.restore_idea": ("staff", f"/ideas/{target}/restore", {}),
        "moderation.approve_idea": ("staff", f"/ideas/{target}/approve", {}),
        "moderation.dismiss_idea_flags": ("staff", f"/ideas/{target}/flags/dismiss", {}),
        "moderation.hide_comment": (
            "staff",
            f"/comments/{their_comment}/hide",
            {"reason": "Rude."},
        ),
        "moderation.restore_comment": ("staff", f"/comments/{their_comment}/restore", {}),
        "moderation.dismiss_comment_flags": (
            "staff",
            f"/comments/{their_comment}/flags/dismiss",
            {},
        ),
        # The member's own comment (web/comments.py).
        "comments.edit": (
            "member",
            f"/comments/{own_comment}/edit",
            {"body": "Edited comment."},
        ),
        "comments.delete": ("member", f"/comments/{own_comment}/delete", {}),
        # Staff and admin tools (web/admin.py, web/idea_staff.py, web/staff.py). Staff become
        # admins (two non-members still); lifting a suspension nobody has says so, changing
        # nothing; the only category is already first.
        "admin.set_role": ("admin", f"/admin/people/{ids['staff_id']}/role", {"role": "admin"}),
        "admin.suspend_person": (
            "staff",
            f"/admin/people/{ids['other_id']}/suspend",
            {"votes": "remove"},
        ),
        "admin.unsuspend_person": ("staff", f"/admin/people/{ids['other_id']}/unsuspend", {}),
        "idea_staff.add_staff_note": ("staff", f"/ideas/{target}/notes", {"staff_note": "Call."}),
        "idea_staff.vote_on_behalf": (
            "staff",
            f"/ideas/{own}/vote-on-behalf",
            {"customer_email": EMAILS["other"]},
        ),
        "staff.move": ("staff", f"/staff/categories/{category}/move", {"direction": "up"}),
        "staff.archive": ("staff", f"/staff/categories/{category}/archive", {"archived": "1"}),
        "staff.delete": ("staff", f"/staff/categories/{category}/delete", {}),
        # Admins' webhooks (web/webhooks.py).
        "webhooks.index": (
            "admin",
            "/admin/webhooks",
            {"url": "https://hooks.example.com/new", "events": "idea.created"},
        ),
        "webhooks.test": ("admin", f"/admin/webhooks/{ids['webhook_id']}/test", {}),
        "webhooks.delete": ("admin", f"/admin/webhooks/{ids['webhook_id']}/delete", {}),
        # The member's API tokens (web/access_tokens.py): a new one is shown once, in the answer.
        "tokens.create": ("member", "/account/tokens", {"name": "CI", "scopes": "read"}),
        "tokens.revoke": ("member", f"/account/tokens/{ids['token_id']}/revoke", {}),
        # Sign-in through OpenID Connect providers (web/oidc.py). None is configured here and
        # nothing waits for confirmation: starting and confirming say so and go back; the
        # member unlinks their own linked account (they have a password).
        "oidc.start": ("member", "/oidc/start", {"provider": "acme"}),
        "oidc.confirm": (
            "member",
            "/oidc/confirm",
            {"email": EMAILS["member"], "password": PASSWORD},
        ),
        "oidc.unlink": (
            "member",
            "/oidc/unlink",
            {"linked_account": str(ids["linked_account_id"])},
        ),
    }


def assert_consistent() -> None:
    """What must hold after any request: counters match rows, nothing claims a forged origin."""
    recent = utcnow() - timedelta(hours=1)
    with db.connection_context():
        for idea in Idea.select():
            assert idea.vote_count == Vote.select().where(Vote.idea == idea.id).count()
            # Comments hidden by staff do not count (board/moderation.py).
            shown = Comment.select().where((Comment.idea == idea.id) & Comment.hidden_at.is_null())
            assert idea.comment_count == shown.count()
            expected = hot_score(idea.vote_count, idea.comment_count, idea.created_at)
            assert idea.hot == pytest.approx(expected, abs=0.01)
            assert min(idea.created_at, idea.updated_at, idea.accepted_at or utcnow()) > recent
            if idea.status != UNDER_REVIEW:
                last = idea.status_changes.order_by(StatusChange.id.desc()).first()
                assert last.to_status == idea.status and last.author.is_staff
        for comment in Comment.select():
            assert comment.is_official == comment.author.is_staff
        for model in (User, Category, Comment, StatusChange, Vote):
            assert model.select().where(model.created_at < recent).count() == 0
        assert User.select().where(User.role != "member").count() == 2
        assert User.select().where(User.email == "attacker@example.com").count() == 0


def row(model, **where):
    with db.connection_context():
        query = model.select()
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return query.order_by(model.id.desc()).first()
