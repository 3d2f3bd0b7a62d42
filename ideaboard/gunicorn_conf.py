"""Production gunicorn settings, used by `make run`; IDEABOARD_* variables override them."""

import os

bind = os.environ.get("IDEABOARD_BIND", "127.0.0.1:8000")
# The classic rule of thumb for sync workers: two per core, plus one. Set it by hand in a
# container whose CPU quota is smaller than the host's core count.
workers = int(os.environ.get("IDEABOARD_WORKERS", (os.cpu_count() or 1) * 2 + 1))
# More than 1 switches to the gthread worker: each thread holds its own database connection.
threads = int(os.environ.get("IDEABOARD_THREADS", "1"))
# A worker silent this long is killed and replaced; a graceful stop (SIGTERM, or SIGHUP to
# reload new code) lets requests in flight finish for this long.
timeout = 30
graceful_timeout = 30
# Ignored by sync workers (one request per connection); used by gthread workers.
keepalive = 5
# Loaded in each worker, not in the master: SIGHUP then starts workers on the new code, and
# nothing opened at start-up (database pool, Redis client) is shared across a fork.
preload_app = False
# Workers touch a heartbeat file every second; on tmpfs that never waits for a slow disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# Recycle workers now and then so a slow leak can never grow without bound (0: never, as the
# benchmark does to see whether memory stays flat).
max_requests = int(os.environ.get("IDEABOARD_MAX_REQUESTS", "10000"))
max_requests_jitter = 1_000
# X-Forwarded-Proto is believed only behind our own proxy, as the app's ProxyFix does
# (security.py); otherwise even a local client could claim to be on HTTPS.
forwarded_allow_ips = "*" if os.environ.get("IDEABOARD_TRUST_PROXY") == "1" else ""
# The access log is the app's own line (ideaboard/request_log.py): method, path, status,
# duration, client, user and request id, one line per request. gunicorn's would repeat it.
accesslog = None
errorlog = "-"
