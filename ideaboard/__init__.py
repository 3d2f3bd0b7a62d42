"""IdeaBoard: customers post and vote on ideas, the team answers in public."""

import os

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from werkzeug.routing import IntegerConverter

from ideaboard import (
    assets,
    caching,
    db,
    errors,
    limits,
    pagecache,
    request_log,
    security,
    templating,
)

csrf = CSRFProtect()


class IdConverter(IntegerConverter):
    """Row ids in URLs: 1 up to the largest 32-bit key, so a huge number is a 404, not a crash."""

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=2**31 - 1)


def create_app(test_config: dict | None = None) -> Flask:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    app = Flask(
        __name__,
        instance_path=os.environ.get("IDEABOARD_INSTANCE_PATH", os.path.join(root, "instance")),
        template_folder=os.path.join(root, "templates"),
        static_folder=os.path.join(root, "static"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    from ideaboard.config import load_config

    app.config.update(load_config(app.instance_path))
    if test_config:
        app.config.update(test_config)
    security.init_app(app)
    request_log.init_app(app)
    app.url_map.converters["id"] = IdConverter

    db.init_app(app)
    csrf.init_app(app)
    limits.init_app(app)

    from ideaboard import (
        account,
        auth,
        demo,
        feeds,
        health,
        ideas,
        maintenance,
        migrations,
        roadmap,
        staff,
    )

    auth.login_manager.init_app(app)
    for module in (auth, account, ideas, staff, roadmap, feeds, health):
        app.register_blueprint(module.bp)
    app.cli.add_command(auth.create_user_command)
    app.cli.add_command(demo.seed_demo_command)
    app.cli.add_command(migrations.db_upgrade_command)
    app.cli.add_command(maintenance.rebuild_counters_command)
    app.cli.add_command(maintenance.backup_command)
    from ideaboard.benchseed import bench_seed_command

    app.cli.add_command(bench_seed_command)

    errors.init_app(app)
    templating.init_app(app)
    assets.init_app(app)
    caching.init_app(app)
    pagecache.init_app(app)
    return app
