"""`flask bench-seed`: fill an empty database with a large, realistic board for load tests.

Same --seed and --end, same rows, on SQLite and PostgreSQL alike. Votes and comments are
heavy-tailed (a few ideas get most of them), ideas cover every status and category over years,
and the stored counters and hot scores equal what the rows say. Rows go in through the
drivers' bulk paths (SQLite executemany, PostgreSQL COPY) in one transaction, with secondary
indexes (and on PostgreSQL foreign keys) dropped during the load and rebuilt once at the end:
a million ideas and ten million votes take minutes, not hours.
"""

import io
import math
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import islice

import click

from ideaboard.db import create_schema, db, is_sqlite
from ideaboard.models import (
    ACCEPTED,
    ACCEPTED_OR_LATER,
    DECLINED,
    IN_PROGRESS,
    LAUNCHED,
    UNDER_REVIEW,
    Category,
    Comment,
    Idea,
    StatusChange,
    User,
    Vote,
    hot_score,
)

BENCH_EMAIL = "bench@example.com"
STAFF_EMAIL = "bench-staff@example.com"
# Every bench account shares this password and one precomputed hash of it: argon2 is slow on
# purpose, and a fixed salt keeps the rows reproducible. A test checks that they match.
BENCH_PASSWORD = "bench-board-password"
BENCH_PASSWORD_HASH = (
    "$argon2id$v=19$m=19456,t=2,p=1$Knh5CSdXTlWlFXlupE9GeA"
    "$F66VphLrnj2TmsBraRaTerEAi6q7Dsx4gOeEBYJ5TQM"
)
# The detail-page benchmark reads an idea with exactly this many comments.
DETAIL_COMMENTS = 50
# No single idea gets more comments than this (the detail page shows them all).
MAX_COMMENTS_PER_IDEA = 1000
CHUNK_ROWS = 50_000

# Share of ideas in each status, and the steps staff took to get each one there.
STATUS_SHARES = {
    UNDER_REVIEW: 0.55,
    ACCEPTED: 0.08,
    IN_PROGRESS: 0.06,
    LAUNCHED: 0.13,
    DECLINED: 0.18,
}
STATUS_PATHS = {
    UNDER_REVIEW: (),
    ACCEPTED: (ACCEPTED,),
    IN_PROGRESS: (ACCEPTED, IN_PROGRESS),
    LAUNCHED: (ACCEPTED, IN_PROGRESS, LAUNCHED),
    DECLINED: (DECLINED,),
}
# Pareto shapes: with these, the top 1% of ideas hold about 40% of the votes and a quarter
# of the comments.
VOTE_SHAPE = 1.4
COMMENT_SHAPE = 2.5

EPOCH = datetime(1970, 1, 1)

FIRST_NAMES = ("Alex", "Ana", "Ben", "Chloe", "Dan", "Eva", "Femi", "Hana", "Kai", "Zoe")
LAST_NAMES = ("Berg", "Costa", "Evans", "Garcia", "Ito", "Lopez", "Okafor", "Patel", "Silva")
VERBS = (
    "Add",
    "Allow",
    "Support",
    "Show",
    "Let me choose",
    "Improve",
    "Offer",
    "Bring back",
    "Make it easier to find",
    "Remember",
)
THINGS = (
    "oat milk",
    "dark mode",
    "a loyalty card",
    "reusable cups",
    "gluten-free pastries",
    "order tracking",
    "gift cards",
    "store opening hours",
    "seasonal drinks",
    "decaf options",
    "quiet seating",
    "contactless pickup",
    "allergen information",
    "a vegan menu",
    "group orders",
    "receipts by email",
)
PLACES = (
    "",
    " in the app",
    " on the website",
    " in every store",
    " at weekends",
    " for families",
    " for teams",
    " before 7 am",
)
SENTENCES = (
    "I come in almost every day and this would make a real difference.",
    "Other shops nearby already do this, so it feels overdue.",
    "It would save me a few minutes every morning.",
    "My whole office would use it.",
    "Please consider people with **allergies** too.",
    "The current workaround is to ask at the counter, which is slow at rush hour.",
    "Happy to test an early version.",
    "This matters more than any new flavour.",
    "It could be a small setting, nothing fancy.",
    "Price it fairly and I would pay for it.",
    "Last time I asked, the staff said it was coming soon.",
    "See [the old menu](https://example.com/menu) for what I mean.",
)
COMMENTS = (
    "+1, I would use this daily.",
    "Yes please!",
    "Same here, it is the one thing I miss.",
    "Not sure about this one: it would make the queue longer.",
    "Could this work in the app as well?",
    "We asked for this at our store last year too.",
    "Agree. *Especially* on weekdays.",
    "Is there any update on this?",
    "Great idea, but please keep the old option as well.",
    "My kids would love it.",
)
STAFF_NOTES = {
    ACCEPTED: "Thanks for the idea: we are planning it for this year.",
    IN_PROGRESS: "We are building it now; a first version goes to a few stores next.",
    LAUNCHED: "It is live everywhere. Thank you for asking!",
    DECLINED: "We looked at this closely but cannot offer it, for now.",
}
STAFF_REPLY = "Thanks for the feedback, we are reading every comment."


