"""The words generated bench boards are made of: names, idea titles, bodies, comments, notes."""

from ideaboard.models import ACCEPTED, DECLINED, IN_PROGRESS, LAUNCHED

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
