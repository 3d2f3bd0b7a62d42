"""/listening's counts, kept by board/listening.py with every staff answer."""

from peewee import CompositeKey, ForeignKeyField, IntegerField

from ideaboard.db import BaseModel
from ideaboard.models.core import User

# /listening's counts: board/listening.py moves them with every staff answer and rebuilds them.


class ResponseTime(BaseModel):  # answered ideas per bucket of board/listening.BUCKETS
    bucket = IntegerField(primary_key=True)
    ideas = IntegerField(default=0)


class PostingDay(BaseModel):  # per day posted (since 1970, UTC): ideas, how soon answered
    day = IntegerField(primary_key=True)
    posted = IntegerField(default=0)  # counted when 30 days old (ListeningState.closed_before)
    answered = IntegerField(default=0)
    within_7_days = IntegerField(default=0)
    within_30_days = IntegerField(default=0)


class QuarterCount(BaseModel):  # ideas accepted (into accepted or later) and launched
    quarter = IntegerField()  # year * 10 + quarter: 20263 is July to September 2026
    category_id = IntegerField()  # 0: no category
    accepted = IntegerField(default=0)
    launched = IntegerField(default=0)

    class Meta:
        primary_key = CompositeKey("quarter", "category_id")


class StaffAnswers(BaseModel):  # status changes and official answers per person
    user = ForeignKeyField(User, primary_key=True, on_delete="CASCADE")
    answers = IntegerField(default=0)


# One row: PostingDay.posted counts the ideas up to last_idea_id on days before closed_before.
class ListeningState(BaseModel):
    id = IntegerField(primary_key=True)
    closed_before = IntegerField()
    last_idea_id = IntegerField()
