"""/listening: how soon the team answers and what it says yes to, kept as things happen."""

import re
import threading
from datetime import timedelta

import pytest

from ideaboard.board import pipeline
from ideaboard.board.comments import add_comment
from ideaboard.board.ideas import create_idea
from ideaboard.board.listening import bucket_of, seconds
from ideaboard.board.listening_rebuild import rebuild
from ideaboard.board.pipeline import change_status
from ideaboard.board.version import bump_version
from ideaboard.db import db
from ideaboard.models import (
    Category,
    Comment,
    Idea,
    PostingDay,
    QuarterCount,
    ResponseTime,
    StaffAnswers,
    StatusChange,
    utcnow,
)
from tests.test_migrations import build_first_release_board, empty_url, make_app  # noqa: F401

DAY = timedelta(days=1)


def text_of(response) -> str:
    """The page's main content as plain text, spaces squeezed."""
    html = response.get_data(as_text=True)
    main = html[html.index("<main") : html.index("</main>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)).replace("&amp;", "&")


def idea_at(user, title: str, age: timedelta, category=None) -> Idea:
    return create_idea(user, title, "", category.id if category else None, utcnow() - age)


def status_at(monkeypatch, idea: Idea, status: str, author, age: timedelta) -> None:
    """A status change signed `age` ago (the pipeline stamps changes with its utcnow)."""
    when = utcnow() - age
    monkeypatch.setattr(pipeline, "utcnow", lambda: when)
    change_status(idea, status, author, f"Now {status}.")
    monkeypatch.undo()


def first_answers() -> dict[int, object]:
    """Each answered idea's earliest status change or official answer, read from the rows."""
    answers = [(c.idea_id, c.created_at) for c in StatusChange.select()]
    answers += [(c.idea_id, c.created_at) for c in Comment.select().where(Comment.is_official)]
    first: dict[int, object] = {}
    for idea_id, when in answers:
        first[idea_id] = min(when, first.get(idea_id, when))
    return first


def no_drift() -> bool:
    return not rebuild(fix=False).drifted


def quarter_label(moment) -> str:
    return f"Q{(moment.month + 2) // 3} {moment.year}"


@pytest.fixture
def food(app) -> Category:
    with db.connection_context():
        return Category.create(name="Food")


def test_the_page_shows_the_figures_of_a_known_board(
    app, client, users, category, food, monkeypatch
):
    member, staff, admin = users["member"], users["staff"], users["admin"]
    with db.connection_context():
        # Waits until the first answer, none on a bucket's edge: 1 day 22 hours, 20 days,
        # 35 days, 5 days 1 hour, 2 hours 5 minutes, 2 days 23 hours (accepted, then launched
        # twice); and one idea 32 days old never answered.
        drinks = idea_at(member, "Oat milk", 40 * DAY, category)
        status_at(monkeypatch, drinks, "accepted", staff, 38 * DAY + timedelta(hours=2))
        old = idea_at(member, "Free refills", 50 * DAY)
        status_at(monkeypatch, old, "declined", staff, 30 * DAY)
        slow = idea_at(member, "Later hours", 35 * DAY)
        waiting = idea_at(member, "Quiet corner", 32 * DAY)
        young = idea_at(member, "Decaf", 5 * DAY + timedelta(hours=1))
        fresh = idea_at(member, "Tea", timedelta(hours=2, minutes=5))
        shipped = idea_at(member, "Pastries", 3 * DAY - timedelta(hours=1), food)
        add_comment(slow.id, staff, "We are looking at it.")
        add_comment(waiting.id, users["other"], "Me too!")  # not an answer
        change_status(young, "declined", staff, "Not for us.")
        add_comment(fresh.id, admin, "Good one.")
        for step in ("accepted", "in_progress", "launched", "in_progress", "launched"):
            change_status(shipped, step, staff, f"Now {step}.")

        # The expected figures, from the rows.
        first = first_answers()
        answered = [i for i in Idea.select() if i.id in first]
        waits = sorted(seconds(first[i.id]) - seconds(i.created_at) for i in answered)
        # Six answered ideas: the median (3rd) waited 2 to 3 days, the 90th percentile (6th)
        # 30 to 45 days, and one of six was answered within a day.
        assert len(waits) == 6
        assert 2 * DAY.total_seconds() < waits[2] <= 3 * DAY.total_seconds()
        assert 30 * DAY.total_seconds() < waits[5] <= 45 * DAY.total_seconds()
        assert sum(w <= DAY.total_seconds() for w in waits) == 1
        cutoff = (utcnow() - 30 * DAY).date()
        settled = [i for i in Idea.select() if i.created_at.date() < cutoff]
        assert {i.title for i in settled} == {
            "Oat milk",
            "Free refills",
            "Later hours",
            "Quiet corner",
        }
        within = {
            days: sum(
                1 for i in settled if i.id in first and first[i.id] - i.created_at <= days * DAY
            )
            for days in (7, 30)
        }
        assert within == {7: 1, 30: 2}
        accepted_quarter = quarter_label(
            StatusChange.get(StatusChange.idea == drinks.id).created_at
        )
        this_quarter = quarter_label(utcnow())

    page = text_of(client.get("/listening"))
    assert (
        "Half of the 6 ideas the team has answered got a first answer within 3 days,"
        " and nine in ten within 45 days." in page
    )
    assert "Within a day 1 (17%)" in page and "A day to a week 3 (50%)" in page
    date = f"{cutoff.day} {cutoff.strftime('%B %Y')}"
    assert (
        f"Of the 4 ideas posted before {date} (all at least 30 days old), 25% got a first"
        " answer from the team within 7 days and 50% within 30 days."
        " 1 idea has had no answer yet." in page
    )
    # Shipped was accepted once and launched once this quarter, however often it moved.
    if accepted_quarter == this_quarter:
        assert f"{this_quarter} 2 1" in page
    else:
        assert f"{this_quarter} 1 1" in page and f"{accepted_quarter} 1 0" in page
    assert f"In {this_quarter} so far, the team accepted" in page
    assert "Drinks 1 0" in page and "Food 1 1" in page
    assert "Sasha Staff answered most: 9 status changes and official replies." in page
    assert re.search(r"Sasha Staff 9 answers Ada Admin 1 answer\b", page)
    with db.connection_context():
        assert no_drift()


def test_the_first_response_is_set_once_and_only_by_staff(client, users, idea):
    with db.connection_context():
        add_comment(idea.id, users["member"], "Please do this.")
        assert Idea.get_by_id(idea.id).first_response_at is None
    client.login("member@example.com")
    refused = client.post_form(f"/ideas/{idea.id}/status", {"status": "accepted", "note": "Yes"})
    assert refused.status_code == 403
    client.logout()
    with db.connection_context():
        assert Idea.get_by_id(idea.id).first_response_at is None
        assert ResponseTime.select().count() == 0
        answer = add_comment(idea.id, users["staff"], "Thanks, we are on it.")
        assert Idea.get_by_id(idea.id).first_response_at == answer.created_at
        change_status(idea, "accepted", users["admin"], "Accepted.")
        assert Idea.get_by_id(idea.id).first_response_at == answer.created_at
        # Two answers, one answered idea.
        assert sum(r.ideas for r in ResponseTime.select()) == 1
        assert sum(d.answered for d in PostingDay.select()) == 1
        assert {s.user_id: s.answers for s in StaffAnswers.select()} == {
            users["staff"].id: 1,
            users["admin"].id: 1,
        }
        assert no_drift()


def test_official_answers_count_and_member_comments_do_not(users, idea):
    with db.connection_context():
        for _ in range(3):
            add_comment(idea.id, users["member"], "Yes!")
        assert StaffAnswers.select().count() == 0
        assert Idea.get_by_id(idea.id).first_response_at is None
        add_comment(idea.id, users["staff"], "Official word.")
        add_comment(idea.id, users["staff"], "And another.")
        assert StaffAnswers.get(StaffAnswers.user == users["staff"].id).answers == 2
        assert [(r.bucket, r.ideas) for r in ResponseTime.select()] == [(0, 1)]
        assert no_drift()


def test_declined_counts_as_an_answer_but_not_as_accepted(users, idea):
    with db.connection_context():
        change_status(idea, "declined", users["staff"], "Not this year.")
        assert Idea.get_by_id(idea.id).first_response_at is not None
        assert sum(r.ideas for r in ResponseTime.select()) == 1
        assert QuarterCount.select().count() == 0
        assert no_drift()


def test_an_earlier_answer_that_commits_later_moves_the_first_response_back(users, monkeypatch):
    with db.connection_context():
        idea = idea_at(users["member"], "Refills", 3 * DAY)
        comment = add_comment(idea.id, users["staff"], "On it.")
        # A status change stamped before that comment, committed after it (it waited).
        # A status change stamped before that comment, committed after it (it waited).
        status_at(monkeypatch, idea, "accepted", users["admin"], 2 * DAY)
        change = StatusChange.get(StatusChange.idea == idea.id)
        assert change.created_at < comment.created_at
        assert Idea.get_by_id(idea.id).first_response_at == change.created_at
        # Counted once, in the bucket of the earlier answer (about a day after posting).
        wait = seconds(change.created_at) - seconds(idea.created_at)
        assert [(r.bucket, r.ideas) for r in ResponseTime.select() if r.ideas] == [
            (bucket_of(wait), 1)
        ]
        [day] = PostingDay.select()
        assert (day.answered, day.within_7_days, day.within_30_days) == (1, 1, 1)
        assert no_drift()


def test_the_counts_equal_a_rebuild_after_a_mix_of_actions(
    app, runner, users, category, monkeypatch
):
    staff, admin, member = users["staff"], users["admin"], users["member"]
    with db.connection_context():
        ideas = [
            idea_at(member, f"Idea {n}", n * 4 * DAY, category if n % 2 else None)
            for n in range(12)
        ]
        for n, idea in enumerate(ideas):
            if n % 3 == 0:
                add_comment(idea.id, staff if n % 2 else admin, "Official.")
            if n % 4 == 1:
                status_at(monkeypatch, idea, "accepted", staff, n * DAY)
                change_status(idea, "under_review", staff, "Back to review.")
                change_status(idea, "accepted", admin, "Accepted again.")
            if n % 5 == 2:
                change_status(idea, "launched", staff, "Straight to launched.")
            add_comment(idea.id, member, "A member's comment.")
        # Accepted in an earlier quarter and moved on in this one, alone in its category: the
        # quarter has a change but nothing accepted or launched, so no row.
        old = idea_at(member, "Old", 200 * DAY, Category.create(name="Old"))
        status_at(monkeypatch, old, "accepted", staff, 150 * DAY)
        change_status(old, "in_progress", staff, "Building it.")
        assert no_drift()
        # Posted after the answers with a date long ago (an import): the next answer counts it.
        posted = sum(d.posted for d in PostingDay.select())
        assert posted == 5  # the ideas 32, 36, 40, 44 and 200 days old
        imported = idea_at(member, "Imported", 90 * DAY)
        assert sum(d.posted for d in PostingDay.select()) == posted
        add_comment(imported.id, staff, "Found it.")
        assert sum(d.posted for d in PostingDay.select()) == posted + 1
        assert no_drift()

    # The command finds drift and fixes it.
    assert runner.invoke(args=["rebuild-listening", "--check"]).exit_code == 0
    with db.connection_context():
        ResponseTime.update(ideas=ResponseTime.ideas + 5).execute()
        Idea.update(first_response_at=None).where(Idea.id == ideas[0].id).execute()
    check = runner.invoke(args=["rebuild-listening", "--check"])
    assert check.exit_code == 1
    assert "Found 1 idea with a wrong first response" in check.output
    assert "responsetime" in check.output
    fixed = runner.invoke(args=["rebuild-listening"])
    assert fixed.exit_code == 0 and "Fixed 1 idea with" in fixed.output
    again = runner.invoke(args=["rebuild-listening", "--check"])
    assert again.exit_code == 0 and "match the rows" in again.output
    with db.connection_context():
        assert Idea.get_by_id(ideas[0].id).first_response_at is not None


def test_answers_at_once_count_exactly(app, users, category):
    """Many transactions answering the same ideas at once: every answer counted, once."""
    with db.connection_context():
        ideas = [idea_at(users["member"], f"Idea {n}", (40 + n) * DAY, category) for n in range(4)]
    errors = []

    def answer(worker: int) -> None:
        try:
            with db.connection_context():
                for n in range(5):
                    add_comment(ideas[(worker + n) % 4].id, users["staff"], f"Answer {n}.")
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=answer, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with db.connection_context():
        assert StaffAnswers.get(StaffAnswers.user == users["staff"].id).answers == 30
        assert sum(r.ideas for r in ResponseTime.select()) == 4
        assert sum(d.posted for d in PostingDay.select()) == 4
        assert no_drift()


def test_an_empty_board_says_so(client):
    response = client.get("/listening")
    assert response.status_code == 200
    page = text_of(response)
    assert "The team has not answered any idea yet" in page
    assert "%" not in page


def test_the_page_costs_a_few_statements_whatever_the_board(
    app, client, users, category, food, sql_log
):
    def statements() -> int:
        with db.connection_context():
            bump_version()
        sql_log.clear()
        assert client.get("/listening").status_code == 200
        return len(sql_log)

    with db.connection_context():
        idea = idea_at(users["member"], "One", 40 * DAY, category)
        add_comment(idea.id, users["staff"], "Seen.")
    small = statements()
    with db.connection_context():
        for n in range(30):
            more = idea_at(users["member"], f"More {n}", n * 11 * DAY, food if n % 2 else category)
            change_status(more, "accepted", users["staff" if n % 2 else "admin"], "Yes.")
            if n % 3 == 0:
                change_status(more, "launched", users["staff"], "Live.")
    assert statements() == small
    # The board version, then five reads of the count tables.
    assert small <= 6
    # None reads the ideas, votes or comments: their size never shows in the page's time.
    tables = {name for sql, _ in sql_log for name in re.findall(r'(?:FROM|JOIN) "?(\w+)', sql)}
    assert not tables & {"idea", "vote", "comment", "statuschange"}, tables
    assert "listeningstate" in tables and "staffanswers" in tables


def test_the_page_is_public_and_cached_until_the_board_changes(client, users, idea, sql_log):
    first = client.get("/listening")
    assert first.status_code == 200 and "ETag" in first.headers
    assert "The team has not answered any idea yet" in text_of(first)
    sql_log.clear()
    again = client.get("/listening")
    assert again.get_data() == first.get_data()
    assert len(sql_log) == 1  # the board version, nothing else
    client.login("staff@example.com")
    client.post_form(f"/ideas/{idea.id}/comments", {"body": "We hear you."})
    client.logout()
    page = text_of(client.get("/listening"))
    assert "Half of the 1 idea the team has answered got a first answer within an hour" in page
    assert "Sasha Staff answered most: 1 status change or official reply." in page


def test_the_footer_links_the_page(client):
    assert 'href="/listening"' in client.get("/").get_data(as_text=True)


def test_upgrading_an_old_board_counts_its_answers(empty_url, make_app, password_hash):  # noqa: F811
    ids = build_first_release_board(empty_url, password_hash)
    runner = make_app(empty_url).test_cli_runner()
    assert runner.invoke(args=["db-upgrade"]).exit_code == 0
    with db.connection_context():
        oat = Idea.get_by_id(ids["oat"])
        # The status change and the official answer are both stamped WHEN, the idea too.
        assert oat.first_response_at == oat.created_at
        assert Idea.get_by_id(ids["refills"]).first_response_at is None
        assert [(r.bucket, r.ideas) for r in ResponseTime.select()] == [(0, 1)]
        assert [s.answers for s in StaffAnswers.select()] == [2]
        assert [(q.accepted, q.launched) for q in QuarterCount.select()] == [(1, 0)]
        assert sum(d.posted for d in PostingDay.select()) == 2
    check = runner.invoke(args=["rebuild-listening", "--check"])
    assert check.exit_code == 0, check.output


def test_bench_boards_load_their_first_responses_and_counts(runner):
    sizes = {"ideas": 120, "votes": 1500, "comments": 400, "users": 400}
    args = [f"--{name}={value}" for name, value in sizes.items()]
    result = runner.invoke(args=["bench-seed", *args, "--end", "2026-01-01"])
    assert result.exit_code == 0, result.output
    # The plan's first responses were loaded right: the count had none to correct.
    assert "(0 first responses corrected)" in result.output
    with db.connection_context():
        first = first_answers()
        loaded = {i.id: i.first_response_at for i in Idea.select() if i.first_response_at}
        assert loaded == first and first
        assert sum(r.ideas for r in ResponseTime.select()) == len(first)
        assert StaffAnswers.select().count() == 1  # the bench staff account signs everything
    assert runner.invoke(args=["rebuild-listening", "--check"]).exit_code == 0
