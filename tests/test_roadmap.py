"""Roadmap cards show the latest signed note and its date, read in one query for all cards."""

from datetime import datetime

from ideaboard.board.ideas import create_idea
from ideaboard.board.pipeline import change_status
from ideaboard.db import db
from ideaboard.models import StatusChange


def card(page: str, title: str) -> str:
    return page.split(f">{title}</a>", 1)[1].split("</li>", 1)[0]


def test_cards_show_the_latest_note_and_its_date(client, users, category):
    with db.connection_context():
        oat = create_idea(users["member"], "Oat milk", "", category.id)
        change_status(oat, "accepted", users["staff"], "Planned for the spring.")
        change_status(oat, "in_progress", users["admin"], "Testing **three** brands now.")
        # Dates of its own, so the card's date can only come from the newest note.
        StatusChange.update(created_at=datetime(2025, 3, 1, 9, 0)).where(
            StatusChange.to_status == "accepted"
        ).execute()
        StatusChange.update(created_at=datetime(2025, 4, 2, 9, 0)).where(
            StatusChange.to_status == "in_progress"
        ).execute()
        create_idea(users["member"], "Quiet hours")
        unnoted = create_idea(users["member"], "Decaf")
        change_status(unnoted, "launched", users["staff"], "Live everywhere.")
    page = client.get("/roadmap").get_data(as_text=True)
    oat_card = card(page, "Oat milk")
    assert "Testing three brands now." in oat_card  # as plain text, not Markdown
    assert "Ada Admin" in oat_card
    assert '<time datetime="2025-04-02T09:00:00Z"' in oat_card and "02 Apr 2025" in oat_card
    assert "Planned for the spring." not in oat_card and "01 Mar 2025" not in oat_card
    assert "Live everywhere." in card(page, "Decaf")
    assert "Quiet hours" not in page  # under review: not on the roadmap


def test_notes_cost_one_query_for_all_cards(client, users, sql_log):
    def roadmap_statements() -> list[str]:
        sql_log.clear()
        assert client.get("/roadmap", headers={"Cache-Control": "no-cache"}).status_code == 200
        return [sql for sql, _ in sql_log if "statuschange" in sql.lower()]

    with db.connection_context():
        first = create_idea(users["member"], "First")
        change_status(first, "accepted", users["staff"], "Yes.")
    client.application.config["PAGE_CACHE_SECONDS"] = 0
    client.application.extensions.pop("pagecache", None)
    assert len(roadmap_statements()) == 1
    with db.connection_context():
        for n in range(6):
            idea = create_idea(users["member"], f"More {n}")
            change_status(
                idea, ["accepted", "in_progress", "launched"][n % 3], users["staff"], "Ok"
            )
    assert len(roadmap_statements()) == 1
