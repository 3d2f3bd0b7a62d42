"""Version 13: outgoing webhooks and their deliveries."""

from peewee import (
    AutoField,
    CharField,
    Database,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)


def v13(migrator, database: Database) -> None:
    """The webhook and webhookdelivery tables (frozen copies of models/integrations.py)."""

    class User(database.Model):
        class Meta:
            table_name = "user"

    class Webhook(database.Model):
        id = AutoField()
        url = TextField()
        events = TextField()
        secret = CharField(max_length=100)
        created_by = ForeignKeyField(User, field=User.id, null=True, on_delete="SET NULL")
        created_at = DateTimeField()

    class WebhookDelivery(database.Model):
        id = AutoField()
        webhook = ForeignKeyField(Webhook, on_delete="CASCADE")
        event = CharField(max_length=40)
        data = TextField()
        created_at = DateTimeField()
        status = CharField(max_length=10)
        attempts = IntegerField()
        next_attempt_at = DateTimeField()
        response_code = IntegerField(null=True)
        last_error = TextField()
        delivered_at = DateTimeField(null=True)

        class Meta:
            table_name = "webhookdelivery"
            indexes = ((("status", "next_attempt_at"), False), (("webhook", "id"), False))

    database.create_tables([Webhook, WebhookDelivery], safe=True)
