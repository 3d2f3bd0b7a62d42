"""Production gunicorn settings, used by `make run`; every value can be set by environment."""

import multiprocessing
import os

bind = os.environ.get("IDEABOARD_BIND", "127.0.0.1:8000")
# The classic rule of thumb for sync workers: two per core, plus one.
workers = int(os.environ.get("IDEABOARD_WORKERS", multiprocessing.cpu_count() * 2 + 1))
timeout = 30
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak can never grow without bound.
max_requests = 10_000
max_requests_jitter = 1_000
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(D)sus'
