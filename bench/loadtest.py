"""Load benchmark of IdeaBoard on a seeded database, against a hello-world baseline.

Run it through `bench/run` (see its header). For each database it:

1. seeds a board once with `flask bench-seed` (kept under --data-dir, reused next time; the
   SQLite file and PostgreSQL database live outside the repository);
2. serves bench/hello.py under the app's production gunicorn settings
   (`--config python:ideaboard.gunicorn_conf`) and measures it with wrk: the baseline;
3. serves the app the same way (throttling off, its own instance path and database URL),
   logs in once as the bench account, and drives every endpoint with
   `wrk -t2 -c16 -d10s --latency` and bench/request.lua (which reports p50/p95/p99); then
   again with the page cache off, for some pages and for the search query mix
   (bench/search.py);
4. saves the numbers to bench/results/ and rewrites docs/PERFORMANCE.md from them.

Only loopback addresses are used, and every wait and loop is bounded in time.
"""

import argparse
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from boards import Size, now, prepare, query
from client import Browser, Endpoint, deep_page, measure, run_wrk
from report import kept_sections, render
from search import search_endpoints
from serve import ROOT, Server, log, machine, worker_rss

BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
DEEP_PAGE = 200
# Measured a second time with the page cache off.
UNCACHED = {
    "/ (hot), anonymous",
    f"/ (hot), page {DEEP_PAGE}",
    f"/?sort=new, page {DEEP_PAGE}",
    "/?status=accepted",
    "/ideas/<id> (50 comments)",
    "/roadmap",
    "RSS feed",
    "/listening",
}


def endpoints(browser: Browser, url: str, csrf: str, cookie: str) -> list[Endpoint]:
    detail = query(url, "SELECT id FROM idea WHERE comment_count = 50 ORDER BY id LIMIT 1")
    category = query(url, "SELECT id FROM category ORDER BY id LIMIT 1")[0][0]
    # The hottest ideas that still take votes (launched and declined ones answer 409).
    hot = [
        row[0] for row in query(url, "SELECT id FROM idea WHERE is_open ORDER BY hot DESC LIMIT 40")
    ]
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
    # The JSON API has no page cache: every call is served from the database.
    _, headers, _ = browser.get("/api/v1/ideas")
    api = [
        Endpoint("API /api/v1/ideas", "api", "/api/v1/ideas"),
        Endpoint(
            "API /api/v1/ideas, 304",
            "api",
            "/api/v1/ideas",
            {"If-None-Match": headers.get("ETag", "")},
            304,
        ),
        Endpoint("API /api/v1/ideas/<id>", "api", f"/api/v1/ideas/{detail[0][0]}"),
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
        Endpoint("/listening", "listening", "/listening"),
        *api,
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
    # No recycling, so the workers measured at the end are those measured at the start.
    steady = {**env, "IDEABOARD_MAX_REQUESTS": "0"}
    with Server("wsgi:app", steady, logdir / "gunicorn.log") as server:
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
        chosen = [
            endpoint
            for endpoint in endpoints(browser, url, csrf, cookie)
            if not args.only or re.search(args.only, endpoint.name)
        ]
        for endpoint in chosen:
            rows.append(measure(server.base, endpoint, browser, args))
        result["rss_after"] = worker_rss(server.process.pid)
    # The same pages with the page cache off: what a visitor costs when the page must be
    # rendered (a URL nobody asked for since the last write), and what signed-in pages pay.
    uncached_env = {**env, "IDEABOARD_PAGE_CACHE_SECONDS": "0"}
    with Server("wsgi:app", uncached_env, logdir / "gunicorn-uncached.log") as server:
        browser = Browser(server.base)
        run_wrk(
            server.base,
            Endpoint("warm-up", "home"),
            argparse.Namespace(**{**vars(args), "duration": 3}),
        )
        for endpoint in chosen:
            if endpoint.name in UNCACHED:
                uncached = Endpoint(
                    f"{endpoint.name}, page cache off",
                    "uncached",
                    endpoint.path,
                    endpoint.headers,
                    endpoint.expect,
                )
                rows.append(measure(server.base, uncached, browser, args))
        # Searches, each request its own: the page cache would answer a repeated one.
        for endpoint in search_endpoints(browser):
            if not args.only or re.search(args.only, endpoint.name):
                rows.append(measure(server.base, endpoint, browser, args))
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
    report = Path(args.report)
    kept = kept_sections(report.read_text()) if report.exists() else ""
    report.write_text(render(results) + kept)
    log(f"\nWrote {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
