"""Version 12: the search index over ideas' titles, bodies and visible comments.

One document per idea, in a table of its own, kept in step by triggers in the database, so no
code path (posting, editing, merging, hiding, deleting, a bulk fix by hand) can forget it:

- SQLite: an FTS5 table `idea_search` (rowid = idea id; columns title, body, comments; porter
  stemming, diacritics folded);
- PostgreSQL: a table `idea_search` (idea_id; document, a tsvector of the title weighted A,
  body B and comments C; title_document, the title's alone, so title matches come from an
  index of their own, not from checking weights row by row), each with a GIN index; its
  foreign key to the idea deletes the row with the idea (and TRUNCATE idea … CASCADE
  empties it).

Which ideas may be shown (hidden, merged, pending review) is decided when searching, from the
idea row: the index only holds text. Hidden comments are left out of the index.
"""

from peewee import Database

from ideaboard.db import is_sqlite

SEARCH_TABLE = "idea_search"
# PostgreSQL's text search configuration; SQLite's tokenizer is named in the FTS5 table.
TEXT_CONFIG = "english"
SQLITE_TOKENIZER = "porter unicode61 remove_diacritics 2"

# The visible comments of one idea, oldest first, as one text.
_SQLITE_COMMENTS = (
    "(SELECT coalesce(group_concat(body, char(10)), '') FROM (SELECT body FROM comment"
    " WHERE idea_id = {idea} AND hidden_at IS NULL ORDER BY id))"
)
_SQLITE_TRIGGERS = {
    "idea_search_idea_insert": "AFTER INSERT ON idea BEGIN"
    f" DELETE FROM {SEARCH_TABLE} WHERE rowid = new.id;"
    f" INSERT INTO {SEARCH_TABLE} (rowid, title, body, comments)"
    " VALUES (new.id, new.title, new.body, ''); END",
    "idea_search_idea_update": "AFTER UPDATE OF title, body ON idea"
    " WHEN old.title IS NOT new.title OR old.body IS NOT new.body BEGIN"
    f" UPDATE {SEARCH_TABLE} SET title = new.title, body = new.body WHERE rowid = new.id; END",
    "idea_search_idea_delete": "AFTER DELETE ON idea BEGIN"
    f" DELETE FROM {SEARCH_TABLE} WHERE rowid = old.id; END",
    "idea_search_comment_insert": "AFTER INSERT ON comment WHEN new.hidden_at IS NULL BEGIN"
    f" UPDATE {SEARCH_TABLE} SET comments = "
    + _SQLITE_COMMENTS.format(idea="new.idea_id")
    + " WHERE rowid = new.idea_id; END",
    "idea_search_comment_update": "AFTER UPDATE OF body, hidden_at, idea_id ON comment"
    " WHEN old.body IS NOT new.body OR (old.hidden_at IS NULL) <> (new.hidden_at IS NULL)"
    " OR old.idea_id IS NOT new.idea_id BEGIN"
    f" UPDATE {SEARCH_TABLE} SET comments = "
    + _SQLITE_COMMENTS.format(idea="old.idea_id")
    + " WHERE rowid = old.idea_id;"
    f" UPDATE {SEARCH_TABLE} SET comments = "
    + _SQLITE_COMMENTS.format(idea="new.idea_id")
    + " WHERE rowid = new.idea_id AND new.idea_id IS NOT old.idea_id; END",
    "idea_search_comment_delete": "AFTER DELETE ON comment WHEN old.hidden_at IS NULL BEGIN"
    f" UPDATE {SEARCH_TABLE} SET comments = "
    + _SQLITE_COMMENTS.format(idea="old.idea_id")
    + " WHERE rowid = old.idea_id; END",
}

