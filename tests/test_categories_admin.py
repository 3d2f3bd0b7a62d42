"""Categories: create, rename, order, archive, delete; names unique whatever their capitals
(a field error, never a 500, even in a race); archived ones leave the forms and filters but
keep their ideas, page and feeds; every change audited."""

import re
import threading

import pytest

from ideaboard.board.categories import (
    DOWN,
    UP,
    CategoryNameTaken,
    delete_category,
    list_categories,
    move_category,
    save_category,
    set_archived,
)
from ideaboard.board.ideas import create_idea
from ideaboard.board.pipeline import change_status
from ideaboard.db import db
from ideaboard.models import AuditEntry, Category, Idea, QuarterCount, StatusChange
from tests.attack_support import db_state


@pytest.fixture
def three(app, users):
    """Drinks, Food, Service, added in that order through the board (so positions 1, 2, 3)."""
    with db.connection_context():
        for name in ("Drinks", "Food", "Service"):
            save_category(name, actor=users["staff"])
        return {c.name: c.id for c in Category.select()}


@pytest.fixture
def staff(client, users):
    client.login(users["staff"].email)
    return client


def active_names() -> list[str]:
    with db.connection_context():
        return [c.name for c in list_categories()]


def audit_summaries() -> list[str]:
    with db.connection_context():
        entries = AuditEntry.select().where(AuditEntry.action == "category")
        return [e.summary for e in entries.order_by(AuditEntry.id)]


def option_names(page: str, select_id: str) -> list[str]:
    select = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', page, re.S).group(1)
    return re.findall(r"<option[^>]*>([^<]+)</option>", select)


def test_new_categories_go_to_the_end_and_are_audited(staff, three):
    response = staff.post_form("/staff/categories", {"name": "  Loyalty  "})
    assert response.status_code == 302
    assert active_names() == ["Drinks", "Food", "Service", "Loyalty"]
    assert audit_summaries()[-1] == "Added category “Loyalty”"


@pytest.mark.parametrize("name", ["drinks", "DRINKS", " Drinks "])
def test_a_name_taken_in_other_capitals_is_a_field_error(staff, three, name):
    before = db_state()
    response = staff.post_form("/staff/categories", {"name": name})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="name-error"' in page and "A category with this name already exists." in page
    rename = staff.post_form(f"/staff/categories/{three['Food']}", {"name": name})
    assert rename.status_code == 400
    assert f'id="rename-{three["Food"]}-error"' in rename.get_data(as_text=True)
    assert db_state() == before


