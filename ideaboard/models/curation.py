"""Curating the board: merges, flags, staff-only notes and the append-only audit log."""

from peewee import AutoField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from ideaboard.db import BaseModel
from ideaboard.models.core import Comment, Idea, User, utcnow


class Merge(BaseModel):
    """A duplicate folded into an original: what moved, so that unmerging restores it."""

    id = AutoField()
    duplicate = ForeignKeyField(Idea, backref="merges_out", on_delete="CASCADE")
    original = ForeignKeyField(Idea, backref="merges_in", on_delete="CASCADE")
    actor = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    created_at = DateTimeField(default=utcnow)
    votes_moved = IntegerField(default=0)
    followers_moved = IntegerField(default=0)
    undone_at = DateTimeField(null=True)
    undone_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")


# What a flag's review decided (Flag.resolution).
FLAG_HIDDEN, FLAG_DISMISSED = "hidden", "dismissed"


class Flag(BaseModel):
    """Someone signed in asked staff to look at an idea or a comment."""

    id = AutoField()
    reporter = ForeignKeyField(User, backref="flags", on_delete="CASCADE")
    idea = ForeignKeyField(Idea, backref="flags", on_delete="CASCADE")
    # Set when the flag is about one of the idea's comments.
    comment = ForeignKeyField(Comment, null=True, backref="flags", on_delete="CASCADE")
    reason = TextField()
    created_at = DateTimeField(default=utcnow)
    resolved_at = DateTimeField(null=True)
    resolved_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    resolution = CharField(max_length=10, null=True)

    class Meta:
        # The moderation queue: open flags, oldest first.
        indexes = ((("resolved_at", "id"), False),)


class StaffNote(BaseModel):
    """A note on an idea that only staff see (the customer-facing answer is a comment)."""

    id = AutoField()
    idea = ForeignKeyField(Idea, backref="staff_notes", on_delete="CASCADE", index=False)
    author = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    body = TextField()
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("idea", "created_at"), False),)


class AuditEntry(BaseModel):
    """One staff or admin action. Append-only: triggers refuse UPDATE and DELETE
    (migrations.create_extras), and no column points at another table, so deleting an
    account or an idea never rewrites the record of what was done to it."""

    id = AutoField()
    created_at = DateTimeField(default=utcnow)
    actor_id = IntegerField(null=True)
    actor_name = CharField(max_length=60)
    # board/audit.ACTIONS: status, merge, unmerge, hide, restore, suspend, role, category...
    action = CharField(max_length=30)
    idea_id = IntegerField(null=True)
    user_id = IntegerField(null=True)
    category_id = IntegerField(null=True)
    # What a reader sees ("Merged #12 into #7: 31 votes, 4 followers moved").
    summary = TextField()
    # The same facts as JSON, for tools.
    detail = TextField(default="{}")

    class Meta:
        indexes = (
            (("action", "id"), False),
            (("actor_id", "id"), False),
            (("idea_id", "id"), False),
            (("user_id", "id"), False),
        )
