"""Every `flask --app ideaboard ...` command, registered in one place.

Each command parses its options, calls the rules in ideaboard/board/ (or the bench seeding),
and says what happened; none holds a rule of its own.
"""

import logging
import os
import signal
import threading
import time

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from ideaboard.benchseed.plan import DETAIL_COMMENTS, SeedError
from ideaboard.benchseed.seed import seed_board
from ideaboard.board.accounts import EmailTaken, create_user, find_user
from ideaboard.board.api_tokens import TokenRefused, issue_token
from ideaboard.board.backup import backup_sqlite
from ideaboard.board.categories import ensure_default_categories
from ideaboard.board.counters import rebuild_counters
from ideaboard.board.demo import DEMO_STAFF, seed_demo
from ideaboard.board.listening_rebuild import rebuild as rebuild_listening
from ideaboard.board.mail import mail_settings
from ideaboard.board.passwords import password_problem
from ideaboard.board.recovery import request_password_reset, reset_password_path
from ideaboard.board.schema import upgrade_schema
from ideaboard.board.version import bump_version
from ideaboard.board.webhooks import WebhookError, add_webhook, webhook_settings
from ideaboard.board.worker import run, run_once
from ideaboard.db import db, is_sqlite
from ideaboard.mailer import transport_for
from ideaboard.migrations import SchemaError
from ideaboard.models import ROLES, TOKEN_SCOPES, WEBHOOK_EVENTS


def _upgrade() -> tuple[int, int]:
    try:
        return upgrade_schema()
    except SchemaError as error:
        raise click.ClickException(str(error)) from None


@click.command("init-db")
def init_db_command() -> None:
    """Create the tables (or upgrade them) and the default categories."""
    _upgrade()
    with db.connection_context():
        ensure_default_categories()
    click.echo("Database ready.")


@click.command("db-upgrade")
def db_upgrade_command() -> None:
    """Bring the database schema to the version this code needs, keeping all data."""
    before, after = _upgrade()
    if before == 0:
        click.echo(f"Created the schema at version {after}.")
    elif before == after:
        click.echo(f"The schema is already at version {after}; nothing to do.")
    else:
        click.echo(f"Upgraded the schema from version {before} to {after}.")


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--password", required=True)
@click.option("--role", type=click.Choice(ROLES), default="member", show_default=True)
def create_user_command(email: str, name: str, password: str, role: str) -> None:
    """Create an account, e.g. the first staff member or admin."""
    problem = password_problem(password)
    if problem:
        raise click.BadParameter(problem, param_hint="--password")
    try:
        with db.connection_context():
            user = create_user(email, name, password, role, verified=True)
    except EmailTaken:
        raise click.ClickException(f"An account with the email {email} already exists.") from None
    click.echo(f"Created {user.role} {user.name} <{user.email}> (id {user.id}).")


@click.command("seed-demo")
def seed_demo_command() -> None:
    """Add demo users, ideas, votes, comments and status changes (idempotent)."""
    with db.connection_context():
        added = seed_demo()
    if not added:
        click.echo("Demo data is already there.")
        return
    click.echo(f"Demo data added. Staff login: {DEMO_STAFF[0]} / {DEMO_STAFF[1]}")


@click.command("rebuild-counters")
@click.option("--check", is_flag=True, help="Only report; exit with status 1 if anything is off.")
# At most 10,000: the wrong ideas of a batch are fixed in one statement with a parameter each,
# and SQLite accepts 32,766 parameters.
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=5000, show_default=True)
def rebuild_counters_command(check: bool, batch_size: int) -> None:
    """Recompute each idea's vote and comment counts and hot score from the rows."""
    with db.connection_context():
        drift = rebuild_counters(fix=not check, batch_size=batch_size)
        if drift.fixed:
            bump_version()
    click.echo(drift.summary())
    if drift.wrong_ids:
        if check:
            click.echo("Run without --check to fix them.")
            raise SystemExit(1)
        click.echo(f"Fixed {drift.fixed:,} ideas.")


@click.command("rebuild-listening")
@click.option("--check", is_flag=True, help="Only report; exit with status 1 if anything is off.")
def rebuild_listening_command(check: bool) -> None:
    """Recompute the /listening figures (and each idea's first response) from the rows."""
    with db.connection_context():
        found = rebuild_listening(fix=not check)
        if not check:
            # Even without drift, the days counted moved up to today.
            bump_version()
    click.echo(found.summary())
    if found.drifted and check:
        click.echo("Run without --check to fix them.")
        raise SystemExit(1)


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def backup_command(path: str) -> None:
    """Write a consistent copy of the live SQLite database to PATH (replaced atomically)."""
    if not is_sqlite():
        raise click.ClickException(
            "backup copies SQLite databases. For PostgreSQL use pg_dump, e.g. "
            '`pg_dump -Fc -f ideaboard.dump "$IDEABOARD_DATABASE_URL"` '
            "(see docs/OPERATIONS.md, Backups)."
        )
    source = db.obj.database
    if not os.path.isdir(os.path.dirname(os.path.abspath(path))):
        raise click.ClickException(f"There is no folder for {path}; create it first.")
    if os.path.exists(path) and os.path.samefile(path, source):
        raise click.ClickException("PATH is the live database itself; choose another file.")
    started = time.perf_counter()
    size = backup_sqlite(source, path)
    seconds = time.perf_counter() - started
    click.echo(f"Backed up {source} to {path}: {size / 1e6:.1f} MB in {seconds:.2f} s.")


