"""IdeaBoard: customers post and vote on ideas, the team answers in public."""

import os

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from werkzeug.routing import IntegerConverter

from ideaboard import cli
from ideaboard.config import load_config
from ideaboard.db import close_if_open, connect_if_closed, use_database
from ideaboard.web import (
    access_tokens,
    account,
    admin,
    api,
    assets,
    auth,
    changelog,
    comments,
    embed,
    errors,
    feeds,
    health,
    idea_staff,
    ideas,
    listening,
    login,
    merge,
    moderation,
    notifications,
    oidc,
    page_cache,
    people,
    recovery,
    request_log,
    revalidation,
    roadmap,
    search,
    security,
    staff,
    templating,
    throttling,
    webhooks,
)

BLUEPRINTS = (
    auth,
    oidc,
    recovery,
    account,
    access_tokens,
    ideas,
    search,
    comments,
    people,
    notifications,
    staff,
    merge,
    moderation,
    idea_staff,
    admin,
    webhooks,
    roadmap,
    changelog,
    listening,
    feeds,
    embed,
    health,
    api,
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
    app.config.update(load_config(app.instance_path))
    if test_config:
        app.config.update(test_config)

    # Order matters: before-request hooks run in this order, after-request ones in reverse.
    security.init_app(app)
    request_log.init_app(app)
    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["api_id"] = api.ApiIdConverter
    use_database(app.config["DATABASE_URL"])
    # One pooled connection per request: taken before the view, given back after it.
    app.before_request(connect_if_closed)
    app.teardown_request(lambda exc: close_if_open())
    csrf.init_app(app)
    # One-click unsubscribe (RFC 8058) posts with no cookie and no form token: its signed
    # link is the proof.
    csrf.exempt("ideaboard.web.notifications.unsubscribe")
    throttling.init_app(app)
    login.init_app(app)
    # The API checks the CSRF token itself, for browser sessions only: a bearer token is not
    # something another site can make a browser send (web/api/endpoint.py).
    csrf.exempt(api.bp)
    for module in BLUEPRINTS:
        app.register_blueprint(module.bp)
    app.register_blueprint(api.docs_bp)
    cli.init_app(app)
    errors.init_app(app)
    templating.init_app(app)
    assets.init_app(app)
    revalidation.init_app(app)
    page_cache.init_app(app)
    return app
