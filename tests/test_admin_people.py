"""People admin: only admins find people and change roles; the board always keeps an admin;
`flask create-user --role` still works; every role change is audited."""

import re

import pytest

from ideaboard.board.ideas import create_idea
from ideaboard.board.people_admin import TEAM, RoleError, change_role, find_people
from ideaboard.board.votes import set_vote
from ideaboard.db import db
from ideaboard.models import AuditEntry, User
from tests.attack_support import db_state

ADMIN_PAGES = ["/admin", "/admin/people", "/admin/people/{member}", "/admin/audit"]


def role_of(user_id: int) -> str:
    with db.connection_context():
        return User.get_by_id(user_id).role


def names(page: str) -> list[str]:
    return re.findall(r'<a class="person" href="/admin/people/\d+">([^<]+)</a>', page)


@pytest.mark.parametrize("path", ADMIN_PAGES)
@pytest.mark.parametrize(("role", "expected"), [(None, 302), ("member", 403), ("staff", 403)])
def test_admin_pages_are_for_admins_only(app, users, path, role, expected):
    client = app.test_client()
    if role:
        client.login(users[role].email)
    response = client.get(path.format(member=users["member"].id))
    assert response.status_code == expected
    if role is None:
        assert response.headers["Location"].startswith("/login?next=")
    else:
        assert "Only admins can open this page" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admins_open_them(client, users, path):
    client.login(users["admin"].email)
    assert client.get(path.format(member=users["member"].id)).status_code == 200


def test_only_admins_see_the_admin_link(app, users):
    for role, shown in (("member", False), ("staff", False), ("admin", True)):
        client = app.test_client()
        client.login(users[role].email)
        assert ('href="/admin">Admin</a>' in client.get("/").get_data(as_text=True)) == shown


def test_find_by_name_or_email_whatever_the_capitals(client, users):
    client.login(users["admin"].email)
    for text in ("mia", "MIA MEM", "member@EXAMPLE", "Member@Example.com"):
        page = client.get("/admin/people", query_string={"q": text}).get_data(as_text=True)
        assert names(page) == ["Mia Member"], text
    # A control character is dropped (PostgreSQL would refuse a NUL in the query).
    with_nul = client.get("/admin/people", query_string={"q": "mi\x00a"}).get_data(as_text=True)
    assert names(with_nul) == ["Mia Member"]
    nobody = client.get("/admin/people", query_string={"q": "%"}).get_data(as_text=True)
    assert names(nobody) == [] and "Nobody’s name or email contains “%”" in nobody
    everyone = client.get("/admin/people").get_data(as_text=True)
    assert names(everyone) == ["Ada Admin", "Sasha Staff", "Otto Other", "Mia Member"]
    team = client.get("/admin/people", query_string={"show": TEAM}).get_data(as_text=True)
    assert names(team) == ["Ada Admin", "Sasha Staff"]


def test_each_person_shows_role_state_and_counts(client, users, category):
    with db.connection_context():
        idea = create_idea(users["member"], "Mine", "Body.", category.id)
        set_vote(idea.id, users["member"], True)
        User.update(suspended_at=users["other"].created_at).where(
            User.id == users["other"].id
        ).execute()
    client.login(users["admin"].email)
    page = client.get("/admin/people", query_string={"q": "mia"}).get_data(as_text=True)
    row = page[page.index("Mia Member") :]
    assert re.search(
        r'data-label="Ideas">1<.*data-label="Votes">1<.*data-label="Comments">0<', row, re.S
    )
    assert "Email not confirmed" in row and "Member" in row
    suspended = client.get("/admin/people", query_string={"show": "suspended"})
    assert names(suspended.get_data(as_text=True)) == ["Otto Other"]


def test_people_page_by_keyset_both_ways(app, users, password_hash):
    with db.connection_context():
        User.insert_many(
            [
                {
                    "email": f"p{n}@example.com",
                    "name": f"Person {n:02d}",
                    "password_hash": password_hash,
                }
                for n in range(60)
            ]
        ).execute()
        first = find_people("person", per_page=25)
        second = find_people("person", per_page=25, after=first.next_cursor)
        third = find_people("person", per_page=25, after=second.next_cursor)
        back = find_people("person", per_page=25, before=second.previous_cursor)
        assert [p.name for p in first.items][:2] == ["Person 59", "Person 58"]
        assert [len(p.items) for p in (first, second, third)] == [25, 25, 10]
        assert third.next_cursor is None and first.is_first and not second.is_first
        assert [p.id for p in back.items] == [p.id for p in first.items] and back.is_first
        all_ids = [p.id for page in (first, second, third) for p in page.items]
        assert len(set(all_ids)) == 60
        # Any garbage as a cursor is the first page, never an error: "¹" passes str.isdigit()
        # but not int() (found by tests/test_fuzz.py).
        for garbage in ("x'--", "¹", "٣", "0", "-1", str(2**40)):
            assert find_people("person", per_page=25, after=garbage).is_first, garbage
            assert find_people("person", per_page=25, before=garbage).is_first, garbage