@dataclass
class Plan:
    """Everything decided before any row is written: per idea, its counts, status and times."""

    seed: int
    users: int
    start: int  # Unix seconds, UTC
    end: int
    categories: list[int]
    created: list[int] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    category: list[int | None] = field(default_factory=list)
    author: list[int] = field(default_factory=list)
    votes: list[int] = field(default_factory=list)
    comments: list[int] = field(default_factory=list)
    # For ideas staff moved on: the Unix time of each step of STATUS_PATHS[status].
    steps: dict[int, list[int]] = field(default_factory=dict)
    detail_index: int = 0

    def rng(self, purpose: str) -> random.Random:
        # One stream per table, so each table's rows depend only on the seed.
        return random.Random(f"{self.seed}:{purpose}")


def distribute(total: int, weights: list[float], cap: int) -> list[int]:
    """Split `total` into integers proportional to `weights`, none above `cap`."""
    order = sorted((i for i, w in enumerate(weights) if w > 0), key=lambda i: -weights[i])
    if total > cap * len(order):
        raise click.ClickException(f"Cannot place {total:,} rows at most {cap:,} per idea.")
    counts = [0] * len(weights)
    remaining, weight = total, sum(weights[i] for i in order)
    # The heaviest ideas that would get more than the cap get exactly the cap...
    first = 0
    for i in order:
        if weights[i] * remaining / weight < cap:
            break
        counts[i] = cap
        remaining -= cap
        weight -= weights[i]
        first += 1
    # ...and the rest share what is left in proportion, the largest remainders rounding up.
    rest = order[first:]
    if not rest:
        return counts
    exact = {i: weights[i] * remaining / weight for i in rest}
    for i in rest:
        counts[i] = int(exact[i])
    left = remaining - sum(counts[i] for i in rest)
    for i in sorted(rest, key=lambda i: counts[i] - exact[i])[:left]:
        counts[i] += 1
    return counts


def spread(count: int, shares: list[float], rng: random.Random) -> list[int]:
    """`count` bucket numbers in random order, in proportion to `shares`, every bucket used."""
    sizes = [max(1, int(count * share / sum(shares))) for share in shares]
    sizes[sizes.index(max(sizes))] += count - sum(sizes)
    buckets = [bucket for bucket, size in enumerate(sizes) for _ in range(size)]
    rng.shuffle(buckets)
    return buckets


def make_plan(
    ideas: int, votes: int, comments: int, users: int, seed: int, end: int, years: float, categories
) -> Plan:
    start = end - int(years * 365.25 * 86400)
    plan = Plan(seed=seed, users=users, start=start, end=end, categories=categories)
    rng = plan.rng("ideas")
    span = end - start
    # Boards grow: more ideas recently than years ago. Sorted, so ids follow creation time.
    plan.created = sorted(start + int(span * math.sqrt(rng.random())) for _ in range(ideas))
    statuses = list(STATUS_SHARES)
    plan.status = [statuses[i] for i in spread(ideas, list(STATUS_SHARES.values()), rng)]
    # Categories are unevenly popular, and a few ideas have none.
    buckets = [*categories, None]
    shares = [1 / (rank + 1) for rank in range(len(categories))] + [0.1]
    plan.category = [buckets[i] for i in spread(ideas, shares, rng)]
    # Users 1 and 2 are the staff and benchmark accounts; a few customers post a lot.
    plan.author = [2 + int((users - 1) * rng.random() ** 2) for _ in range(ideas)]

    # Heavy-tailed votes (Lomax: many ideas with none or one), older ideas had longer to gather.
    age = [(end - created) / span for created in plan.created]
    weights = [(rng.paretovariate(VOTE_SHAPE) - 1) * (0.2 + a) for a in age]
    # Even the most popular idea is not voted for by everyone, unless the numbers demand it.
    cap = users // 2 if votes <= ideas * (users // 2) else users
    plan.votes = distribute(votes, weights, cap=cap)

    # The detail benchmark's idea: the most-voted one in progress, with exactly 50 comments.
    in_progress = [i for i in range(ideas) if plan.status[i] == IN_PROGRESS]
    plan.detail_index = max(in_progress, key=lambda i: (plan.votes[i], -i))
    weights = [
        math.sqrt(plan.votes[i] + 1) * (rng.paretovariate(COMMENT_SHAPE) - 1) for i in range(ideas)
    ]
    weights[plan.detail_index] = 0
    plan.comments = distribute(comments - DETAIL_COMMENTS, weights, cap=MAX_COMMENTS_PER_IDEA)
    plan.comments[plan.detail_index] = DETAIL_COMMENTS

    for i, status in enumerate(plan.status):
        when, steps = plan.created[i], []
        for _ in STATUS_PATHS[status]:
            when += int((end - when) * rng.random() ** 2)
            steps.append(when)
        if steps:
            plan.steps[i] = steps
    return plan