# An idea's document from its own text and its visible comments' text. Angle brackets become
# spaces: PostgreSQL's parser drops whatever looks like an HTML tag, and text with it
# ("<script>alert(1)</script>" loses "alert"), where SQLite's tokenizer keeps every word.
_PG_TITLE = f"to_tsvector('{TEXT_CONFIG}', translate({{title}}, '<>', '  '))"
_PG_DOCUMENT = (
    f"setweight(to_tsvector('{TEXT_CONFIG}', translate({{title}}, '<>', '  ')), 'A')"
    f" || setweight(to_tsvector('{TEXT_CONFIG}', translate({{body}}, '<>', '  ')), 'B')"
    f" || setweight(to_tsvector('{TEXT_CONFIG}',"
    " translate(coalesce({comments}, ''), '<>', '  ')), 'C')"
)
_PG_INDEXED = ("title_document", "document")
_PG_COMMENTS = (
    "(SELECT string_agg(c.body, E'\\n' ORDER BY c.id) FROM comment c"
    " WHERE c.idea_id = {idea} AND c.hidden_at IS NULL)"
)
_PG_FUNCTIONS = (
    # Lock the idea first (as its own UPDATEs do), then read its comments in a statement of
    # its own: that statement's snapshot comes after the lock, so a comment another
    # transaction committed meanwhile is not lost (READ COMMITTED). NO KEY UPDATE does not
    # conflict with the key-share locks that new comments' foreign keys take.
    "CREATE OR REPLACE FUNCTION idea_search_refresh(ids integer[]) RETURNS void"
    " LANGUAGE plpgsql AS $$ BEGIN"
    " PERFORM 1 FROM idea WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE;"
    f" UPDATE {SEARCH_TABLE} s SET title_document = "
    + _PG_TITLE.format(title="i.title")
    + ", document = "
    + _PG_DOCUMENT.format(title="i.title", body="i.body", comments=_PG_COMMENTS.format(idea="i.id"))
    + " FROM idea i WHERE i.id = s.idea_id AND s.idea_id = ANY(ids); END $$",
    "CREATE OR REPLACE FUNCTION idea_search_idea_insert() RETURNS trigger LANGUAGE plpgsql AS"
    f" $$ BEGIN INSERT INTO {SEARCH_TABLE} (idea_id, title_document, document) VALUES (new.id, "
    + _PG_TITLE.format(title="new.title")
    + ", "
    + _PG_DOCUMENT.format(title="new.title", body="new.body", comments="NULL")
    + ") ON CONFLICT (idea_id) DO UPDATE SET title_document = excluded.title_document,"
    " document = excluded.document;"
    " RETURN NULL; END $$",
    "CREATE OR REPLACE FUNCTION idea_search_idea_update() RETURNS trigger LANGUAGE plpgsql AS"
    " $$ BEGIN PERFORM idea_search_refresh(ARRAY[new.id]); RETURN NULL; END $$",
    # Statement-level: a delete of many comments (an account's) refreshes each idea once.
    "CREATE OR REPLACE FUNCTION idea_search_comment_changed() RETURNS trigger"
    " LANGUAGE plpgsql AS $$ BEGIN"
    " IF TG_OP = 'INSERT' THEN PERFORM idea_search_refresh(ARRAY("
    "SELECT DISTINCT idea_id FROM changed_new WHERE hidden_at IS NULL));"
    " ELSIF TG_OP = 'DELETE' THEN PERFORM idea_search_refresh(ARRAY("
    "SELECT DISTINCT idea_id FROM changed_old WHERE hidden_at IS NULL));"
    " ELSE PERFORM idea_search_refresh(ARRAY(SELECT n.idea_id FROM changed_new n"
    " JOIN changed_old o ON o.id = n.id WHERE n.body IS DISTINCT FROM o.body"
    " OR (n.hidden_at IS NULL) <> (o.hidden_at IS NULL) OR n.idea_id <> o.idea_id"
    " UNION SELECT o.idea_id FROM changed_new n JOIN changed_old o ON o.id = n.id"
    " WHERE n.idea_id <> o.idea_id));"
    " END IF; RETURN NULL; END $$",
)
_PG_TRIGGERS = {
    "idea_search_idea_insert": "AFTER INSERT ON idea FOR EACH ROW"
    " EXECUTE FUNCTION idea_search_idea_insert()",
    "idea_search_idea_update": "AFTER UPDATE OF title, body ON idea FOR EACH ROW"
    " WHEN (old.title IS DISTINCT FROM new.title OR old.body IS DISTINCT FROM new.body)"
    " EXECUTE FUNCTION idea_search_idea_update()",
    "idea_search_comment_insert": "AFTER INSERT ON comment REFERENCING NEW TABLE AS changed_new"
    " FOR EACH STATEMENT EXECUTE FUNCTION idea_search_comment_changed()",
    "idea_search_comment_update": "AFTER UPDATE ON comment REFERENCING OLD TABLE AS changed_old"
    " NEW TABLE AS changed_new FOR EACH STATEMENT EXECUTE FUNCTION idea_search_comment_changed()",
    "idea_search_comment_delete": "AFTER DELETE ON comment REFERENCING OLD TABLE AS changed_old"
    " FOR EACH STATEMENT EXECUTE FUNCTION idea_search_comment_changed()",
}