@click.command("bench-seed")
@click.option("--ideas", type=click.IntRange(min=10), default=1000, show_default=True)
@click.option("--votes", type=click.IntRange(min=0), default=10_000, show_default=True)
@click.option(
    "--comments",
    type=click.IntRange(min=DETAIL_COMMENTS),
    default=2000,
    show_default=True,
    help=f"At least {DETAIL_COMMENTS}: one idea gets exactly that many.",
)
@click.option("--users", type=click.IntRange(min=2), default=1000, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option(
    "--end",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Newest possible date (UTC). Default: today at midnight.",
)
@click.option("--years", type=click.FloatRange(min=0.1), default=4.0, show_default=True)
def bench_seed_command(**options) -> None:
    """Fill an empty board with generated users, ideas, votes, comments and status history."""
    try:
        seed_board(**options, echo=click.echo)
    except (SeedError, SchemaError) as error:
        raise click.ClickException(str(error)) from None


def _settings_and_transport():
    config = current_app.config
    settings = mail_settings(config)
    return settings, lambda: transport_for(config["SMTP_URL"], config["MAIL_FOLDER"])


def _log_to_stderr() -> None:
    """The worker's own lines (and each mail written to a file) on stderr, as gunicorn's are."""
    logger = logging.getLogger("ideaboard")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


@click.command("worker")
@with_appcontext
@click.option("--once", is_flag=True, help="Do what is due now, then exit.")
def worker_command(once: bool) -> None:
    """Send mail and do all other deferred work; runs until stopped (Ctrl-C or SIGTERM)."""
    _log_to_stderr()
    settings, make_transport = _settings_and_transport()
    hooks = webhook_settings(current_app.config)
    if once:
        click.echo(run_once(make_transport(), settings, hooks=hooks).summary())
        return
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    run(make_transport, settings, current_app.config["WORKER_INTERVAL"], stop, hooks)


@click.command("add-webhook")
@with_appcontext
@click.option("--url", required=True, help="Where to post, e.g. https://hooks.example.com/ideas")
@click.option(
    "--events",
    required=True,
    help=f"Comma-separated, among: {', '.join(WEBHOOK_EVENTS)}",
)
def add_webhook_command(url: str, events: str) -> None:
    """Add an outgoing webhook and print its signing secret (also on /admin/webhooks)."""
    chosen = [name.strip() for name in events.split(",") if name.strip()]
    with db.connection_context():
        try:
            hook = add_webhook(url, chosen, actor=None)
        except WebhookError as error:
            raise click.UsageError(str(error)) from error
    click.echo(f"Webhook #{hook.id} posts {', '.join(hook.event_names)} to {hook.url}")
    click.echo(f"Signing secret: {hook.secret}")


@click.command("create-token")
@with_appcontext
@click.option("--email", required=True, help="The account the token acts for.")
@click.option(
    "--scopes",
    default="read",
    show_default=True,
    help=f"Comma-separated: {', '.join(TOKEN_SCOPES)}",
)
@click.option("--name", default="Command line", show_default=True, help="To tell tokens apart.")
def create_token_command(email: str, scopes: str, name: str) -> None:
    """Make a personal access token for the API and print it (it is shown only this once)."""
    with db.connection_context():
        user = find_user(email)
        if user is None:
            raise click.ClickException(f"There is no account with the email {email}.")
        chosen = [scope.strip() for scope in scopes.split(",") if scope.strip()]
        try:
            token, secret = issue_token(user, name, chosen)
        except TokenRefused as refused:
            raise click.UsageError(str(refused)) from refused
    click.echo(f"Token #{token.id} for {user.email}, scopes {token.scopes}:", err=True)
    click.echo(secret)


@click.command("reset-password")
@with_appcontext
@click.option("--email", required=True)
@click.option("--send", is_flag=True, help="Also mail the link to the account's address.")
def reset_password_command(email: str, send: bool) -> None:
    """Print a one-time link (valid for an hour) that sets a new password for an account."""
    settings = mail_settings(current_app.config)
    with db.connection_context():
        user = find_user(email)
        if user is None:
            raise click.ClickException(f"There is no account with the email {email}.")
        if send:
            request_password_reset(user.email, settings)
        click.echo(settings.link(reset_password_path(user, settings)))


COMMANDS = (
    create_token_command,
    init_db_command,
    db_upgrade_command,
    create_user_command,
    seed_demo_command,
    rebuild_counters_command,
    rebuild_listening_command,
    backup_command,
    bench_seed_command,
    worker_command,
    add_webhook_command,
    reset_password_command,
)


def init_app(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
