"""Internal notes on an idea: staff write and read them; nobody else ever sees one, in a
page, a feed, an export, a notification or a mail."""

import pytest

from ideaboard.board.staff_notes import NotStaff, add_note, notes_of
from ideaboard.db import db
from ideaboard.models import AuditEntry, Event, OutgoingMail, StaffNote
from tests.attack_support import db_state

SECRET = "Zebracorn supplier cannot deliver before May"


def note_rows(idea_id: int) -> list[StaffNote]:
    with db.connection_context():
        return list(StaffNote.select().where(StaffNote.idea == idea_id).order_by(StaffNote.id))


def test_staff_add_a_note_and_see_it_newest_first(client, users, idea):
    client.login(users["staff"].email)
    first = client.post_form(f"/ideas/{idea.id}/notes", {"staff_note": "First: **call** ops"})
    assert first.status_code == 302
    assert first.headers["Location"].endswith("#staff-notes")
    client.post_form(f"/ideas/{idea.id}/notes", {"staff_note": SECRET})
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "Your internal note is saved. Only staff see it." in page
    notes = page[page.index('id="staff-notes-title"') :]
    assert notes.index(SECRET) < notes.index("First:")
    assert "<strong>call</strong>" in notes and "Sasha Staff" in notes
    assert [n.author_id for n in note_rows(idea.id)] == [users["staff"].id] * 2


def test_markdown_is_sanitized_like_comments(client, users, idea):
    client.login(users["admin"].email)
    body = '<script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror="alert(3)">'
    client.post_form(f"/ideas/{idea.id}/notes", {"staff_note": body})
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    notes = page[page.index('id="staff-notes-title"') :]
    assert "<script>alert(1)" not in notes
    assert 'href="javascript' not in notes and "<img" not in notes
    assert "&lt;script&gt;" in notes  # shown as text, as in a comment


@pytest.mark.parametrize("role", [None, "member", "other"])
def test_nobody_else_sees_notes_anywhere(app, users, idea, role):
    with db.connection_context():
        add_note(idea.id, users["staff"], SECRET)
        events, mails = Event.select().count(), OutgoingMail.select().count()
    client = app.test_client()
    if role:
        client.login(users[role].email)
    pages = [
        f"/ideas/{idea.id}",
        "/",
        f"/people/{users['staff'].id}",
        f"/feeds/ideas/{idea.id}.rss",
        f"/feeds/ideas/{idea.id}.atom",
        "/staff/triage",
    ]
    if role:
        pages += ["/account/export", "/notifications"]
    for path in pages:
        body = client.get(path).get_data(as_text=True)
        assert "Zebracorn" not in body, path
        assert "Internal notes" not in body, path
    with db.connection_context():
        # Writing a note tells nobody: no event to fan out, no mail queued.
        assert (Event.select().count(), OutgoingMail.select().count()) == (events, mails)


def test_members_cannot_write_notes(app, users, idea):
    member = app.test_client()
    member.login(users["member"].email)
    before = db_state()
    assert member.post_form(f"/ideas/{idea.id}/notes", {"staff_note": "Hi"}).status_code == 403
    anonymous = app.test_client().post_form(f"/ideas/{idea.id}/notes", {"staff_note": "Hi"})
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert db_state() == before
    with db.connection_context():
        with pytest.raises(NotStaff):
            add_note(idea.id, users["member"], "Hi")
        with pytest.raises(NotStaff):
            notes_of(idea.id, users["member"])


@pytest.mark.parametrize("body", ["", "   ", "x" * 5_001, "null \x00 byte"])
def test_a_bad_note_is_an_error_next_to_the_field(client, users, idea, body):
    client.login(users["staff"].email)
    before = db_state()
    response = client.post_form(f"/ideas/{idea.id}/notes", {"staff_note": body})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="staff_note-error"' in page and 'aria-invalid="true"' in page
    assert db_state() == before


def test_a_note_on_no_idea_is_404(client, users):
    client.login(users["staff"].email)
    assert client.post_form("/ideas/99999/notes", {"staff_note": "Hi"}).status_code == 404
    with db.connection_context():
        assert add_note(99999, users["staff"], "Hi") is None


def test_the_audit_log_says_a_note_was_written_but_not_what(client, users, idea):
    client.login(users["staff"].email)
    client.post_form(f"/ideas/{idea.id}/notes", {"staff_note": SECRET})
    with db.connection_context():
        entry = AuditEntry.get(AuditEntry.action == "staff_note")
    assert (entry.actor_id, entry.idea_id) == (users["staff"].id, idea.id)
    assert "Zebracorn" not in entry.summary + entry.detail


def test_notes_survive_their_author_leaving(app, users, idea):
    with db.connection_context():
        note = add_note(idea.id, users["staff"], SECRET)
        StaffNote.update(author=None).where(StaffNote.id == note.id).execute()
    client = app.test_client()
    client.login(users["admin"].email)
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "Former staff" in page and "Zebracorn" in page


def test_json_clients_get_the_field_errors(client, users, idea):
    client.login(users["staff"].email)
    response = client.post_form(
        f"/ideas/{idea.id}/notes", {"staff_note": ""}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 400
    assert response.json == {
        "error": "invalid",
        "fields": {"staff_note": ["This field is required."]},
        "status": 400,
    }
