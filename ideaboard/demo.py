"""Default categories for a new board, and optional demo content to try it out."""

import random
from datetime import timedelta

import click

from ideaboard.auth import create_user
from ideaboard.db import db
from ideaboard.ideas import add_comment, create_idea, set_vote
from ideaboard.models import Category, Idea, User, utcnow
from ideaboard.pagecache import bump_version
from ideaboard.pipeline import change_status

DEFAULT_CATEGORIES = ("Product", "Service", "Website & app", "Community")

DEMO_IDEAS = [
    ("Let me save my usual order", "One tap to order what I always get.", "Website & app"),
    ("Oat milk at no extra charge", "Plant-based milk should cost the same.", "Product"),
    ("Reusable cup discount", "Reward customers who **bring their own cup**.", "Service"),
    ("Show wait times in the app", "So I can pick the least busy store.", "Website & app"),
    ("More seasonal pastries", "Something new every month would be great.", "Product"),
    (
        "Quiet hours for remote workers",
        "A couple of hours with the music turned down.",
        "Community",
    ),
]


def ensure_default_categories() -> None:
    with db.connection_context():
        if not Category.select().exists():
            with db.atomic():
                for name in DEFAULT_CATEGORIES:
                    Category.create(name=name)


@click.command("seed-demo")
def seed_demo_command() -> None:
    """Add demo users, ideas, votes, comments and status changes (idempotent)."""
    ensure_default_categories()
    with db.connection_context():
        if User.select().where(User.email == "pm@example.com").exists():
            click.echo("Demo data is already there.")
            return
        rng = random.Random(7)
        pm = create_user("pm@example.com", "Priya (Product)", "demo-password-pm", "staff")
        customers = [
            create_user(f"customer{n}@example.com", name, "demo-password", "member")
            for n, name in enumerate(["Alex", "Sam", "Jordan", "Robin", "Kim"], start=1)
        ]
        categories = {c.name: c for c in Category.select()}
        ages_in_days = (40, 25, 12, 6, 3, 1)
        for days_ago, (title, body, category) in zip(ages_in_days, DEMO_IDEAS, strict=True):
            idea = create_idea(
                rng.choice(customers),
                title,
                body,
                categories[category].id,
                created_at=utcnow() - timedelta(days=days_ago),
            )
            for voter in rng.sample(customers, rng.randint(1, len(customers))):
                set_vote(idea.id, voter.id, True)
            add_comment(idea.id, rng.choice(customers), "Yes please, I would use this daily.")
        ideas = list(Idea.select().order_by(Idea.id))
        change_status(ideas[0], "accepted", pm, "Great idea — we are designing it now.")
        change_status(ideas[0], "in_progress", pm, "Building it; beta in the spring.")
        change_status(ideas[1], "accepted", pm, "We hear you. Pricing change is planned.")
        change_status(ideas[2], "accepted", pm, "Coming to all stores.")
        change_status(ideas[2], "in_progress", pm, "Rolling out region by region.")
        change_status(ideas[2], "launched", pm, "Live everywhere. Thank you!")
        change_status(
            ideas[4],
            "declined",
            pm,
            "Our kitchens cannot support a monthly change, "
            "but we will rotate pastries each season.",
        )
        add_comment(ideas[0].id, pm, "Thanks all — keep the feedback coming.")
        bump_version()
    click.echo("Demo data added. Staff login: pm@example.com / demo-password-pm")
