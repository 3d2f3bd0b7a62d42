"""Notifications: each event fanned out to the idea's followers, in the app and by mail.

The worker takes one event at a time, in one transaction: a notification for every active
follower but the one who acted (a changelog post also reaches the idea's voters), their
unread counts, and an instant mail for those who want this kind of news at once. A daily
digest gathers the rest for those who chose it.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import JOIN, fn

from ideaboard.board import mail, tokens
from ideaboard.board.listing import Page
from ideaboard.board.mail import MailSettings
from ideaboard.db import db, is_sqlite
from ideaboard.models import (
    DAILY,
    EVENT_ANSWER,
    EVENT_CHANGELOG,
    EVENT_COMMENT,
    EVENT_MERGED,
    EVENT_STATUS,
    INSTANT,
    NEVER,
    ChangelogPost,
    Comment,
    Event,
    Idea,
    Merge,
    Notification,
    StatusChange,
    User,
    utcnow,
)

# Which of a person's choices governs mail of each kind of event.
MAIL_CHOICE = {
    EVENT_STATUS: "mail_status",
    EVENT_ANSWER: "mail_answers",
    EVENT_COMMENT: "mail_comments",
    EVENT_CHANGELOG: "mail_changelog",
    # A merge is a change of status of sorts: the idea now lives on as another.
    EVENT_MERGED: "mail_status",
}
CHOICE_LABELS = {
    "mail_status": "status changes (with the team's note) and merges",
    "mail_answers": "official answers from the team",
    "mail_comments": "new comments",
    "mail_changelog": "release notes that ship an idea you follow",
}
# An unsubscribe link in a digest stops the digest: every kind sent daily becomes never.
DIGEST = "digest"
UNSUBSCRIBE = "unsubscribe"
DIGEST_EVERY = timedelta(days=1)
PER_PAGE = 30


@dataclass
class FanOut:
    events: int = 0
    notifications: int = 0
    mails: int = 0


def _recipients_sql(event: Event) -> tuple[str, list]:
    """SELECT of the user ids an event reaches: active followers, and for a release its voters."""
    p = db.param
    # Only those who followed (or voted) before it happened: the worker may come later.
    when = Event.created_at.db_value(event.created_at)
    sql = f"SELECT user_id FROM follow WHERE idea_id = {p} AND active = {p} AND created_at <= {p}"
    params: list = [event.idea_id, True, when]
    if event.kind == EVENT_CHANGELOG:
        sql += f" UNION SELECT user_id FROM vote WHERE idea_id = {p} AND created_at <= {p}"
        params += [event.idea_id, when]
    if event.kind == EVENT_MERGED:
        # The author hears of a merge of their idea even if they unfollowed it.
        sql += (
            ' UNION SELECT i.author_id FROM idea i JOIN "user" u ON u.id = i.author_id'
            f" WHERE i.id = {p} AND u.deleted_at IS NULL"
        )
        params.append(event.idea_id)
    sql = f"SELECT user_id FROM ({sql}) AS reached"
    if event.actor_id is not None:
        sql += f" WHERE user_id <> {p}"
        params.append(event.actor_id)
    return sql, params


def _claim_event() -> Event | None:
    """The oldest waiting event, locked so that no other worker fans it out too.

    Events of a first post awaiting review wait with it (board/moderation.py): nobody hears
    of it before staff approve it.
    """
    lock = "" if is_sqlite() else " FOR UPDATE OF e SKIP LOCKED"
    row = db.execute_sql(
        "SELECT e.id FROM event e JOIN idea i ON i.id = e.idea_id"
        f" WHERE e.done_at IS NULL AND NOT i.pending_review ORDER BY e.id LIMIT 1{lock}",
        [],
    ).fetchone()
    return Event.get_by_id(row[0]) if row else None


def _silenced(event: Event) -> bool:
    """News of an idea or a comment that staff hid reaches nobody."""
    if Idea.select().where((Idea.id == event.idea_id) & Idea.hidden_at.is_null(False)).exists():
        return True
    hidden = (Comment.id == event.comment_id) & Comment.hidden_at.is_null(False)
    return bool(event.comment_id) and Comment.select().where(hidden).exists()


def fan_out_one(settings: MailSettings, now: datetime | None = None) -> FanOut | None:
    """Fan out the oldest waiting event; None when none waits."""
    now = now or utcnow()
    p = db.param
    done = FanOut()
    with db.atomic():
        event = _claim_event()
        if event is None:
            return None
        if not _silenced(event):
            reached, params = _recipients_sql(event)
            # One statement for every follower: 100,000 of them take a second, not a minute.
            done.notifications = db.execute_sql(
                f"INSERT INTO notification (user_id, event_id, created_at)"
                # WHERE 1 = 1: SQLite would read ON CONFLICT as a join's ON without a WHERE.
                f" SELECT user_id, {p}, {p} FROM ({reached}) AS r"
                " WHERE 1 = 1 ON CONFLICT DO NOTHING",
                [event.id, Notification.created_at.db_value(event.created_at), *params],
            ).rowcount
            db.execute_sql(
                'UPDATE "user" SET unread_notifications = unread_notifications + 1'
                f" WHERE id IN (SELECT user_id FROM notification WHERE event_id = {p})",
                [event.id],
            )
            done.mails = _instant_mails(event, settings)
        Event.update(done_at=now).where(Event.id == event.id).execute()
    done.events = 1
    return done


def fan_out_due(settings: MailSettings, now: datetime | None = None) -> FanOut:
    total = FanOut()
    while (one := fan_out_one(settings, now)) is not None:
        total.events += one.events
        total.notifications += one.notifications
        total.mails += one.mails
    return total


def describe(event: Event) -> dict:
    """What a notification says, for pages and mail alike."""
    return describe_many([event])[0]


def describe_many(events: list[Event]) -> list[dict]:
    """describe() for many events, in one query per kind of row, not four per event."""

    def by_id(model, ids) -> dict:
        wanted = {i for i in ids if i}
        return {row.id: row for row in model.select().where(model.id.in_(wanted))} if wanted else {}

    ideas = by_id(Idea, (e.idea_id for e in events))
    actors = by_id(User, (e.actor_id for e in events))
    changes = by_id(StatusChange, (e.status_change_id for e in events))
    comments = by_id(Comment, (e.comment_id for e in events))
    posts = by_id(ChangelogPost, (e.changelog_post_id for e in events))
    merges = by_id(Merge, (e.merge_id for e in events))
    originals = by_id(Idea, (m.original_id for m in merges.values()))
    described = []
    for event in events:
        context = {
            "event": event,
            "idea": ideas[event.idea_id],
            "actor": actors.get(event.actor_id),
            "kind": event.kind,
        }
        for key, rows, row_id in (
            ("change", changes, event.status_change_id),
            ("comment", comments, event.comment_id),
            ("post", posts, event.changelog_post_id),
            ("merge", merges, event.merge_id),
        ):
            if row_id:
                context[key] = rows[row_id]
        if event.merge_id:
            context["original"] = originals[merges[event.merge_id].original_id]
        described.append(context)
    return described


def unsubscribe_token(settings: MailSettings, user_id: int, choice: str) -> str:
    return tokens.make_token(settings.secret_key, UNSUBSCRIBE, {"u": user_id, "c": choice})


def read_unsubscribe_token(settings: MailSettings, token: str) -> tuple[int, str]:
    """The person and the kind of mail an unsubscribe link stops; InvalidToken if forged."""
    payload = tokens.read_token(settings.secret_key, UNSUBSCRIBE, token)
    if payload.get("c") not in (*CHOICE_LABELS, DIGEST) or not isinstance(payload.get("u"), int):
        raise tokens.InvalidToken("This link is not valid. Check that it was copied whole.")
    return payload["u"], payload["c"]


def unsubscribe(user_id: int, choice: str) -> bool:
    """Stop one kind of mail for a person at once; False when there is no such person."""
    user = User.get_or_none(User.id == user_id)
    if user is None:
        return False
    if choice == DIGEST:
        changes = {c: NEVER for c in CHOICE_LABELS if getattr(user, c) == DAILY}
    else:
        changes = {choice: NEVER}
    if changes:
        User.update(changes).where(User.id == user_id).execute()
    return True


def _instant_mails(event: Event, settings: MailSettings) -> int:
    choice = MAIL_CHOICE[event.kind]
    wanting = (
        User.select()
        .join(Notification, on=(Notification.user == User.id))
        .where(
            (Notification.event == event.id)
            & (getattr(User, choice) == INSTANT)
            & User.email_verified_at.is_null(False)
            # A suspended account keeps its in-app news, but the board stops writing to it.
            & User.suspended_at.is_null()
        )
    )
    recipients = [
        mail.Recipient(
            id=user_id,
            name=name,
            email=address,
            unsubscribe_url=settings.link(
                f"/unsubscribe/{unsubscribe_token(settings, user_id, choice)}"
            ),
        )
        for user_id, name, address in wanting.select(User.id, User.name, User.email).tuples()
    ]
    sent = mail.enqueue_many(recipients, f"notify_{event.kind}", settings, **describe(event))
    if sent:
        Notification.update(mailed_at=utcnow()).where(
            (Notification.event == event.id) & Notification.user.in_(wanting.select(User.id))
        ).execute()
    return sent


def send_digests(settings: MailSettings, now: datetime | None = None) -> int:
    """One mail per person who chose daily news, with what they have not read or been sent."""
    now = now or utcnow()
    daily = [
        (Event.kind == kind) & (getattr(User, choice) == DAILY)
        for kind, choice in MAIL_CHOICE.items()
    ]
    wants_daily = daily[0]
    for condition in daily[1:]:
        wants_daily |= condition
    due = (
        Notification.select(Notification, Event, User)
        .join(Event)
        # Nothing staff have hidden since the news went out (board/moderation.py).
        .join(Idea, on=(Event.idea == Idea.id))
        .switch(Event)
        .join(Comment, JOIN.LEFT_OUTER, on=(Event.comment == Comment.id))
        .switch(Notification)
        .join(User)
        .where(
            Notification.mailed_at.is_null()
            & Notification.read_at.is_null()
            & User.email_verified_at.is_null(False)
            & User.suspended_at.is_null()
            & (User.last_digest_at.is_null() | (User.last_digest_at <= now - DIGEST_EVERY))
            & wants_daily
            & Idea.hidden_at.is_null()
            & Comment.hidden_at.is_null()
        )
        .order_by(Notification.user, Notification.id)
    )
    by_user: dict[int, list[Notification]] = {}
    for notification in due:
        by_user.setdefault(notification.user_id, []).append(notification)
    for user_id, notifications in by_user.items():
        user = notifications[0].user
        items = describe_many([n.event for n in notifications])
        link = settings.link(f"/unsubscribe/{unsubscribe_token(settings, user_id, DIGEST)}")
        with db.atomic():
            mail.enqueue(
                user, "digest", settings, unsubscribe_url=link, unsubscribe=link, items=items
            )
            Notification.update(mailed_at=now).where(
                Notification.id.in_([n.id for n in notifications])
            ).execute()
            User.update(last_digest_at=now).where(User.id == user_id).execute()
    return len(by_user)


def notifications_page(user_id: int, before: int | None = None) -> Page:
    """A person's notifications, newest first, PER_PAGE at a time (keyset on the id)."""
    query = (
        Notification.select(Notification, Event)
        .join(Event)
        .where(Notification.user == user_id)
        .order_by(Notification.id.desc())
    )
    if before:
        query = query.where(Notification.id < before)
    rows = list(query.limit(PER_PAGE + 1))
    items = rows[:PER_PAGE]
    more = len(rows) > PER_PAGE
    return Page(
        items=list(zip(items, describe_many([n.event for n in items]), strict=True)),
        next_cursor=str(items[-1].id) if more else None,
        is_first=before is None,
    )


