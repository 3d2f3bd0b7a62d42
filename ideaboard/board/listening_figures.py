"""What /listening shows, read from the counts board/listening.py keeps: five small statements,
whatever the size of the board, in plain SQL (the query builder would cost more than they do)."""

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ideaboard.board.listening import DAY, EPOCH, MONTH, WEEK, bucket_of, quarter_of
from ideaboard.db import db
from ideaboard.models import utcnow

# The per-quarter table covers at most the last two years.
QUARTERS_SHOWN = 8
STAFF_SHOWN = 10
NO_CATEGORY = "No category"
# Ideas of the days before ListeningState.closed_before: how many, and how soon answered.
SETTLED_SQL = """
SELECT s.closed_before, COALESCE(SUM(d.posted), 0), COALESCE(SUM(d.answered), 0),
       COALESCE(SUM(d.within_7_days), 0), COALESCE(SUM(d.within_30_days), 0)
FROM listeningstate s LEFT JOIN postingday d ON d.day < s.closed_before
WHERE s.id = 1 GROUP BY s.closed_before
"""
# The most answers first, then their people: joined the other way round, SQLite may read every
# account to find the few that answer.
STAFF_SQL = f"""
SELECT u.id, u.name, u.deleted_at, top.answers FROM (
  SELECT user_id, answers FROM staffanswers WHERE answers > 0
  ORDER BY answers DESC, user_id LIMIT {STAFF_SHOWN}
) AS top JOIN "user" u ON u.id = top.user_id
ORDER BY top.answers DESC, u.id
"""
# How the spread of response times is shown: up to (and including) each bound, in seconds.
SPREAD = (
    (DAY, "Within a day"),
    (WEEK, "A day to a week"),
    (MONTH, "A week to 30 days"),
    (None, "More than 30 days"),
)


@dataclass
class Person:
    """Someone who answers, as people/_person.html links them, and how often they answered."""

    id: int
    name: str
    deleted_at: object  # None unless the account was deleted
    answers: int


@dataclass
class Tally:
    """Ideas accepted and launched in one quarter or one category."""

    label: str
    accepted: int = 0
    launched: int = 0


@dataclass
class Settled:
    """Ideas posted before `before` (all at least 30 days old) and how soon they were answered."""

    before: date
    posted: int
    answered: int
    within_week: int
    within_month: int

    def share(self, part: int) -> int:
        """Percent of the ideas posted, rounded; 0 when there are none."""
        return round(100 * part / self.posted) if self.posted else 0


@dataclass
class Figures:
    """Everything /listening shows."""

    response_times: dict[int, int]  # bucket -> ideas whose first answer took that long
    settled: Settled | None  # None until the first staff answer
    quarters: list[Tally]  # oldest first
    categories: list[Tally]  # most accepted first
    staff: list[Person]  # most answers first

    @property
    def answered(self) -> int:
        return sum(self.response_times.values())

    def rank_bucket(self, share: float) -> int | None:
        """The bucket of the answered idea at this rank (nearest rank: the median is 0.5)."""
        if not self.answered:
            return None
        rank, seen = math.ceil(share * self.answered), 0
        for bucket in sorted(self.response_times):
            seen += self.response_times[bucket]
            if seen >= rank:
                return bucket
        return None

    def spread(self) -> list[tuple[str, int, int]]:
        """Answered ideas by how long the first answer took, in a few plain steps: each step's
        label, ideas, and percent of the answered ideas."""
        steps, low = [], 0
        for bound, label in SPREAD:
            high = bucket_of(bound) if bound else math.inf
            count = sum(n for b, n in self.response_times.items() if low <= b <= high)
            steps.append((label, count, round(100 * count / self.answered) if count else 0))
            low = high + 1
        return steps


def read_figures(now: datetime | None = None) -> Figures:
    now = now or utcnow()
    run = db.execute_sql
    times = dict(run("SELECT bucket, ideas FROM responsetime").fetchall())
    row = run(SETTLED_SQL).fetchone()
    settled = None
    if row is not None:
        before = (EPOCH + timedelta(days=row[0])).date()
        settled = Settled(before, *row[1:])
    counts = run("SELECT quarter, category_id, accepted, launched FROM quartercount").fetchall()
    names = dict(run("SELECT id, name FROM category").fetchall())
    staff = [Person(*person) for person in run(STAFF_SQL).fetchall()]
    return Figures(
        response_times={bucket: n for bucket, n in times.items() if n},
        settled=settled,
        quarters=_quarters(counts, quarter_of(now)),
        categories=_categories(counts, names),
        staff=staff,
    )


def _quarter_index(quarter: int) -> int:
    year, number = divmod(quarter, 10)
    return year * 4 + number - 1


def _quarters(counts: list[tuple], current: int) -> list[Tally]:
    """The last QUARTERS_SHOWN quarters up to this one, from the first with anything in it."""
    totals: dict[int, Tally] = {}
    last = _quarter_index(current)
    for quarter, _, accepted, launched in counts:
        index = _quarter_index(quarter)
        if last - QUARTERS_SHOWN < index <= last:
            tally = totals.setdefault(index, Tally(f"Q{index % 4 + 1} {index // 4}"))
            tally.accepted += accepted
            tally.launched += launched
    if not any(t.accepted or t.launched for t in totals.values()):
        return []
    first = min(index for index, t in totals.items() if t.accepted or t.launched)
    return [totals.get(i, Tally(f"Q{i % 4 + 1} {i // 4}")) for i in range(first, last + 1)]


def _categories(counts: list[tuple], names: dict[int, str]) -> list[Tally]:
    """Every category (and ideas with none, if any counted), most accepted first."""
    tallies = {category_id: Tally(name) for category_id, name in names.items()}
    for _, category_id, accepted, launched in counts:
        tally = tallies.setdefault(category_id, Tally(names.get(category_id, NO_CATEGORY)))
        tally.accepted += accepted
        tally.launched += launched
    return sorted(tallies.values(), key=lambda t: (-t.accepted, -t.launched, t.label.lower()))
