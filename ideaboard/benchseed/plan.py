"""Generated bench boards: how many votes and comments each idea gets, and the rows themselves.

Same seed and end date, same rows. Votes and comments are heavy-tailed (a few ideas get most of
them), ideas cover every status and category over years, and the counters and hot scores in
the idea rows equal what the vote and comment rows say.
"""

import math
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from itertools import accumulate

from ideaboard.benchseed.words import (
    COMMENTS,
    FIRST_NAMES,
    LAST_NAMES,
    PLACES,
    SENTENCES,
    STAFF_NOTES,
    STAFF_REPLY,
    STORE_NAMES,
    STORE_SENTENCE,
    STORE_SHARE,
    STORE_WEIGHTS,
    THINGS,
    VERBS,
)
from ideaboard.models import (
    ACCEPTED,
    ACCEPTED_OR_LATER,
    DECLINED,
    IN_PROGRESS,
    LAUNCHED,
    UNDER_REVIEW,
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


class SeedError(ValueError):
    """The asked-for board cannot be made; the message says why."""


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
        raise SeedError(f"Cannot place {total:,} rows at most {cap:,} per idea.")
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


USER_COLUMNS = ("id", "email", "name", "password_hash", "role", "created_at")
# Every other required column of an account (settings, counters) gets the model's default, as
# a new account does: the bulk load bypasses the model, and these columns have no SQL default.
USER_DEFAULTS = {
    name: f.default
    for name, f in User._meta.fields.items()
    if name not in USER_COLUMNS and not f.null and f.default is not None and not callable(f.default)
}


def user_rows(plan: Plan, password_hash: str) -> Iterator[tuple]:
    rng = plan.rng("users")
    defaults = tuple(USER_DEFAULTS.values())
    yield (1, STAFF_EMAIL, "Bench Staff", password_hash, "staff", stamp(plan.start), *defaults)
    yield (2, BENCH_EMAIL, "Bench User", password_hash, "member", stamp(plan.start), *defaults)
    span = plan.end - plan.start
    for user_id in range(3, plan.users + 1):
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        joined = plan.start + int(span * rng.random())
        email = f"user{user_id}@example.com"
        yield (user_id, email, name, password_hash, "member", stamp(joined), *defaults)


def _body(rng: random.Random) -> str:
    paragraphs = []
    for _ in range(rng.randint(1, 3)):
        paragraphs.append(" ".join(rng.sample(SENTENCES, rng.randint(1, 4))))
    if rng.random() < 0.2:
        paragraphs.append("\n".join(f"- {thing}" for thing in rng.sample(THINGS, 3)))
    return "\n\n".join(paragraphs)


_STORE_CUMULATIVE = list(accumulate(STORE_WEIGHTS))


def _store_sentence(rng: random.Random) -> str:
    if rng.random() >= STORE_SHARE:
        return ""
    name = rng.choices(STORE_NAMES, cum_weights=_STORE_CUMULATIVE)[0]
    return "\n\n" + STORE_SENTENCE.format(name)


def idea_rows(plan: Plan) -> Iterator[tuple]:
    rng = plan.rng("idea-text")
    # A stream of its own, so titles and the rest of the bodies stay what they were.
    stores = plan.rng("idea-stores")
    for i, created in enumerate(plan.created):
        title = f"{rng.choice(VERBS)} {rng.choice(THINGS)}{rng.choice(PLACES)}"
        steps = plan.steps.get(i, ())
        status = plan.status[i]
        accepted_at = stamp(steps[0]) if status in ACCEPTED_OR_LATER else None
        votes, comments = plan.votes[i], plan.comments[i]
        yield (
            i + 1,
            title,
            _body(rng) + _store_sentence(stores),
            plan.author[i],
            plan.category[i],
            status,
            votes,
            comments,
            hot_score(votes, comments, moment(created)),
            stamp(created),
            stamp(steps[-1] if steps else created),
            accepted_at,
            status not in Idea.CLOSED_STATUSES,
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


def column_names(model, names: Iterable[str]) -> list[str]:
    return [model._meta.fields[name].column_name for name in names]


TABLES = [
    (User, (*USER_COLUMNS, *USER_DEFAULTS)),
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
            "is_open",
        ),
    ),
    (Vote, ("id", "idea", "user", "created_at")),
    (Comment, ("id", "idea", "author", "body", "is_official", "created_at")),
    (StatusChange, ("id", "idea", "from_status", "to_status", "author", "note", "created_at")),
]
