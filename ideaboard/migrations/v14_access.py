"""Version 14: personal access tokens for the API, and accounts linked by OpenID Connect."""

from peewee import AutoField, CharField, Database, DateTimeField, ForeignKeyField


def v14(migrator, database: Database) -> None:
    """The apitoken and linkedaccount tables (frozen copies of models/integrations.py)."""

    class User(database.Model):
        class Meta:
            table_name = "user"

    class ApiToken(database.Model):
        id = AutoField()
        user = ForeignKeyField(User, field=User.id, on_delete="CASCADE")
        name = CharField(max_length=60)
        token_hash = CharField(max_length=64, unique=True)
        prefix = CharField(max_length=16)
        scopes = CharField(max_length=40)
        created_at = DateTimeField()
        last_used_at = DateTimeField(null=True)

        class Meta:
            table_name = "apitoken"

    class LinkedAccount(database.Model):
        id = AutoField()
        user = ForeignKeyField(User, field=User.id, on_delete="CASCADE")
        provider = CharField(max_length=40)
        subject = CharField(max_length=255)
        email = CharField(max_length=254)
        created_at = DateTimeField()
        last_used_at = DateTimeField(null=True)

        class Meta:
            table_name = "linkedaccount"
            indexes = ((("provider", "subject"), True),)

    database.create_tables([ApiToken, LinkedAccount], safe=True)
