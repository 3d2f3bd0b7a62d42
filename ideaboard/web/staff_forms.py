"""Forms of the staff and admin tools: roles, suspension, categories, notes, votes on behalf,
webhooks.

Field names differ from those of the idea page's other forms (body, note, email, name), so
that every field on one page has an HTML id of its own.
"""

from wtforms import (
    EmailField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from ideaboard.board.people_admin import ROLE_LABELS
from ideaboard.board.webhooks import url_problem
from ideaboard.models import WEBHOOK_EVENTS
from ideaboard.web.forms import COMMENT_MAX, Form, _no_controls, _strip

KEEP_VOTES, REMOVE_VOTES = "keep", "remove"
CHOOSE_VOTES = "Choose what happens to their votes."


class RoleForm(Form):
    role = SelectField(
        "Role",
        choices=[SelectChoice(key, label) for key, label in ROLE_LABELS.items()],
        description="Staff answer ideas and manage categories; admins also manage people.",
    )


class SuspendForm(Form):
    votes = RadioField(
        "Their votes",
        choices=[
            SelectChoice(KEEP_VOTES, "Keep their votes"),
            SelectChoice(REMOVE_VOTES, "Remove their votes from open ideas"),
        ],
        # The validators say it in words; the built-in check would say "Not a valid choice".
        validate_choice=False,
        validators=[
            InputRequired(message=CHOOSE_VOTES),
            AnyOf([KEEP_VOTES, REMOVE_VOTES], message=CHOOSE_VOTES),
        ],
    )
    next = HiddenField()


class StaffNoteForm(Form):
    staff_note = TextAreaField(
        "New internal note",
        description="Only staff see it. Markdown is supported.",
        validators=[DataRequired(), Length(max=COMMENT_MAX), _no_controls],
    )


class BehalfForm(Form):
    customer_email = EmailField(
        "Customer’s email",
        description="The person who asked by phone or mail. Their vote shows who recorded it.",
        filters=[_strip],
        validators=[DataRequired(), Email(), Length(max=254), _no_controls],
    )
    customer_name = StringField(
        "Their name, for a new account",
        description=(
            "Only if they have no account yet: one is made, unconfirmed, with no password;"
            " they claim it with “Forgot your password?”."
        ),
        filters=[_strip],
        validators=[Optional(), Length(min=2, max=60), _no_controls],
    )


class MoveForm(Form):
    direction = HiddenField(validators=[AnyOf(["up", "down"])])


class ArchiveForm(Form):
    archived = HiddenField(validators=[AnyOf(["0", "1"])])


def _usable_url(form, field) -> None:
    problem = url_problem(field.data or "")
    if field.data and problem:
        raise ValidationError(problem)


def _known_events(form, field) -> None:
    if any(name not in WEBHOOK_EVENTS for name in field.data or []):
        raise ValidationError("Choose among the listed events.")


class WebhookForm(Form):
    url = URLField(
        "Address",
        description="Where the board posts each event (https:// please): your receiver's URL.",
        validators=[
            DataRequired(message="Enter the address to post to."),
            Length(max=2000),
            _usable_url,
        ],
    )
    events = SelectMultipleField(
        "Events",
        choices=[SelectChoice(name, name) for name in WEBHOOK_EVENTS],
        validate_choice=False,
        validators=[InputRequired(message="Choose at least one event."), _known_events],
    )