def test_two_creates_at_once_give_one_category_and_one_error(app, users):
    """Nothing checks before writing: the lower(name) index decides, so a race cannot slip
    through, and the loser gets CategoryNameTaken (a form error), not a 500."""
    barrier, outcomes = threading.Barrier(2), []

    def create(name: str) -> None:
        with db.connection_context():
            barrier.wait(timeout=10)
            try:
                save_category(name, actor=users["staff"])
                outcomes.append("saved")
            except CategoryNameTaken:
                outcomes.append("taken")

    threads = [threading.Thread(target=create, args=(n,)) for n in ("Loyalty", "LOYALTY")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["saved", "taken"]
    with db.connection_context():
        assert Category.select().count() == 1
        assert AuditEntry.select().count() == 1


def test_rename_is_audited_and_a_same_name_is_no_change(staff, three):
    assert (
        staff.post_form(f"/staff/categories/{three['Food']}", {"name": "Snacks"}).status_code == 302
    )
    assert (
        staff.post_form(f"/staff/categories/{three['Food']}", {"name": "Snacks"}).status_code == 302
    )
    assert active_names() == ["Drinks", "Snacks", "Service"]
    assert audit_summaries()[-1] == "Renamed category “Food” to “Snacks”"
    assert len(audit_summaries()) == 4


def test_move_up_and_down_with_plain_forms(staff, three):
    service = three["Service"]
    assert (
        staff.post_form(f"/staff/categories/{service}/move", {"direction": "up"}).status_code == 302
    )
    assert active_names() == ["Drinks", "Service", "Food"]
    staff.post_form(f"/staff/categories/{service}/move", {"direction": "up"})
    assert active_names() == ["Service", "Drinks", "Food"]
    first = staff.post_form(f"/staff/categories/{service}/move", {"direction": "up"})
    assert first.headers["Location"] == f"/staff/categories#category-{service}"
    assert "“Service” is already first." in staff.get("/staff/categories").get_data(as_text=True)
    staff.post_form(f"/staff/categories/{three['Drinks']}/move", {"direction": "down"})
    assert active_names() == ["Service", "Food", "Drinks"]
    assert audit_summaries()[-1] == "Moved category “Drinks” down"
    bad = staff.post_form(f"/staff/categories/{service}/move", {"direction": "sideways"})
    assert bad.status_code == 400


def test_categories_that_all_had_the_default_position_get_an_order(app, users):
    with db.connection_context():
        for name in ("Zebra", "Apple", "Mango"):
            Category.create(name=name)
        assert [c.name for c in list_categories()] == ["Apple", "Mango", "Zebra"]
        zebra = Category.get(Category.name == "Zebra").id
        assert move_category(zebra, UP, users["staff"])
        assert [c.name for c in list_categories()] == ["Apple", "Zebra", "Mango"]
        assert [c.position for c in list_categories()] == [0, 1, 2]
        assert move_category(zebra, DOWN, users["staff"])
        assert not move_category(zebra, DOWN, users["staff"])
        assert [c.name for c in list_categories()] == ["Apple", "Mango", "Zebra"]


def test_the_order_is_the_order_everywhere(staff, three, users):
    staff.post_form(f"/staff/categories/{three['Service']}/move", {"direction": "up"})
    home = staff.get("/").get_data(as_text=True)
    assert option_names(home, "filter-category") == ["Any category", "Drinks", "Service", "Food"]
    form = staff.get("/ideas/new").get_data(as_text=True)
    assert option_names(form, "category") == ["No category", "Drinks", "Service", "Food"]


def test_archived_leaves_forms_and_filters_but_keeps_its_ideas(staff, three, users):
    drinks = three["Drinks"]
    with db.connection_context():
        idea = create_idea(users["member"], "Oat milk", "Please.", drinks)
        change_status(idea, "accepted", users["staff"], "Yes.")
    response = staff.post_form(f"/staff/categories/{drinks}/archive", {"archived": "1"})
    assert response.status_code == 302
    assert active_names() == ["Food", "Service"]
    home = staff.get("/").get_data(as_text=True)
    assert "Drinks" not in option_names(home, "filter-category")
    assert "Drinks" not in option_names(staff.get("/ideas/new").get_data(as_text=True), "category")
    # Its ideas keep it; its listing and feeds still work.
    assert "Drinks" in staff.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "Oat milk" in staff.get(f"/?category={drinks}&show=all").get_data(as_text=True)
    assert "Oat milk" in staff.get(f"/feeds/category/{drinks}.rss").get_data(as_text=True)
    # Posting into it is refused; an idea filed there keeps it when edited.
    staff_before = db_state()
    new = staff.post_form("/ideas/new", {"title": "Sneaky", "category": str(drinks)})
    assert new.status_code == 400 and db_state() == staff_before
    edit = staff.post_form(
        f"/ideas/{idea.id}/edit", {"title": "Oat milk, please", "category": str(drinks)}
    )
    assert edit.status_code == 302
    with db.connection_context():
        assert Idea.get_by_id(idea.id).category_id == drinks
    page = staff.get("/staff/categories").get_data(as_text=True)
    assert "Archived" in page and "Bring back" in page
    assert audit_summaries()[-1] == "Archived category “Drinks”"


def test_bringing_back_puts_it_at_the_end(staff, three):
    staff.post_form(f"/staff/categories/{three['Drinks']}/archive", {"archived": "1"})
    staff.post_form(f"/staff/categories/{three['Drinks']}/archive", {"archived": "0"})
    assert active_names() == ["Food", "Service", "Drinks"]
    assert audit_summaries()[-1] == "Brought back category “Drinks”"
    assert (
        staff.post_form(
            f"/staff/categories/{three['Drinks']}/archive", {"archived": "x"}
        ).status_code
        == 400
    )


def test_delete_says_how_many_ideas_and_leaves_them_working(staff, three, users):
    food = three["Food"]
    with db.connection_context():
        ideas = [create_idea(users["member"], f"Snack {n}", "Yum.", food) for n in range(2)]
        change_status(ideas[0], "accepted", users["staff"], "Yes.")
    confirm = staff.get(f"/staff/categories/{food}/delete")
    assert confirm.status_code == 200
    page = confirm.get_data(as_text=True)
    assert "2 ideas</strong> are filed under it" in page
    assert "Delete “Food” from 2 ideas" in page
    response = staff.post_form(f"/staff/categories/{food}/delete")
    assert response.status_code == 302 and response.headers["Location"] == "/staff/categories"
    flashed = staff.get("/staff/categories").get_data(as_text=True)
    assert "Deleted “Food”: 2 ideas now have no category." in flashed
    with db.connection_context():
        assert Category.get_or_none(Category.id == food) is None
        assert {Idea.get_by_id(i.id).category_id for i in ideas} == {None}
        assert StatusChange.get().category_id is None
    for idea in ideas:
        assert staff.get(f"/ideas/{idea.id}").status_code == 200
    assert staff.get(f"/staff/categories/{food}/delete").status_code == 404
    assert audit_summaries()[-1] == "Deleted category “Food”; 2 ideas left uncategorized"


def test_board_functions_record_every_change(app, users):
    with db.connection_context():
        save_category("Loyalty", actor=users["admin"])
        loyalty = Category.get(Category.name == "Loyalty").id
        set_archived(loyalty, True, users["admin"])
        set_archived(loyalty, True, users["admin"])  # already archived: no second entry
        delete_category(loyalty, users["admin"])
        entries = list(AuditEntry.select().order_by(AuditEntry.id))
    assert [(e.action, e.category_id, e.actor_id) for e in entries] == [
        ("category", loyalty, users["admin"].id)
    ] * 3


CATEGORY_POSTS = [
    ("/staff/categories", {"name": "Snacks"}),
    ("/staff/categories/{id}", {"name": "Beverages"}),
    ("/staff/categories/{id}/move", {"direction": "down"}),
    ("/staff/categories/{id}/archive", {"archived": "1"}),
    ("/staff/categories/{id}/delete", {}),
]


@pytest.mark.parametrize(("path", "data"), CATEGORY_POSTS)
def test_members_cannot_change_categories(app, users, three, path, data):
    client = app.test_client()
    client.login(users["member"].email)
    before = db_state()
    assert client.post_form(path.format(id=three["Drinks"]), data).status_code == 403
    assert db_state() == before
    anonymous = app.test_client()
    response = anonymous.post_form(path.format(id=three["Drinks"]), data)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert db_state() == before


@pytest.mark.parametrize("role", ["member", None])
def test_the_delete_page_is_for_staff(app, users, three, role):
    client = app.test_client()
    if role:
        client.login(users[role].email)
    assert client.get(f"/staff/categories/{three['Drinks']}/delete").status_code in (302, 403)


def test_the_categories_page_lists_actions_and_archived(staff, three):
    staff.post_form(f"/staff/categories/{three['Service']}/archive", {"archived": "1"})
    page = staff.get("/staff/categories").get_data(as_text=True)
    active = page[: page.index("<h2>Archived</h2>")]
    # The first has no Up, the last no Down: each button names its category for screen readers.
    assert 'aria-label="Up: Drinks"' not in active
    assert 'aria-label="Down: Drinks"' in active
    assert 'aria-label="Up: Food"' in active
    assert 'aria-label="Down: Food"' not in active
    assert "Service" in page[page.index("<h2>Archived</h2>") :]


def test_deleting_keeps_the_listening_counts_true(app, runner, users, three):
    """Acceptances counted under the category move to "no category", as a rebuild finds them."""
    with db.connection_context():
        for category in ("Food", "Drinks"):
            idea = create_idea(users["member"], f"{category} idea", "", three[category])
            change_status(idea, "accepted", users["staff"], "Yes.")
        uncategorized = create_idea(users["member"], "Loose idea", "")
        change_status(uncategorized, "accepted", users["staff"], "Yes.")
        delete_category(three["Food"], users["staff"])
        counts = {row.category_id: row.accepted for row in QuarterCount.select()}
    assert counts == {0: 2, three["Drinks"]: 1}
    result = runner.invoke(args=["rebuild-listening", "--check"])
    assert result.exit_code == 0, result.output