@lru_cache(maxsize=8192)
def _day(day: int) -> str:
    return (EPOCH + timedelta(days=day)).strftime("%Y-%m-%d")


def stamp(seconds: int) -> str:
    """Unix seconds as the text both databases store for a naive UTC DateTimeField."""
    day, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{_day(day)} {hours:02d}:{minutes:02d}:{secs:02d}"


def moment(seconds: int) -> datetime:
    return EPOCH + timedelta(seconds=seconds)


def user_rows(plan: Plan, password_hash: str) -> Iterator[tuple]:
    rng = plan.rng("users")
    yield (1, STAFF_EMAIL, "Bench Staff", password_hash, "staff", stamp(plan.start))
    yield (2, BENCH_EMAIL, "Bench User", password_hash, "member", stamp(plan.start))
    span = plan.end - plan.start
    for user_id in range(3, plan.users + 1):
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        joined = plan.start + int(span * rng.random())
        yield (user_id, f"user{user_id}@example.com", name, password_hash, "member", stamp(joined))


def _body(rng: random.Random) -> str:
    paragraphs = []
    for _ in range(rng.randint(1, 3)):
        paragraphs.append(" ".join(rng.sample(SENTENCES, rng.randint(1, 4))))
    if rng.random() < 0.2:
        paragraphs.append("\n".join(f"- {thing}" for thing in rng.sample(THINGS, 3)))
    return "\n\n".join(paragraphs)


def idea_rows(plan: Plan) -> Iterator[tuple]:
    rng = plan.rng("idea-text")
    for i, created in enumerate(plan.created):
        title = f"{rng.choice(VERBS)} {rng.choice(THINGS)}{rng.choice(PLACES)}"
        steps = plan.steps.get(i, ())
        status = plan.status[i]
        accepted_at = stamp(steps[0]) if status in ACCEPTED_OR_LATER else None
        votes, comments = plan.votes[i], plan.comments[i]
        yield (
            i + 1,
            title,
            _body(rng),
            plan.author[i],
            plan.category[i],
            status,
            votes,
            comments,
            hot_score(votes, comments, moment(created)),
            stamp(created),
            stamp(steps[-1] if steps else created),
            accepted_at,
        )


def vote_rows(plan: Plan) -> Iterator[tuple]:
    """Per idea, k distinct voters, so the unique (idea, user) pair always holds."""
    rng = plan.rng("votes")
    voters = range(1, plan.users + 1)
    sample, rand, end = rng.sample, rng.random, plan.end
    vote_id = 0
    for i, count in enumerate(plan.votes):
        if not count:
            continue
        created = plan.created[i]
        span = end - created
        for user_id in sample(voters, count):
            vote_id += 1
            # Most votes come soon after an idea is posted.
            yield (vote_id, i + 1, user_id, stamp(created + int(span * rand() ** 3)))


def comment_rows(plan: Plan) -> Iterator[tuple]:
    rng = plan.rng("comments")
    rand, users = rng.random, plan.users
    comment_id = 0
    for i, count in enumerate(plan.comments):
        created = plan.created[i]
        span = plan.end - created
        answered = plan.status[i] != UNDER_REVIEW
        for _ in range(count):
            comment_id += 1
            when = stamp(created + int(span * rand() ** 2))
            if answered and rand() < 0.05:
                yield (comment_id, i + 1, 1, STAFF_REPLY, True, when)
            else:
                author = 2 + int((users - 1) * rand())
                yield (comment_id, i + 1, author, rng.choice(COMMENTS), False, when)


