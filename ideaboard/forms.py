"""Every form the site accepts, with its field rules and messages (Flask-WTF adds CSRF)."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from ideaboard.models import STATUS_LABELS

TITLE_MAX = 120
BODY_MAX = 10_000
COMMENT_MAX = 5_000
NOTE_MAX = 5_000


def status_choices(exclude: str | None = None) -> list[SelectChoice]:
    return [SelectChoice(key, label) for key, label in STATUS_LABELS.items() if key != exclude]


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _no_nul(form, field) -> None:
    """NUL bytes break PostgreSQL text columns and are never meant; refuse them politely."""
    if field.data and "\x00" in field.data:
        raise ValidationError("This field contains a character that is not allowed.")


class RegisterForm(FlaskForm):
    email = EmailField(
        "Email",
        filters=[_strip],
        validators=[DataRequired(), Email(), Length(max=254), _no_nul],
    )
    name = StringField(
        "Display name",
        description="Shown next to your ideas and comments.",
        validators=[DataRequired(), Length(min=2, max=60), _no_nul],
    )
    password = PasswordField(
        "Password",
        description="At least 8 characters; a longer passphrase is better.",
        validators=[DataRequired(), Length(min=8, max=128), _no_nul],
    )
    confirm = PasswordField(
        "Repeat password",
        validators=[DataRequired(), EqualTo("password", message="The passwords do not match.")],
    )


class LoginForm(FlaskForm):
    email = EmailField(
        "Email", filters=[_strip], validators=[DataRequired(), Length(max=254), _no_nul]
    )
    password = PasswordField("Password", validators=[DataRequired(), Length(max=128), _no_nul])
    remember = BooleanField("Keep me signed in for 30 days")


class IdeaForm(FlaskForm):
    title = StringField(
        "Title",
        description=f"One sentence that says what you would like. Up to {TITLE_MAX} characters.",
        validators=[DataRequired(), Length(max=TITLE_MAX), _no_nul],
    )
    category = SelectField(
        "Category", coerce=int, default=0, description="Optional: helps others find it."
    )
    body = TextAreaField(
        "Details",
        description="Why it matters and how it could work. Markdown is supported.",
        validators=[Length(max=BODY_MAX), _no_nul],
    )


class CommentForm(FlaskForm):
    body = TextAreaField(
        "Your comment",
        description="Markdown is supported.",
        validators=[DataRequired(), Length(max=COMMENT_MAX), _no_nul],
    )


class StatusForm(FlaskForm):
    status = SelectField("New status", choices=status_choices())
    note = TextAreaField(
        "Public note",
        description="Shown on the idea under your name. Say why, and what happens next.",
        validators=[DataRequired(), Length(max=NOTE_MAX), _no_nul],
    )


class CategoryForm(FlaskForm):
    name = StringField("Category name", validators=[DataRequired(), Length(max=60), _no_nul])
