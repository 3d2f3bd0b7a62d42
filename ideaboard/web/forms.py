"""Every form the site accepts, with its field rules and messages (Flask-WTF adds CSRF)."""

from flask import request
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    ValidationError,
)

from ideaboard.board.categories import list_categories
from ideaboard.board.deletion import DELETE, KEEP
from ideaboard.board.moderation import DETAILS_MAX as FLAG_DETAILS_MAX
from ideaboard.board.moderation import HIDE_REASON_MAX
from ideaboard.board.moderation import REASONS as FLAG_REASONS
from ideaboard.board.passwords import MAX_LENGTH, MIN_LENGTH, RECOMMENDED_LENGTH, password_problem
from ideaboard.models import STATUS_LABELS
from ideaboard.text import CONTROL_CHARACTERS

TITLE_MAX = 120
BODY_MAX = 10_000
COMMENT_MAX = 5_000
NOTE_MAX = 5_000


SUBMIT_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_FROM_REQUEST = object()


class Form(FlaskForm):
    """Base of every form here: its fields come from the form body, and only from there."""

    def __init__(self, formdata=_FROM_REQUEST, **kwargs):
        if formdata is _FROM_REQUEST:
            # Flask-WTF would also read uploads and JSON bodies into the fields, where a file
            # object, a number or a JSON array makes the validators raise. We accept neither.
            formdata = request.form if request.method in SUBMIT_METHODS else None
        super().__init__(formdata=formdata, **kwargs)


def status_choices(exclude: str | None = None) -> list[SelectChoice]:
    return [SelectChoice(key, label) for key, label in STATUS_LABELS.items() if key != exclude]


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _no_controls(form, field) -> None:
    """Control characters are never meant, break PostgreSQL (NUL) and XML feeds; refuse them."""
    if field.data and CONTROL_CHARACTERS.search(field.data):
        raise ValidationError("This field contains a character that is not allowed.")


def _password_policy(form, field) -> None:
    """Length and the common-passwords list, with the same messages as `flask create-user`."""
    problem = password_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


PASSWORD_HELP = (
    f"{MIN_LENGTH} to {MAX_LENGTH} characters. We recommend {RECOMMENDED_LENGTH} or more: "
    "a phrase of a few unrelated words is easy to remember and hard to guess."
)


def _email_field(label: str) -> EmailField:
    return EmailField(
        label, filters=[_strip], validators=[DataRequired(), Email(), Length(max=254), _no_controls]
    )


def _name_field() -> StringField:
    return StringField(
        "Display name",
        description="Shown next to your ideas and comments.",
        filters=[_strip],
        validators=[DataRequired(), Length(min=2, max=60), _no_controls],
    )


def _new_password_field(label: str) -> PasswordField:
    return PasswordField(
        label,
        description=PASSWORD_HELP,
        validators=[DataRequired(), _no_controls, _password_policy],
    )


def _confirm_field() -> PasswordField:
    return PasswordField(
        "Repeat password",
        validators=[DataRequired(), EqualTo("password", message="The passwords do not match.")],
    )


def _current_password_field(**kwargs) -> PasswordField:
    return PasswordField(
        "Current password",
        description="To make sure it is you.",
        validators=[DataRequired(), Length(max=MAX_LENGTH), _no_controls],
        **kwargs,
    )


class RegisterForm(Form):
    email = _email_field("Email")
    name = _name_field()
    password = _new_password_field("Password")
    confirm = _confirm_field()


class NameForm(Form):
    name = _name_field()


class EmailForm(Form):
    email = _email_field("New email")
    # Its own HTML id: the password form on the same page has a current_password field too.
    current_password = _current_password_field(id="email-current_password")


class PasswordForm(Form):
    current_password = _current_password_field()
    password = _new_password_field("New password")
    confirm = _confirm_field()


class LoginForm(Form):
    email = EmailField(
        "Email", filters=[_strip], validators=[DataRequired(), Length(max=254), _no_controls]
    )
    password = PasswordField("Password", validators=[DataRequired(), Length(max=128), _no_controls])
    remember = BooleanField("Keep me signed in for 30 days")


class ForgotPasswordForm(Form):
    email = EmailField(
        "Email",
        description="The address of your account. We mail it a link to choose a new password.",
        filters=[_strip],
        validators=[DataRequired(), Email(), Length(max=254), _no_controls],
    )


class ResetPasswordForm(Form):
    password = _new_password_field("New password")
    confirm = _confirm_field()


MAIL_MODE_CHOICES = [
    SelectChoice("instant", "At once"),
    SelectChoice("daily", "In a daily digest"),
    SelectChoice("never", "Never"),
]


def _mail_mode(label: str) -> SelectField:
    return SelectField(label, choices=MAIL_MODE_CHOICES)


class MailSettingsForm(Form):
    # A merge of an idea one follows is a change of status of sorts (board/notifications.py).
    mail_status = _mail_mode("Status changes and merges, with the team's note")
    mail_answers = _mail_mode("Official answers from the team")
    mail_comments = _mail_mode("New comments")
    mail_changelog = _mail_mode("Release notes that ship an idea I follow")
    follow_own = BooleanField("Ideas I post")
    follow_voted = BooleanField("Ideas I vote for")
    follow_commented = BooleanField("Ideas I comment on")