def v12(migrator, database: Database) -> None:
    """Full-text search: the index table, the triggers that keep it, and every idea in it;
    and an index of lower-cased titles, for exact duplicates of a title being posted."""
    database.execute_sql("CREATE INDEX IF NOT EXISTS idea_title_lower ON idea (lower(title))")
    create_search_index(database)
    fill_search_index(database)


def create_search_index(database: Database) -> None:
    """The index table and its triggers (empty on a new board). Safe to run again."""
    if is_sqlite(database):
        database.execute_sql(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {SEARCH_TABLE} USING fts5"
            f"(title, body, comments, tokenize = '{SQLITE_TOKENIZER}')"
        )
    else:
        database.execute_sql(
            f"CREATE TABLE IF NOT EXISTS {SEARCH_TABLE} (idea_id integer PRIMARY KEY"
            " REFERENCES idea (id) ON DELETE CASCADE, title_document tsvector NOT NULL,"
            " document tsvector NOT NULL)"
        )
        for column in _PG_INDEXED:
            database.execute_sql(
                f"CREATE INDEX IF NOT EXISTS {SEARCH_TABLE}_{column} ON {SEARCH_TABLE}"
                f" USING gin ({column})"
            )
        for sql in _PG_FUNCTIONS:
            database.execute_sql(sql)
    create_search_triggers(database)


def create_search_triggers(database: Database) -> None:
    if is_sqlite(database):
        for name, body in _SQLITE_TRIGGERS.items():
            database.execute_sql(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")
        return
    for name, body in _PG_TRIGGERS.items():
        table = "idea" if name.startswith("idea_search_idea") else "comment"
        database.execute_sql(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        database.execute_sql(f"CREATE TRIGGER {name} {body}")


def drop_search_triggers(database: Database) -> None:
    """For bulk loads, which fill the index once at the end (fill_search_index)."""
    for name in _SQLITE_TRIGGERS if is_sqlite(database) else _PG_TRIGGERS:
        if is_sqlite(database):
            database.execute_sql(f"DROP TRIGGER IF EXISTS {name}")
        else:
            table = "idea" if name.startswith("idea_search_idea") else "comment"
            database.execute_sql(f"DROP TRIGGER IF EXISTS {name} ON {table}")


def fill_search_index(database: Database) -> None:
    """Every idea indexed again from its rows, in one statement (not row by row)."""
    if is_sqlite(database):
        database.execute_sql(f"DELETE FROM {SEARCH_TABLE}")
        database.execute_sql(
            f"INSERT INTO {SEARCH_TABLE} (rowid, title, body, comments)"
            " SELECT i.id, i.title, i.body, coalesce(c.text, '') FROM idea i LEFT JOIN"
            " (SELECT idea_id, group_concat(body, char(10)) AS text FROM (SELECT idea_id, body"
            " FROM comment WHERE hidden_at IS NULL ORDER BY idea_id, id) GROUP BY idea_id) c"
            " ON c.idea_id = i.id ORDER BY i.id"
        )
        # One b-tree per term instead of many small segments: fewer pages per lookup.
        database.execute_sql(f"INSERT INTO {SEARCH_TABLE} ({SEARCH_TABLE}) VALUES ('optimize')")
        return
    # The GIN index is built once after the rows, much faster than row by row.
    for column in _PG_INDEXED:
        database.execute_sql(f"DROP INDEX IF EXISTS {SEARCH_TABLE}_{column}")
    database.execute_sql(f"TRUNCATE {SEARCH_TABLE}")
    database.execute_sql(
        f"INSERT INTO {SEARCH_TABLE} (idea_id, title_document, document) SELECT i.id, "
        + _PG_TITLE.format(title="i.title")
        + ", "
        + _PG_DOCUMENT.format(title="i.title", body="i.body", comments="c.text")
        + " FROM idea i LEFT JOIN (SELECT idea_id, string_agg(body, E'\\n' ORDER BY id) AS text"
        " FROM comment WHERE hidden_at IS NULL GROUP BY idea_id) c ON c.idea_id = i.id"
    )
    database.execute_sql("SET LOCAL maintenance_work_mem = '256MB'")
    for column in _PG_INDEXED:
        database.execute_sql(
            f"CREATE INDEX {SEARCH_TABLE}_{column} ON {SEARCH_TABLE} USING gin ({column})"
        )
    database.execute_sql(f"ANALYZE {SEARCH_TABLE}")
