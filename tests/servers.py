"""Real servers for the tests that need one: gunicorn processes and fresh PostgreSQL databases."""

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg2
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# The venv's own tools, whichever venv runs pytest (CI and local runs differ).
BIN = Path(sys.executable).parent
POSTGRES_URL = os.environ.get(
    "IDEABOARD_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
STARTUP_SECONDS = 20
STOP_SECONDS = 10


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def run_command(step: str, env: dict, *command: str) -> str:
    """Run a command of the project; fail the test with its output if it fails."""
    result = subprocess.run(
        command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    if result.returncode != 0:
        pytest.fail(f"{step} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def run_flask(env: dict, *args: str) -> str:
    return run_command(f"flask {args[0]}", env, str(BIN / "flask"), "--app", "ideaboard", *args)


@contextmanager
def gunicorn(
    env: dict,
    port: int,
    log_path: Path,
    *options: str,
    ready: Callable[[subprocess.Popen], bool] = lambda process: True,
) -> Iterator[subprocess.Popen]:
    """Serve wsgi:app on 127.0.0.1:port until the block ends; fail if it does not come up."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--bind",
                f"127.0.0.1:{port}",
                *options,
                # Gunicorn 27 otherwise takes over ~/.gunicorn/gunicorn.ctl, and deletes it on
                # exit, from under any other gunicorn on the machine (e.g. `make run`).
                "--no-control-socket",
                "wsgi:app",
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not (port_answers(port) and ready(process)):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not start on port {port}:\n{log_path.read_text()}")
            time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_SECONDS)


@contextmanager
def fresh_postgres_database(prefix: str) -> Iterator[str]:
    """A new database on the PostgreSQL server, dropped afterwards; its URL.

    Without a server this fails, unless IDEABOARD_TEST_SKIP_POSTGRES=1 says to skip locally.
    """
    if os.environ.get("IDEABOARD_TEST_SKIP_POSTGRES") == "1":
        pytest.skip("PostgreSQL tests switched off by IDEABOARD_TEST_SKIP_POSTGRES=1")
    try:
        admin = psycopg2.connect(POSTGRES_URL, connect_timeout=5)
    except psycopg2.OperationalError as error:
        pytest.fail(
            f"No PostgreSQL at {POSTGRES_URL} (IDEABOARD_TEST_SKIP_POSTGRES=1 skips): {error}"
        )
    admin.autocommit = True
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
