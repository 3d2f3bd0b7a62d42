"""The load side of a benchmark run: a logged-in urllib client, and wrk with its Lua script."""

import argparse
import http.cookiejar
import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from serve import log

BENCH = Path(__file__).resolve().parent
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
NEXT_LINK = re.compile(r'<a[^>]*rel="next"[^>]*href="([^"]+)"|<a[^>]*href="([^"]+)"[^>]*rel="next"')


@dataclass
class Endpoint:
    name: str
    kind: str  # baseline, home, listing, detail, vote, roadmap, feed, listening, search, api
    path: str = "/"
    headers: dict[str, str] = field(default_factory=dict)
    expect: int = 200
    vote_ideas: list[int] = field(default_factory=list)
    csrf: str = ""
    # GET these in turn instead of `path` alone (a query mix).
    paths: list[str] = field(default_factory=list)


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
        "BENCH_PATHS": "\n".join(endpoint.paths),
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