def mark_read(user_id: int, notification_id: int | None = None) -> int:
    """Mark one notification (or all) read; the unread count moves by as many as changed."""
    condition = (Notification.user == user_id) & Notification.read_at.is_null()
    if notification_id is not None:
        condition &= Notification.id == notification_id
    with db.atomic():
        changed = Notification.update(read_at=utcnow()).where(condition).execute()
        if changed:
            User.update(unread_notifications=User.unread_notifications - changed).where(
                User.id == user_id
            ).execute()
    return changed


def unread_about(author_id: int) -> list[int]:
    """Who has unread notifications about this person's ideas or comments (which go when the
    person deletes them): their counts need a recount afterwards."""
    p = db.param
    rows = db.execute_sql(
        "SELECT DISTINCT n.user_id FROM notification n JOIN event e ON e.id = n.event_id"
        " JOIN idea i ON i.id = e.idea_id LEFT JOIN comment c ON c.id = e.comment_id"
        f" WHERE n.read_at IS NULL AND (i.author_id = {p} OR c.author_id = {p})",
        [author_id, author_id],
    )
    return [row[0] for row in rows]


def recount_unread(user_ids: list[int]) -> None:
    """Set these people's unread counts from their rows."""
    for start in range(0, len(user_ids), 500):
        batch = user_ids[start : start + 500]
        unread = Notification.select(fn.COUNT(Notification.id)).where(
            (Notification.user == User.id) & Notification.read_at.is_null()
        )
        User.update(unread_notifications=unread).where(User.id.in_(batch)).execute()


def set_choices(user_id: int, choices: dict) -> None:
    """Store what a person follows automatically and how news reaches them by mail."""
    allowed = set(CHOICE_LABELS) | {"follow_own", "follow_voted", "follow_commented"}
    User.update({k: v for k, v in choices.items() if k in allowed}).where(
        User.id == user_id
    ).execute()
