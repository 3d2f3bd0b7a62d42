"""Load benchmark of IdeaBoard on a seeded database, against a hello-world baseline.

Run it through `bench/run` (see its header). For each database it:

1. seeds a board once with `flask bench-seed` (kept under --data-dir, reused next time; the
   SQLite file and PostgreSQL database live outside the repository);
2. serves bench/hello.py under the app's production gunicorn settings
   (`--config python:ideaboard.gunicorn_conf`) and measures it with wrk: the baseline;
3. serves the app the same way (throttling off, its own instance path and database URL),
   logs in once as the bench account, and drives every endpoint with
   `wrk -t2 -c16 -d10s --latency` and bench/request.lua (which reports p50/p95/p99);
4. saves the numbers to bench/results/ and rewrites docs/PERFORMANCE.md from them.

Only loopback addresses are used, and every wait and loop is bounded in time.
"""

import argparse
import contextlib
import http.cookiejar
import json
import os
import platform
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
VENV_BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
NEXT_LINK = re.compile(r'<a[^>]*rel="next"[^>]*href="([^"]+)"|<a[^>]*href="([^"]+)"[^>]*rel="next"')
DEEP_PAGE = 200
START_TIMEOUT = 60
STOP_TIMEOUT = 30

# Targets from the issue, checked for the two reference sizes.
HOME_RATIO, VOTE_RATIO, SMALL_P95_MS, LARGE_P95_MS = 0.6, 0.5, 25.0, 50.0
SMALL = (100_000, 1_000_000)
LARGE = (1_000_000, 10_000_000)


@dataclass
class Endpoint:
    name: str
    kind: str  # baseline, home, listing, detail, vote, roadmap, feed
    path: str = "/"
    headers: dict[str, str] = field(default_factory=dict)
    expect: int = 200
    vote_ideas: list[int] = field(default_factory=list)
    csrf: str = ""


@dataclass
class Size:
    ideas: int
    votes: int
    comments: int
    users: int
    seed: int

    @property
    def label(self) -> str:
        return f"{self.ideas:,} ideas / {self.votes:,} votes"

    @property
    def slug(self) -> str:
        return f"{self.ideas}i-{self.votes}v-{self.comments}c-{self.users}u-s{self.seed}"


def log(message: str) -> None:
    print(message, flush=True)


# --- the machine -------------------------------------------------------------------------


def machine() -> dict:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=10)
    git = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "wrk": (wrk.stdout or wrk.stderr).split("[")[0].strip(),
        "git": git + (" (uncommitted changes)" if dirty else ""),
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
    }


# --- processes ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


def worker_rss(master: int) -> dict:
    workers = children(master)
    sizes = {pid: rss_kib(pid) for pid in workers}
    return {"master_kib": rss_kib(master), "workers_kib": sizes}


class Server:
    """gunicorn with the app's production config, on a free loopback port, stopped by its pid."""

    def __init__(self, app: str, env: dict, logfile: Path, extra: list[str] | None = None):
        self.port = free_port()
        self.env = {**env, "IDEABOARD_BIND": f"{HOST}:{self.port}"}
        self.args = [
            str(VENV_BIN / "gunicorn"),
            "--config",
            "python:ideaboard.gunicorn_conf",
            *(extra or []),
            app,
        ]
        self.logfile = logfile
        self.process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def __enter__(self) -> "Server":
        out = self.logfile.open("ab")
        self.process = subprocess.Popen(
            self.args, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT
        )
        expected = int(self.env.get("IDEABOARD_WORKERS", (os.cpu_count() or 1) * 2 + 1))
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.logfile}")
            try:
                with urllib.request.urlopen(self.base + "/", timeout=5) as response:
                    ready = response.status == 200
            except (urllib.error.URLError, OSError):
                ready = False
            if ready and len(children(self.process.pid)) >= expected:
                return self
            time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"gunicorn did not start within {START_TIMEOUT} s; see {self.logfile}")

    def __exit__(self, *exc) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        workers = children(self.process.pid)
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            for pid in workers:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT)


# --- HTTP helpers ------------------------------------------------------------------------