def test_pager_links_on_the_page(client, users, password_hash):
    with db.connection_context():
        User.insert_many(
            [
                {
                    "email": f"p{n}@example.com",
                    "name": f"Person {n}",
                    "password_hash": password_hash,
                }
                for n in range(30)
            ]
        ).execute()
    client.login(users["admin"].email)
    page = client.get("/admin/people", query_string={"q": "person"}).get_data(as_text=True)
    assert len(names(page)) == 25
    after = re.search(r'rel="next" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert "q=person" in after
    assert len(names(client.get(after).get_data(as_text=True))) == 5


def test_admin_changes_a_role(client, users):
    client.login(users["admin"].email)
    member = users["member"].id
    response = client.post_form(f"/admin/people/{member}/role", {"role": "staff"})
    assert response.status_code == 302 and response.headers["Location"] == f"/admin/people/{member}"
    assert role_of(member) == "staff"
    assert "Mia Member is now staff." in client.get(f"/admin/people/{member}").get_data(
        as_text=True
    )
    with db.connection_context():
        entry = AuditEntry.get(AuditEntry.action == "role")
    assert (entry.actor_id, entry.user_id, entry.summary) == (
        users["admin"].id,
        member,
        f"Mia Member (#{member}): Member → Staff",
    )


def test_the_new_role_counts_at_once(app, users):
    member = app.test_client()
    member.login(users["member"].email)
    assert member.get("/staff/triage").status_code == 403
    with db.connection_context():
        change_role(users["member"].id, "staff", users["admin"])
    assert member.get("/staff/triage").status_code == 200


@pytest.mark.parametrize(
    ("target", "role", "message"),
    [
        ("admin", "member", "You cannot change your own role"),
        ("member", "member", "already member"),
        ("member", "owner", "Not a valid choice"),
    ],
)
def test_refused_role_changes_are_errors_next_to_the_field(client, users, target, role, message):
    client.login(users["admin"].email)
    before = db_state()
    response = client.post_form(f"/admin/people/{users[target].id}/role", {"role": role})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="role-error"' in page and message in page
    assert db_state() == before


def test_staff_and_members_cannot_change_roles(app, users):
    for role in ("member", "staff"):
        client = app.test_client()
        client.login(users[role].email)
        before = db_state()
        response = client.post_form(f"/admin/people/{users['other'].id}/role", {"role": "admin"})
        assert response.status_code == 403
        assert db_state() == before
    with db.connection_context(), pytest.raises(RoleError, match="Only admins"):
        change_role(users["other"].id, "admin", users["staff"])


def test_the_board_always_keeps_an_admin(app, users, password_hash):
    """Two admins demoting each other: the second acts with its role read again."""
    with db.connection_context():
        second = User.create(
            email="ad2@example.com", name="Second Admin", password_hash=password_hash, role="admin"
        )
        change_role(second.id, "member", users["admin"])
        # `second` is as a request loaded it before the first change committed.
        with pytest.raises(RoleError, match="Only admins"):
            change_role(users["admin"].id, "member", second)
        assert User.select().where(User.role == "admin").count() == 1
        with pytest.raises(RoleError, match="own role"):
            change_role(users["admin"].id, "member", users["admin"])


def test_a_deleted_account_keeps_its_role(app, users):
    with db.connection_context():
        User.update(deleted_at=users["other"].created_at).where(
            User.id == users["other"].id
        ).execute()
        with pytest.raises(RoleError, match="deleted"):
            change_role(users["other"].id, "staff", users["admin"])


def test_unknown_people_are_404(client, users):
    client.login(users["admin"].email)
    assert client.get("/admin/people/999999").status_code == 404
    assert client.post_form("/admin/people/999999/role", {"role": "staff"}).status_code == 404
    assert client.get("/admin/people/0").status_code == 404


def test_the_person_page_shows_history_and_tools(client, users):
    with db.connection_context():
        change_role(users["member"].id, "staff", users["admin"])
    client.login(users["admin"].email)
    page = client.get(f"/admin/people/{users['member'].id}").get_data(as_text=True)
    assert "Role change" in page and "Member → Staff" in page
    assert f"/admin/people/{users['member'].id}/suspend" in page
    own = client.get(f"/admin/people/{users['admin'].id}").get_data(as_text=True)
    assert "You cannot change your own role" in own and "You cannot suspend your own" in own


def test_create_user_still_sets_any_role(runner, app):
    result = runner.invoke(
        args=[
            "create-user",
            *("--email", "boss@example.com", "--name", "Bo Boss"),
            *("--password", "a long enough passphrase", "--role", "admin"),
        ]
    )
    assert result.exit_code == 0, result.output
    with db.connection_context():
        assert User.get(User.email == "boss@example.com").role == "admin"


def test_wildcards_are_searched_as_typed(app, users, password_hash):
    with db.connection_context():
        User.create(email="u_s@example.org", name="Una 100% Sure", password_hash=password_hash)
        assert [p.name for p in find_people("_").items] == ["Una 100% Sure"]
        assert [p.name for p in find_people("0%").items] == ["Una 100% Sure"]
        assert [p.name for p in find_people("\\").items] == []
        assert len(find_people("example.com").items) == 4


def test_json_clients_get_the_field_errors(client, users):
    client.login(users["admin"].email)
    response = client.post_form(
        f"/admin/people/{users['admin'].id}/role",
        {"role": "member"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert "own role" in response.json["fields"]["role"][0]
    suspend = client.post_form(
        f"/admin/people/{users['member'].id}/suspend",
        {"votes": "maybe"},
        headers={"Accept": "application/json"},
    )
    assert suspend.status_code == 400
    assert suspend.json["fields"]["votes"] == ["Choose what happens to their votes."]
