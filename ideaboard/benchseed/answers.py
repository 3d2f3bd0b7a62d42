"""When each generated idea was first answered (its first status change or official reply), so
that the bulk load writes Idea.first_response_at and the listening count has nothing to fix:
updating half a million loaded ideas would cost more than the load (every index changes)."""

from collections.abc import Iterator

from ideaboard.benchseed.plan import Plan, comment_rows, idea_rows, stamp

# The idea rows' columns after plan.TABLES' own.
IDEA_COLUMNS = ("first_response_at",)


def first_responses(plan: Plan) -> dict[int, str]:
    """Idea id -> the stored time of its first answer: the comment rows generated once more (the
    same seed gives the same rows), for the official replies that came before the first step."""
    first = {i + 1: stamp(steps[0]) for i, steps in plan.steps.items()}
    for _, idea_id, _, _, official, when in comment_rows(plan):
        # Stamps of one format: their order as text is their order in time.
        if official and when < first.get(idea_id, "~"):
            first[idea_id] = when
    return first


def idea_rows_answered(plan: Plan) -> Iterator[tuple]:
    """plan.idea_rows, each with its first response (None for ideas never answered)."""
    first = first_responses(plan)
    for row in idea_rows(plan):
        yield (*row, first.get(row[0]))