class Browser:
    """urllib with a cookie jar: log in once, then hand the cookie to wrk."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str, headers: dict | None = None) -> tuple[int, dict, str]:
        request = urllib.request.Request(self.base + path, headers=headers or {})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode(errors="replace")

    def post(self, path: str, data: dict, headers: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def login(self, email: str, password: str) -> str:
        """Log in and return the CSRF token of the logged-in session."""
        _, _, page = self.get("/login")
        token = CSRF_INPUT.search(page).group(1)
        status, page = self.post(
            "/login", {"csrf_token": token, "email": email, "password": password}
        )
        if status != 200 or "logout" not in page:
            raise RuntimeError(f"could not log in as {email} (HTTP {status})")
        # The session changed at login; the page after it carries the token that matches.
        return CSRF_INPUT.search(page).group(1)

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def deep_page(browser: Browser, start: str, pages: int, budget: float = 120.0) -> str:
    """Follow rel=next links from `start`: works for ?page=N and for keyset cursors alike."""
    path, deadline = start, time.monotonic() + budget
    for _ in range(pages - 1):
        if time.monotonic() > deadline:
            raise RuntimeError(f"walking to page {pages} of {start} took over {budget} s")
        _, _, page = browser.get(path)
        match = NEXT_LINK.search(page)
        if not match:
            raise RuntimeError(f"{path} has no next page; is the board big enough?")
        href = (match.group(1) or match.group(2)).replace("&amp;", "&")
        path = urllib.parse.urljoin(path, href)
    return path


# --- wrk ---------------------------------------------------------------------------------


def run_wrk(base: str, endpoint: Endpoint, args: argparse.Namespace) -> dict:
    env = {
        **os.environ,
        "BENCH_HEADERS": "\n".join(f"{k}: {v}" for k, v in endpoint.headers.items()),
        "BENCH_VOTE_IDEAS": ",".join(str(i) for i in endpoint.vote_ideas),
        "BENCH_CSRF": endpoint.csrf,
    }
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{args.duration}s",
        "--timeout",
        "5s",
        "--latency",
        "-s",
        str(BENCH / "request.lua"),
        base + endpoint.path,
    ]
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=args.duration + 60
    )
    line = next((x for x in result.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if result.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed: {result.stderr or result.stdout}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    seconds = data["duration_us"] / 1e6
    return {
        "name": endpoint.name,
        "kind": endpoint.kind,
        "path": endpoint.path,
        "requests": data["requests"],
        "rps": round(data["requests"] / seconds, 1),
        "p50_ms": data["p50_us"] / 1000,
        "p95_ms": data["p95_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "max_ms": data["max_us"] / 1000,
        "errors": data["status_errors"] + data["socket_errors"],
    }


def measure(base: str, endpoint: Endpoint, browser: Browser, args) -> dict:
    # Check the answer once before loading it: a fast 404 or 403 would flatter the numbers.
    if endpoint.vote_ideas:
        status, body = browser.post(
            f"/ideas/{endpoint.vote_ideas[0]}/vote",
            {"csrf_token": endpoint.csrf, "vote": "1"},
            {"Accept": "application/json"},
        )
        if status != 200 or '"voted"' not in body:
            raise RuntimeError(f"vote POST answered {status}: {body[:200]}")
    else:
        status, _, _ = browser.get(endpoint.path, endpoint.headers)
        if status != endpoint.expect:
            raise RuntimeError(f"{endpoint.path} answered {status}, not {endpoint.expect}")
    result = run_wrk(base, endpoint, args)
    log(
        f"  {endpoint.name:<34} {result['rps']:>8.1f} req/s  p50 {result['p50_ms']:6.1f}"
        f"  p95 {result['p95_ms']:6.1f}  p99 {result['p99_ms']:6.1f} ms  errors {result['errors']}"
    )
    return result


# --- databases ---------------------------------------------------------------------------


def database_url(db: str, size: Size, args) -> str:
    if db == "sqlite":
        return f"sqlite:///{Path(args.data_dir) / f'sqlite-{size.slug}' / 'board.db'}"
    name = f"ideaboard_bench_{size.slug.replace('-', '_')}"
    return args.pg_url.rstrip("/") + "/" + name


def query(url: str, sql: str) -> list[tuple]:
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            return conn.execute(sql).fetchall()
    import psycopg2

    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()
    finally:
        conn.close()


def pg_admin(args, sql: str) -> list[tuple]:
    import psycopg2

    conn = psycopg2.connect(args.pg_url.rstrip("/") + "/postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall() if cursor.description else []
    finally:
        conn.close()


def flask(env: dict, *command: str, timeout: float) -> str:
    result = subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "ideaboard", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(command)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def prepare(db: str, size: Size, args) -> tuple[dict, dict]:
    """A seeded board for this size (reused when already there) and the app's environment."""
    instance = Path(args.data_dir) / f"{db}-{size.slug}"
    instance.mkdir(parents=True, exist_ok=True)
    url = database_url(db, size, args)
    env = {
        **os.environ,
        "IDEABOARD_INSTANCE_PATH": str(instance),
        "IDEABOARD_DATABASE_URL": url,
        "IDEABOARD_RATELIMIT_ENABLED": "0",
    }
    marker = instance / "seeded.json"
    name = url.rsplit("/", 1)[1]
    if db == "postgres":
        exists = pg_admin(args, f"SELECT 1 FROM pg_database WHERE datname = '{name}'")
        if args.reseed or not exists:
            marker.unlink(missing_ok=True)
    if args.reseed or not marker.exists():
        if db == "sqlite":
            for suffix in ("", "-wal", "-shm", "-journal"):
                (instance / f"board.db{suffix}").unlink(missing_ok=True)
        else:
            pg_admin(args, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            pg_admin(args, f'CREATE DATABASE "{name}"')
        log(f"Seeding {db}: {size.label}, {size.comments:,} comments, {size.users:,} users")
        started = time.monotonic()
        output = flask(
            env,
            "bench-seed",
            *("--ideas", str(size.ideas), "--votes", str(size.votes)),
            *("--comments", str(size.comments), "--users", str(size.users)),
            *("--seed", str(size.seed)),
            timeout=4 * 3600,
        )
        seconds = round(time.monotonic() - started, 1)
        log(output.rstrip())
        marker.write_text(json.dumps({"seconds": seconds, "output": output, "date": now()}))
    seeded = json.loads(marker.read_text())
    # New indexes from a newer models.py, on a board seeded before them.
    flask(env, "init-db", timeout=3600)
    if db == "sqlite":
        seeded["bytes"] = sum(f.stat().st_size for f in instance.glob("board.db*"))
    else:
        seeded["bytes"] = query(url, "SELECT pg_database_size(current_database())")[0][0]
    return env, seeded


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


# --- one database ------------------------------------------------------------------------


def endpoints(browser: Browser, url: str, csrf: str, cookie: str) -> list[Endpoint]:
    detail = query(url, "SELECT id FROM idea WHERE comment_count = 50 ORDER BY id LIMIT 1")
    category = query(url, "SELECT id FROM category ORDER BY id LIMIT 1")[0][0]
    hot = [row[0] for row in query(url, "SELECT id FROM idea ORDER BY hot DESC LIMIT 40")]
    session = {"Cookie": cookie}
    feeds = []
    for kind in ("rss", "atom"):
        path = f"/feeds/accepted.{kind}"
        _, headers, _ = browser.get(path)
        etag = headers.get("ETag", "")
        feeds += [
            Endpoint(f"{kind.upper()} feed", "feed", path),
            Endpoint(f"{kind.upper()} feed, 304", "feed", path, {"If-None-Match": etag}, 304),
        ]
    return [
        Endpoint("/ (hot), anonymous", "home", "/"),
        Endpoint("/ (hot), logged in", "home", "/", session),
        Endpoint(f"/ (hot), page {DEEP_PAGE}", "listing", deep_page(browser, "/", DEEP_PAGE)),
        Endpoint("/?sort=top", "listing", "/?sort=top"),
        Endpoint("/?sort=new", "listing", "/?sort=new"),
        Endpoint(
            f"/?sort=new, page {DEEP_PAGE}",
            "listing",
            deep_page(browser, "/?sort=new", DEEP_PAGE),
        ),
        Endpoint("/?sort=discussed", "listing", "/?sort=discussed"),
        Endpoint("/?status=accepted", "listing", "/?status=accepted"),
        Endpoint(f"/?category={category}", "listing", f"/?category={category}"),
        Endpoint("/ideas/<id> (50 comments)", "detail", f"/ideas/{detail[0][0]}"),
        Endpoint("vote POST (JSON)", "vote", "/", session, vote_ideas=hot, csrf=csrf),
        Endpoint("/roadmap", "roadmap", "/roadmap"),
        *feeds,
    ]


def baseline(env: dict, logdir: Path, args, name: str) -> dict:
    extra = ["--pythonpath", str(BENCH)]
    with Server("hello:app", env, logdir / "hello.log", extra) as hello:
        return measure(hello.base, Endpoint(name, "baseline"), Browser(hello.base), args)


def bench_database(db: str, size: Size, args) -> dict:
    env, seeded = prepare(db, size, args)
    logdir = Path(args.data_dir) / f"{db}-{size.slug}"
    url = env["IDEABOARD_DATABASE_URL"]
    result = {"db": db, "size": size.__dict__, "seeded": seeded, "date": now()}
    result["machine"] = machine()
    if db == "postgres":
        result["machine"]["postgres"] = query(url, "SHOW server_version")[0][0]
    log(f"\n== {db}: {size.label} (load average {' '.join(result['machine']['loadavg'])})")

    rows = [baseline(env, logdir, args, "hello world (baseline)")]
    with Server("wsgi:app", env, logdir / "gunicorn.log") as server:
        result["rss_before"] = worker_rss(server.process.pid)
        browser = Browser(server.base)
        csrf = browser.login(args.email, args.password)
        cookie = browser.cookie_header()
        # Let every worker load its templates and open its connections before measuring.
        run_wrk(
            server.base,
            Endpoint("warm-up", "home"),
            argparse.Namespace(**{**vars(args), "duration": 3}),
        )
        for endpoint in endpoints(browser, url, csrf, cookie):
            if args.only and not re.search(args.only, endpoint.name):
                continue
            rows.append(measure(server.base, endpoint, browser, args))
        result["rss_after"] = worker_rss(server.process.pid)
    # Measured again at the end: if other work on the machine changed the speed meanwhile,
    # the two baselines differ, and the ratios use their mean.
    rows.append(baseline(env, logdir, args, "hello world (baseline, again)"))
    reference = (rows[0]["rps"] + rows[-1]["rps"]) / 2
    for row in rows:
        row["ratio"] = round(row["rps"] / reference, 3)
    result["rows"] = rows
    result["loadavg_after"] = Path("/proc/loadavg").read_text().split()[:3]
    result["wrk"] = f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s --latency"
    return result


# --- the report --------------------------------------------------------------------------


def targets(result: dict) -> list[tuple[str, bool]]:
    """The issue's targets for the two reference sizes, as (what, met) pairs."""
    size = (result["size"]["ideas"], result["size"]["votes"])
    checks = []

    def ratio(row: dict, goal: float) -> None:
        text = f"{row['name']}: {row['ratio']:.2f}× hello, target ≥ {goal}×"
        checks.append((text, row["ratio"] >= goal))

    def p95(row: dict, goal: float) -> None:
        text = f"{row['name']}: p95 {row['p95_ms']:.1f} ms, target < {goal:.0f} ms"
        checks.append((text, row["p95_ms"] < goal))

    for row in result["rows"]:
        if row["kind"] == "baseline":
            continue
        if size == SMALL:
            if row["kind"] == "home":
                ratio(row, HOME_RATIO)
            if row["kind"] == "vote":
                ratio(row, VOTE_RATIO)
            p95(row, SMALL_P95_MS)
        elif size == LARGE and row["kind"] in ("home", "listing"):
            p95(row, LARGE_P95_MS)
    return checks


def rss_list(rss: dict) -> str:
    workers = ", ".join(f"{kib / 1024:.0f}" for kib in rss["workers_kib"].values())
    return f"{workers} (master {rss['master_kib'] / 1024:.0f})"


def render(results: list[dict]) -> str:
    first = results[0]["machine"]
    lines = [
        "# Performance",
        "",
        "Generated by `bench/run` (see `bench/loadtest.py`); do not edit by hand, run it again.",
        "",
        f"- Machine: {first['nproc']} cores ({first['cpu']}), {first['ram_gib']} GiB RAM,"
        f" Linux {first['kernel']}; Python {first['python']}, SQLite {first['sqlite']},"
        f" {first['wrk']}",
        f"- Code: {first['git']}",
        "- Server: gunicorn with `--config python:ideaboard.gunicorn_conf` (sync workers, "
        "2 × cores + 1, logging as configured there), throttling off "
        "(`IDEABOARD_RATELIMIT_ENABLED=0`)",
        f"- Load: `{results[0]['wrk']}` on loopback. wrk shares the cores with the server, "
        "so absolute numbers drift from run to run: compare the ratio to the hello-world "
        "baseline (a bare Flask app under the same gunicorn settings, measured at the start "
        "and at the end of each database's run; × hello divides by their mean).",
        "- Data: `flask bench-seed` (heavy-tailed votes and comments, every status and "
        "category, four years of dates); `/ (hot), logged in` and the vote POSTs use the "
        "bench account's session; the others are anonymous. Vote POSTs alternate "
        "vote=1 / vote=0 over the 40 hottest ideas with `Accept: application/json`.",
        "",
    ]
    for result in results:
        size, seeded, m = result["size"], result["seeded"], result["machine"]
        engine = (
            "SQLite " + m["sqlite"]
            if result["db"] == "sqlite"
            else "PostgreSQL " + m.get("postgres", "")
        )
        lines += [
            f"## {engine}: {size['ideas']:,} ideas, {size['votes']:,} votes",
            "",
            f"{size['comments']:,} comments, {size['users']:,} users, seed {size['seed']};"
            f" database {seeded['bytes'] / 2**20:,.0f} MiB, seeded in {seeded['seconds']:.0f} s"
            f" ({seeded['date']}). Measured {result['date']}; load average (1, 5, 15 min)"
            f" before the run {' '.join(m['loadavg'])}, after"
            f" {' '.join(result.get('loadavg_after', ['?']))}.",
            "",
            "| endpoint | req/s | × hello | p50 ms | p95 ms | p99 ms | errors |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for row in result["rows"]:
            lines.append(
                f"| {row['name']} | {row['rps']:,.0f} | {row['ratio']:.2f} | {row['p50_ms']:.1f}"
                f" | {row['p95_ms']:.1f} | {row['p99_ms']:.1f} | {row['errors']} |"
            )
        before, after = result["rss_before"], result["rss_after"]
        recycled = set(before["workers_kib"]) != set(after["workers_kib"])
        lines += [
            "",
            f"Worker RSS (VmRSS, MiB) before: {rss_list(before)}; after: {rss_list(after)}."
            + (" Some workers were recycled during the run (max_requests)." if recycled else ""),
            "",
        ]
        checks = targets(result)
        if checks:
            met = sum(ok for _, ok in checks)
            lines += [f"Targets: {met} of {len(checks)} met.", ""]
            lines += [f"- {'met' if ok else '**missed**'}: {text}" for text, ok in checks]
            lines.append("")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--ideas", type=int, default=100_000)
    parser.add_argument("--votes", type=int, default=1_000_000)
    parser.add_argument("--comments", type=int, help="default: 3 per idea")
    parser.add_argument("--users", type=int, help="default: one per 2 ideas, at least 1,000")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reseed", action="store_true", help="seed again even if seeded")
    parser.add_argument("--duration", type=int, default=10, help="seconds per endpoint")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", help="regex: measure only matching endpoints, no report")
    parser.add_argument("--data-dir", default="/tmp/ideaboard-bench")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--email", default="bench@example.com")
    parser.add_argument("--password", default="bench-board-password")
    parser.add_argument("--report", default=str(ROOT / "docs" / "PERFORMANCE.md"))
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite the report from bench/results/"
    )
    args = parser.parse_args()
    if urllib.parse.urlparse(args.pg_url).hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("--pg-url must be on loopback")
    size = Size(
        args.ideas,
        args.votes,
        args.comments if args.comments is not None else 3 * args.ideas,
        args.users if args.users is not None else max(1000, args.ideas // 2),
        args.seed,
    )
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    RESULTS.mkdir(exist_ok=True)
    for db in [] if args.report_only else dbs:
        result = bench_database(db, size, args)
        if not args.only:
            (RESULTS / f"{db}-{size.slug}.json").write_text(json.dumps(result, indent=1))
    if args.only:
        return 0
    # The report shows the latest result of every database and size measured on this machine.
    results = [json.loads(p.read_text()) for p in sorted(RESULTS.glob("*.json"))]
    results.sort(key=lambda r: (r["size"]["ideas"], r["size"]["votes"], r["db"] != "sqlite"))
    Path(args.report).write_text(render(results))
    log(f"\nWrote {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
