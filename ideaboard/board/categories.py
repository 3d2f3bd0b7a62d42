"""Categories: their names are unique, and a new board starts with a few."""

from peewee import IntegrityError

from ideaboard.db import db
from ideaboard.models import Category

DEFAULT_CATEGORIES = ("Product", "Service", "Website & app", "Community")


class CategoryNameTaken(ValueError):
    """Another category already has that name."""


def list_categories() -> list[Category]:
    return list(Category.select().order_by(Category.name))


def find_category(category_id: int) -> Category | None:
    return Category.get_or_none(Category.id == category_id)


def save_category(name: str, category_id: int | None = None) -> str:
    """Add a category, or rename the given one; return the name as stored."""
    name = name.strip()
    try:
        with db.atomic():
            if category_id is None:
                Category.create(name=name)
            else:
                Category.update(name=name).where(Category.id == category_id).execute()
    except IntegrityError:
        raise CategoryNameTaken(name) from None
    return name


def ensure_default_categories() -> None:
    """Give an empty board its first categories (nothing happens once it has any)."""
    with db.atomic():
        if not Category.select().exists():
            for name in DEFAULT_CATEGORIES:
                Category.create(name=name)
