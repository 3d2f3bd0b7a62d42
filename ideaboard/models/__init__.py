"""The tables, by what they serve; import them from here (`from ideaboard.models import Idea`)."""

from ideaboard.models.core import *  # noqa: F403
from ideaboard.models.core import (
    Category,
    Comment,
    Idea,
    StatusChange,
    User,
    UserSession,
    Vote,
)
from ideaboard.models.curation import *  # noqa: F403
from ideaboard.models.curation import AuditEntry, Flag, Merge, StaffNote
from ideaboard.models.integrations import *  # noqa: F403
from ideaboard.models.integrations import ApiToken, LinkedAccount, Webhook, WebhookDelivery
from ideaboard.models.listening import *  # noqa: F403
from ideaboard.models.listening import (
    ListeningState,
    PostingDay,
    QuarterCount,
    ResponseTime,
    StaffAnswers,
)
from ideaboard.models.loop import *  # noqa: F403
from ideaboard.models.loop import (
    ChangelogIdea,
    ChangelogPost,
    Event,
    Follow,
    Notification,
    OutgoingMail,
)

# In creation order: every table after those it points at.
ALL_MODELS = [
    User,
    UserSession,
    Category,
    Idea,
    Vote,
    Comment,
    StatusChange,
    Follow,
    ChangelogPost,
    ChangelogIdea,
    Merge,
    Event,
    Notification,
    OutgoingMail,
    ResponseTime,
    PostingDay,
    QuarterCount,
    StaffAnswers,
    ListeningState,
    Flag,
    StaffNote,
    AuditEntry,
    Webhook,
    WebhookDelivery,
    ApiToken,
    LinkedAccount,
]
