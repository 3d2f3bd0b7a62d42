"""Demo content to try a board out: customers, a product manager, ideas with votes and answers."""

import random
from datetime import timedelta

from ideaboard.board.accounts import create_user
from ideaboard.board.categories import ensure_default_categories
from ideaboard.board.comments import add_comment
from ideaboard.board.ideas import create_idea
from ideaboard.board.pipeline import change_status
from ideaboard.board.version import bump_version
from ideaboard.board.votes import set_vote
from ideaboard.models import Category, Idea, User, utcnow

DEMO_STAFF = ("pm@example.com", "demo-password-pm")

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


def seed_demo() -> bool:
    """Add demo users, ideas, votes, comments and status changes; False if already there."""
    ensure_default_categories()
    if User.select().where(User.email == DEMO_STAFF[0]).exists():
        return False
    rng = random.Random(7)
    pm = create_user(DEMO_STAFF[0], "Priya (Product)", DEMO_STAFF[1], "staff", verified=True)
    customers = [
        create_user(f"customer{n}@example.com", name, "demo-password", verified=True)
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
            set_vote(idea.id, voter, True)
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
        "Our kitchens cannot support a monthly change, but we will rotate pastries each season.",
    )
    add_comment(ideas[0].id, pm, "Thanks all — keep the feedback coming.")
    bump_version()
    return True