class ChangelogForm(Form):
    title = StringField(
        "Title",
        description="What shipped, in a few words: “Oat milk at every store”.",
        validators=[DataRequired(), Length(max=TITLE_MAX), _no_controls],
    )
    body = TextAreaField(
        "Release note",
        description="What changed and for whom. Markdown is supported.",
        validators=[Length(max=BODY_MAX), _no_controls],
    )
    ideas = StringField(
        "Ideas it delivers",
        description="Their numbers, as in the address /ideas/12: for example 12, 31.",
        filters=[_strip],
        validators=[Length(max=500), _no_controls],
    )
    mark_launched = BooleanField("Mark these ideas launched, with this post as the signed note")


class IdeaForm(Form):
    title = StringField(
        "Title",
        description=f"One sentence that says what you would like. Up to {TITLE_MAX} characters.",
        validators=[DataRequired(), Length(max=TITLE_MAX), _no_controls],
    )
    category = SelectField(
        "Category", coerce=int, default=0, description="Optional: helps others find it."
    )
    body = TextAreaField(
        "Details",
        description="Why it matters and how it could work. Markdown is supported.",
        validators=[Length(max=BODY_MAX), _no_controls],
    )


def idea_form(idea=None, formdata=_FROM_REQUEST, **options) -> IdeaForm:
    """The idea form with the categories one may choose (the pages' and the API's)."""
    form = IdeaForm(formdata=formdata, obj=idea, **options)
    offered = list_categories()
    # An archived category takes no new ideas, but an idea filed there keeps it when edited.
    if idea is not None and idea.category_id and idea.category_id not in {c.id for c in offered}:
        offered.append(idea.category)
    # A blank first choice, so nobody files an idea under a category they never picked.
    form.category.choices = [SelectChoice(0, "No category")] + [
        SelectChoice(c.id, c.name) for c in offered
    ]
    return form


class CommentForm(Form):
    body = TextAreaField(
        "Your comment",
        description="Markdown is supported.",
        validators=[DataRequired(), Length(max=COMMENT_MAX), _no_controls],
    )


CHOOSE_REASON = "Choose why the moderators should look at this."


class FlagForm(Form):
    reason = RadioField(
        "Why should the moderators look at this?",
        choices=[SelectChoice(code, label) for code, label in FLAG_REASONS.items()],
        # The validators say it in words; the built-in check would only say "Not a valid choice".
        validate_choice=False,
        validators=[InputRequired(CHOOSE_REASON), AnyOf(list(FLAG_REASONS), CHOOSE_REASON)],
    )
    details = TextAreaField(
        "Anything to add? (optional)",
        description="Only the moderators read this: for example, which idea it duplicates.",
        filters=[_strip],
        validators=[Length(max=FLAG_DETAILS_MAX), _no_controls],
    )


class HideForm(Form):
    reason = StringField(
        "Reason shown to the author",
        description="Optional. The author sees it on their hidden idea; nobody else does.",
        filters=[_strip],
        validators=[Length(max=HIDE_REASON_MAX), _no_controls],
    )


class StatusForm(Form):
    status = SelectField("New status", choices=status_choices())
    note = TextAreaField(
        "Public note",
        description="Shown on the idea under your name. Say why, and what happens next.",
        validators=[DataRequired(), Length(max=NOTE_MAX), _no_controls],
    )


class CategoryForm(Form):
    name = StringField("Category name", validators=[DataRequired(), Length(max=60), _no_controls])


BIO_MAX = 500


def _one_newline(value: str | None) -> str | None:
    """Browsers send a line break as CR LF but count it as one character against maxlength."""
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


class BioForm(Form):
    bio = TextAreaField(
        "About you",
        description=f"Shown on your public profile. Up to {BIO_MAX} characters; Markdown works.",
        filters=[_one_newline],
        validators=[Length(max=BIO_MAX), _no_controls],
    )


DELETE_CHOICES = [
    SelectChoice(KEEP, "Keep my ideas and comments on the board, shown as “Deleted user”"),
    SelectChoice(DELETE, "Delete my ideas and comments with my account"),
]
CHOOSE_CONTENT = "Choose what happens to your ideas and comments."


class DeleteAccountForm(Form):
    current_password = _current_password_field()
    content = RadioField(
        "Your ideas and comments",
        choices=DELETE_CHOICES,
        # The validators say it in words; the built-in check would only say "Not a valid choice".
        validate_choice=False,
        validators=[
            InputRequired(message=CHOOSE_CONTENT),
            AnyOf([KEEP, DELETE], message=CHOOSE_CONTENT),
        ],
    )


class MergeForm(Form):
    """The idea a duplicate is merged into: its number or its address (web/merge.py reads it)."""

    original = StringField(
        "Original idea",
        description="Its number, as in the address /ideas/12, or its whole address.",
        filters=[_strip],
        validators=[
            DataRequired(message="Give the number or the address of the idea to merge into."),
            Length(max=500),
            _no_controls,
        ],
    )


SCOPE_LABELS = {
    "read": "read: what you can see, and your own account",
    "write": "write: post, edit, vote, comment and follow as you",
    "staff": "staff: change statuses and publish release notes under your name",
}


class TokenForm(Form):
    name = StringField(
        "Token name",
        description="What it is for, to tell your tokens apart: “Jira sync”, “my script”.",
        filters=[_strip],
        validators=[DataRequired("Name the token."), Length(max=60), _no_controls],
    )
    scopes = SelectMultipleField(
        "What it may do",
        choices=[SelectChoice(name, label) for name, label in SCOPE_LABELS.items()],
        validate_choice=False,
        validators=[InputRequired("Choose at least one scope.")],
    )
