"""Categories: names unique whatever their capitals, an order staff choose, archiving and
deleting that leave the ideas working; a new board starts with a few. Every change by staff
is in the audit log."""

from peewee import IntegrityError, fn

from ideaboard.board import audit
from ideaboard.db import db, is_sqlite
from ideaboard.models import Category, Idea, QuarterCount, StatusChange, User, utcnow

DEFAULT_CATEGORIES = ("Product", "Service", "Website & app", "Community")
UP, DOWN = -1, 1


class CategoryNameTaken(ValueError):
    """Another category already has that name (whatever its capitals)."""


def list_categories(include_archived: bool = False) -> list[Category]:
    """In the order staff chose. Archived ones only when asked: they take no new ideas and
    leave the filters, while their ideas, page and feeds keep working."""
    query = Category.select()
    if not include_archived:
        query = query.where(Category.archived_at.is_null())
    return list(query.order_by(Category.position, Category.name, Category.id))


def find_category(category_id: int) -> Category | None:
    return Category.get_or_none(Category.id == category_id)


def _next_position() -> int:
    return (Category.select(fn.MAX(Category.position)).scalar() or 0) + 1


def save_category(name: str, category_id: int | None = None, actor: User | None = None) -> str:
    """Add a category (at the end of the order), or rename the given one; return the name
    as stored. CategoryNameTaken when another has it, even in a race (the database's index
    on lower(name) decides)."""
    name = name.strip()
    try:
        with db.atomic():
            if category_id is None:
                category = Category.create(name=name, position=_next_position())
                summary, detail = f"Added category “{name}”", {"name": name}
            else:
                category = Category.get_by_id(category_id)
                if category.name == name:
                    return name
                Category.update(name=name).where(Category.id == category_id).execute()
                summary = f"Renamed category “{category.name}” to “{name}”"
                detail = {"old_name": category.name, "name": name}
            audit.record(actor, "category", summary, category_id=category.id, **detail)
    except IntegrityError:
        raise CategoryNameTaken(name) from None
    return name


def set_archived(category_id: int, archived: bool, actor: User | None) -> Category:
    """Archive a category (no new ideas, out of the filters) or bring it back at the end."""
    with db.atomic():
        category = Category.get_by_id(category_id)
        if (category.archived_at is not None) == archived:
            return category
        category.archived_at = utcnow() if archived else None
        changes = {Category.archived_at: category.archived_at}
        if not archived:
            changes[Category.position] = category.position = _next_position()
        Category.update(changes).where(Category.id == category_id).execute()
        verb = "Archived" if archived else "Brought back"
        audit.record(
            actor,
            "category",
            f"{verb} category “{category.name}”",
            category_id=category.id,
            archived=archived,
        )
    return category


def idea_count(category_id: int) -> int:
    """Ideas filed under the category (read from its listing index)."""
    return Idea.select().where(Idea.category == category_id).count()


def _count_as_uncategorized(category_id: int) -> None:
    """Move the category's acceptances and launches per quarter (board/listening.py) to "no
    category", where a rebuild from the rows now finds them."""
    p = db.param
    db.execute_sql(
        "INSERT INTO quartercount (quarter, category_id, accepted, launched)"
        f" SELECT quarter, 0, accepted, launched FROM quartercount WHERE category_id = {p}"
        " ON CONFLICT (quarter, category_id) DO UPDATE SET"
        " accepted = quartercount.accepted + excluded.accepted,"
        " launched = quartercount.launched + excluded.launched",
        [category_id],
    )
    QuarterCount.delete().where(QuarterCount.category_id == category_id).execute()


def delete_category(category_id: int, actor: User | None) -> int:
    """Delete a category; its ideas stay, uncategorized. Returns how many they were."""
    with db.atomic():
        category = Category.get_by_id(category_id)
        # Explicit rather than left to ON DELETE SET NULL: the count is what staff confirmed,
        # and the status history (the category's feed) lets go of it the same way.
        moved = Idea.update(category=None).where(Idea.category == category_id).execute()
        StatusChange.update(category=None).where(StatusChange.category == category_id).execute()
        _count_as_uncategorized(category_id)
        Category.delete().where(Category.id == category_id).execute()
        audit.record(
            actor,
            "category",
            f"Deleted category “{category.name}”; {moved} idea{'' if moved == 1 else 's'}"
            " left uncategorized",
            category_id=category_id,
            name=category.name,
            ideas_uncategorized=moved,
        )
    return moved


def move_category(category_id: int, direction: int, actor: User | None) -> bool:
    """Swap a category with its neighbour above (UP) or below (DOWN) among the active ones;
    False when it is already first or last (or archived)."""
    with db.atomic():
        query = Category.select().where(Category.archived_at.is_null())
        if not is_sqlite():
            # Every active category, locked: two moves at once renumber one after the other.
            query = query.for_update()
        order = sorted(query, key=lambda c: (c.position, c.name, c.id))
        at = next((n for n, c in enumerate(order) if c.id == category_id), None)
        if at is None or not 0 <= at + direction < len(order):
            return False
        order[at], order[at + direction] = order[at + direction], order[at]
        # Renumbered from 0: categories that all had the default position get distinct ones.
        for position, category in enumerate(order):
            if category.position != position:
                Category.update(position=position).where(Category.id == category.id).execute()
        moved = order[at + direction]
        audit.record(
            actor,
            "category",
            f"Moved category “{moved.name}” {'up' if direction == UP else 'down'}",
            category_id=moved.id,
            position=at + direction,
        )
    return True


def ensure_default_categories() -> None:
    """Give an empty board its first categories (nothing happens once it has any)."""
    with db.atomic():
        if not Category.select().exists():
            for position, name in enumerate(DEFAULT_CATEGORIES):
                Category.create(name=name, position=position)