def status_change_rows(plan: Plan) -> Iterator[tuple]:
    change_id = 0
    for i, steps in sorted(plan.steps.items()):
        previous = UNDER_REVIEW
        for to_status, when in zip(STATUS_PATHS[plan.status[i]], steps, strict=True):
            change_id += 1
            note = STAFF_NOTES[to_status]
            yield (change_id, i + 1, previous, to_status, 1, note, stamp(when))
            previous = to_status


def _columns(model, names: Iterable[str]) -> list[str]:
    return [model._meta.fields[name].column_name for name in names]


TABLES = [
    (User, ("id", "email", "name", "password_hash", "role", "created_at")),
    (
        Idea,
        (
            "id",
            "title",
            "body",
            "author",
            "category",
            "status",
            "vote_count",
            "comment_count",
            "hot",
            "created_at",
            "updated_at",
            "accepted_at",
        ),
    ),
    (Vote, ("id", "idea", "user", "created_at")),
    (Comment, ("id", "idea", "author", "body", "is_official", "created_at")),
    (StatusChange, ("id", "idea", "from_status", "to_status", "author", "note", "created_at")),
]


def _chunks(rows: Iterable[tuple]) -> Iterator[list[tuple]]:
    rows = iter(rows)
    while chunk := list(islice(rows, CHUNK_ROWS)):
        yield chunk


