"""Staff move ideas through the public pipeline; every move is a signed, dated note."""

import pytest

from ideaboard.board.ideas import create_idea
from ideaboard.board.pipeline import StatusError, change_status
from ideaboard.db import db
from ideaboard.models import Idea, StatusChange


def history(idea_id):
    with db.connection_context():
        return list(
            StatusChange.select().where(StatusChange.idea == idea_id).order_by(StatusChange.id)
        )


def test_new_ideas_start_under_review(app, idea):
    assert idea.status == "under_review"


def test_staff_status_change_is_recorded_and_shown(client, users, idea):
    client.login("staff@example.com")
    response = client.post_form(
        f"/ideas/{idea.id}/status", {"status": "accepted", "note": "We will pilot this."}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#history")
    [change] = history(idea.id)
    assert (change.from_status, change.to_status, change.author_id, change.note) == (
        "under_review",
        "accepted",
        users["staff"].id,
        "We will pilot this.",
    )
    client.logout()
    # The community sees the note, who signed it and when.
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "We will pilot this." in page
    assert "Sasha Staff" in page
    assert change.created_at.strftime("%d %b %Y") in page
    assert "Official" in page


def test_full_pipeline_keeps_every_step(client, users, idea):
    client.login("admin@example.com")
    steps = ["accepted", "in_progress", "launched"]
    for step in steps:
        client.post_form(f"/ideas/{idea.id}/status", {"status": step, "note": f"Now {step}."})
    changes = history(idea.id)
    assert [c.to_status for c in changes] == steps
    assert [c.from_status for c in changes] == ["under_review", "accepted", "in_progress"]
    with db.connection_context():
        assert Idea.get_by_id(idea.id).status == "launched"


def test_status_change_needs_a_note(client, users, idea):
    client.login("staff@example.com")
    response = client.post_form(f"/ideas/{idea.id}/status", {"status": "declined", "note": "  "})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="note-error"' in page
    assert history(idea.id) == []


def test_unknown_status_is_refused(client, users, idea):
    client.login("staff@example.com")
    response = client.post_form(f"/ideas/{idea.id}/status", {"status": "shipped", "note": "x"})
    assert response.status_code == 400
    assert history(idea.id) == []


def test_same_status_is_refused(app, users, idea):
    with db.connection_context(), pytest.raises(StatusError):
        change_status(idea, "under_review", users["staff"], "No change")


def test_typed_note_is_kept_after_an_error(client, users, idea):
    client.login("staff@example.com")
    response = client.post_form(
        f"/ideas/{idea.id}/status", {"status": "bogus", "note": "Careful wording here"}
    )
    assert "Careful wording here" in response.get_data(as_text=True)


def test_acceptance_date_is_set_once_per_acceptance(app, users, idea):
    with db.connection_context():
        change_status(idea, "accepted", users["staff"], "Yes")
        accepted_at = Idea.get_by_id(idea.id).accepted_at
        change_status(idea, "in_progress", users["staff"], "Building")
        assert Idea.get_by_id(idea.id).accepted_at == accepted_at
        change_status(idea, "declined", users["staff"], "Cancelled")
        change_status(idea, "accepted", users["staff"], "Back on")
        assert Idea.get_by_id(idea.id).accepted_at >= accepted_at


def test_roadmap_columns(client, users, app):
    with db.connection_context():
        titles = {}
        for status in ("accepted", "in_progress", "launched", "declined"):
            idea = create_idea(users["member"], f"Idea {status}")
            change_status(idea, status, users["staff"], "note")
            titles[status] = idea.title
        create_idea(users["member"], "Still under review")
    page = client.get("/roadmap").get_data(as_text=True)
    for status in ("accepted", "in_progress", "launched"):
        column = page.split(f'id="col-{status}"')[1].split("</section>")[0]
        assert titles[status] in column
    assert titles["declined"] not in page
    assert "Still under review" not in page
    assert "<script" not in page.split("<body")[1].split("</footer>")[0]


def test_roadmap_empty_state(client):
    assert client.get("/roadmap").get_data(as_text=True).count("Nothing here yet.") == 3


def test_triage_lists_oldest_first_with_votes(client, users, app):
    from datetime import timedelta

    from ideaboard.board.votes import set_vote
    from ideaboard.models import utcnow

    with db.connection_context():
        old = create_idea(users["member"], "Old idea", created_at=utcnow() - timedelta(days=9))
        create_idea(users["member"], "New idea")
        answered = create_idea(users["member"], "Answered idea")
        change_status(answered, "accepted", users["staff"], "yes")
        set_vote(old.id, users["other"], True)
    client.login("staff@example.com")
    page = client.get("/staff/triage").get_data(as_text=True)
    assert page.index("Old idea") < page.index("New idea")
    assert "Answered idea" not in page
    row = page.split("Old idea")[1].split("</tr>")[0]
    assert 'data-label="Votes">1</td>' in row


def test_triage_empty_state(client, users):
    client.login("staff@example.com")
    assert "All caught up" in client.get("/staff/triage").get_data(as_text=True)


def test_staff_add_and_rename_categories(client, users):
    client.login("staff@example.com")
    response = client.post_form("/staff/categories", {"name": "Food"})
    assert response.status_code == 302
    page = client.get("/staff/categories").get_data(as_text=True)
    assert 'value="Food"' in page
    from ideaboard.models import Category

    with db.connection_context():
        food = Category.get(Category.name == "Food")
    client.post_form(f"/staff/categories/{food.id}", {"name": "Food & snacks"})
    with db.connection_context():
        assert Category.get_by_id(food.id).name == "Food & snacks"


def test_duplicate_category_gets_a_field_error(client, users, category):
    client.login("staff@example.com")
    response = client.post_form("/staff/categories", {"name": category.name})
    assert response.status_code == 400
    assert "already exists" in response.get_data(as_text=True)


def test_rename_to_existing_name_shows_error_next_to_field(client, users, category):
    from ideaboard.models import Category

    with db.connection_context():
        other = Category.create(name="Food")
    client.login("staff@example.com")
    response = client.post_form(f"/staff/categories/{other.id}", {"name": category.name})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'id="rename-{other.id}-error"' in page
    with db.connection_context():
        assert Category.get_by_id(other.id).name == "Food"


def test_is_open_moves_with_the_status(app, users, idea):
    """Launched and declined close an idea, in the same UPDATE as the status; any other opens."""
    steps = [
        ("accepted", True),
        ("in_progress", True),
        ("launched", False),
        ("in_progress", True),
        ("declined", False),
        ("under_review", True),
    ]
    with db.connection_context():
        for status, is_open in steps:
            change_status(idea, status, users["staff"], f"Now {status}")
            stored = Idea.get_by_id(idea.id)
            assert (stored.status, stored.is_open) == (status, is_open)


def test_triage_shows_each_wait_against_the_target(client, users, app):
    from datetime import timedelta

    from ideaboard.models import utcnow

    app.config["RESPONSE_TARGET_DAYS"] = 10
    with db.connection_context():
        create_idea(users["member"], "Late idea", created_at=utcnow() - timedelta(days=13, hours=1))
        create_idea(users["member"], "On time idea", created_at=utcnow() - timedelta(days=4))
        create_idea(users["member"], "Fresh idea")
    client.login("staff@example.com")
    page = client.get("/staff/triage").get_data(as_text=True)
    assert "within 10 days" in page
    rows = {title: page.split(title)[1].split("</tr>")[0] for title in ("Late", "On time", "Fresh")}
    assert "waiting 13 days" in rows["Late"] and "overdue by 3 days" in rows["Late"]
    assert "waiting 4 days" in rows["On time"] and "overdue" not in rows["On time"]
    assert "waiting under a day" in rows["Fresh"] and "overdue" not in rows["Fresh"]
    # Oldest first, so the overdue ones lead.
    assert page.index("Late idea") < page.index("On time idea") < page.index("Fresh idea")


def test_response_target_has_a_default_and_reads_the_environment(monkeypatch, tmp_path):
    from ideaboard.config import load_config

    monkeypatch.setenv("IDEABOARD_SECRET_KEY", "x")
    monkeypatch.delenv("IDEABOARD_RESPONSE_TARGET_DAYS", raising=False)
    assert load_config(str(tmp_path))["RESPONSE_TARGET_DAYS"] == 14
    monkeypatch.setenv("IDEABOARD_RESPONSE_TARGET_DAYS", "3")
    assert load_config(str(tmp_path))["RESPONSE_TARGET_DAYS"] == 3
