"""Seeded boards for benchmarks: one per database and size, made once with `flask bench-seed`."""

import json
import os
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from serve import ROOT, VENV_BIN, log


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