class SqliteLoader:
    """executemany in one transaction, no journal or fsync, indexes built once at the end."""

    def __init__(self, tables: list[str]):
        self.conn = db.connection()
        self.tables = tables
        self.indexes: list[str] = []

    def begin(self) -> None:
        for pragma in (
            "foreign_keys = OFF",
            "synchronous = OFF",
            # Out of WAL while loading: the rows would otherwise be written twice.
            "journal_mode = MEMORY",
            "cache_size = -1000000",
            "temp_store = MEMORY",
        ):
            self.conn.execute(f"PRAGMA {pragma}")
        self.conn.execute("BEGIN IMMEDIATE")
        marks = ", ".join("?" for _ in self.tables)
        for name, sql in self.conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            f" AND tbl_name IN ({marks})",
            self.tables,
        ).fetchall():
            self.indexes.append(sql)
            self.conn.execute(f'DROP INDEX "{name}"')

    def load(self, table: str, columns: list[str], rows: Iterable[tuple]) -> int:
        names = ", ".join(f'"{c}"' for c in columns)
        sql = f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" for _ in columns)})'
        count = 0
        for chunk in _chunks(rows):
            self.conn.executemany(sql, chunk)
            count += len(chunk)
        return count

    def finish(self, echo: Callable[[str], None]) -> None:
        started = time.perf_counter()
        for sql in self.indexes:
            self.conn.execute(sql)
        echo(f"  indexes: {len(self.indexes)} rebuilt in {time.perf_counter() - started:.1f} s")
        self.conn.execute("COMMIT")
        started = time.perf_counter()
        # Statistics for the planner, as `PRAGMA optimize` on a long-running board would have.
        self.conn.execute("ANALYZE")
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA foreign_keys = ON")
        echo(f"  analyze: {time.perf_counter() - started:.1f} s")

    def abort(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
        self.conn.execute("PRAGMA journal_mode = WAL")


# COPY's text format: backslash escapes for the characters that separate rows and columns.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_value(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    return str(value)


class PostgresLoader:
    """COPY in one transaction; secondary indexes and foreign keys rebuilt once at the end."""

    def __init__(self, tables: list[str]):
        self.conn = db.connection()
        self.tables = tables
        self.indexes: list[str] = []
        self.foreign_keys: list[tuple[str, str, str]] = []

    def _query(self, sql: str, params=()) -> list[tuple]:
        with self.conn.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def begin(self) -> None:
        self._query("BEGIN")
        self._query("SET LOCAL synchronous_commit = off")
        self._query("SET LOCAL maintenance_work_mem = '512MB'")
        relations = [f'"{t}"' for t in self.tables]
        self.foreign_keys = self._query(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
            " FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])",
            (relations,),
        )
        for table, name, _ in self.foreign_keys:
            self._query(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        # Indexes that back a constraint (the primary keys) stay; the others are rebuilt.
        for name, definition in self._query(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
            " WHERE i.indrelid = ANY(%s::regclass[]) AND NOT EXISTS"
            " (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            (relations,),
        ):
            self.indexes.append(definition)
            self._query(f"DROP INDEX {name}")

    def load(self, table: str, columns: list[str], rows: Iterable[tuple]) -> int:
        names = ", ".join(f'"{c}"' for c in columns)
        sql = f'COPY "{table}" ({names}) FROM STDIN'
        count = 0
        with self.conn.cursor() as cursor:
            for chunk in _chunks(rows):
                text = "".join("\t".join([_copy_value(v) for v in row]) + "\n" for row in chunk)
                cursor.copy_expert(sql, io.StringIO(text))
                count += len(chunk)
        return count

    def finish(self, echo: Callable[[str], None]) -> None:
        started = time.perf_counter()
        for definition in self.indexes:
            self._query(definition)
        for table, name, definition in self.foreign_keys:
            self._query(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for table in self.tables:
            self._query(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'),"
                f' COALESCE(MAX(id), 0) + 1, false) FROM "{table}"'
            )
        echo(
            f"  indexes: {len(self.indexes)}, foreign keys: {len(self.foreign_keys)}"
            f" rebuilt in {time.perf_counter() - started:.1f} s"
        )
        self._query("COMMIT")
        started = time.perf_counter()
        # What autovacuum would do on its own later: statistics, and a visibility map so
        # index-only scans work from the first request.
        for table in self.tables:
            self._query(f'VACUUM ANALYZE "{table}"')
        echo(f"  vacuum analyze: {time.perf_counter() - started:.1f} s")

    def abort(self) -> None:
        self._query("ROLLBACK")


def _today() -> datetime:
    now = datetime.now(UTC).replace(tzinfo=None)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


@click.command("bench-seed")
@click.option("--ideas", type=click.IntRange(min=10), default=1000, show_default=True)
@click.option("--votes", type=click.IntRange(min=0), default=10_000, show_default=True)
@click.option(
    "--comments",
    type=click.IntRange(min=DETAIL_COMMENTS),
    default=2000,
    show_default=True,
    help=f"At least {DETAIL_COMMENTS}: one idea gets exactly that many.",
)
@click.option("--users", type=click.IntRange(min=2), default=1000, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option(
    "--end",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Newest possible date (UTC). Default: today at midnight.",
)
@click.option("--years", type=click.FloatRange(min=0.1), default=4.0, show_default=True)
def bench_seed_command(
    ideas: int,
    votes: int,
    comments: int,
    users: int,
    seed: int,
    end: datetime | None,
    years: float,
) -> None:
    """Fill an empty board with generated users, ideas, votes, comments and status history."""
    from ideaboard.demo import ensure_default_categories

    started = time.perf_counter()
    create_schema()
    ensure_default_categories()
    with db.connection_context():
        if User.select().exists() or Idea.select().exists():
            raise click.ClickException(
                "bench-seed fills an empty board, and this database already has users or "
                "ideas. Point IDEABOARD_DATABASE_URL at a new database."
            )
        categories = [c.id for c in Category.select(Category.id).order_by(Category.id)]
        if ideas <= len(categories):
            raise click.BadParameter(
                f"need more ideas than the {len(categories)} categories", param_hint="--ideas"
            )
        end_seconds = int(((end or _today()) - EPOCH).total_seconds())
        plan = make_plan(ideas, votes, comments, users, seed, end_seconds, years, categories)
        click.echo(f"Planned in {time.perf_counter() - started:.1f} s.")
        rows = {
            User: user_rows(plan, BENCH_PASSWORD_HASH),
            Idea: idea_rows(plan),
            Vote: vote_rows(plan),
            Comment: comment_rows(plan),
            StatusChange: status_change_rows(plan),
        }
        tables = [model._meta.table_name for model, _ in TABLES]
        loader = SqliteLoader(tables) if is_sqlite() else PostgresLoader(tables)
        loader.begin()
        try:
            for model, names in TABLES:
                table_started = time.perf_counter()
                count = loader.load(model._meta.table_name, _columns(model, names), rows[model])
                elapsed = time.perf_counter() - table_started
                click.echo(f"  {model._meta.table_name}: {count:,} rows in {elapsed:.1f} s")
            loader.finish(click.echo)
        except BaseException:
            loader.abort()
            raise
    detail_id = plan.detail_index + 1
    click.echo(
        f"Seeded {ideas:,} ideas, {votes:,} votes, {comments:,} comments and {users:,} users"
        f" in {time.perf_counter() - started:.1f} s.\n"
        f"Log in as {BENCH_EMAIL} (staff: {STAFF_EMAIL}), password {BENCH_PASSWORD}.\n"
        f"Idea with {DETAIL_COMMENTS} comments: /ideas/{detail_id}"
    )
