"""The machine and the servers of a benchmark run: gunicorn processes, their workers' memory."""

import contextlib
import os
import platform
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
START_TIMEOUT = 60
STOP_TIMEOUT = 30


def log(message: str) -> None:
    print(message, flush=True)


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
