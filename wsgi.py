"""Entry point for gunicorn: `gunicorn wsgi:app`."""

from ideaboard import create_app

app = create_app()
