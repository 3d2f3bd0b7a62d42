"""Benchmark of closing the loop: fanning a status change out to many followers, and mail
delivery to a local SMTP sink. Each figure comes with a baseline measured in the same run.

    .venv/bin/python bench/notify.py --db sqlite --followers 100000 --mails 3000
    .venv/bin/python bench/notify.py --db postgres

- Fan-out: one status change on an idea with N followers, fanned out by the worker (one
  INSERT … SELECT of the notifications and one UPDATE of the unread counts). Baseline: the same
  N rows written by the driver's executemany, the plain way to write N rows. Target: 100,000
  notifications in under 5 s.
- Delivery: M mails from the outbox to an aiosmtpd sink over one reused connection (claim,
  send, mark sent). Baseline: the same M messages sent with smtplib over one connection, no
  database. Target: at least 300 mails a second.
Results go to bench/results/notify-<db>.json and into a marked section of docs/PERFORMANCE.md.
"""

import argparse
import json
import os
import smtplib
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ideaboard import create_app  # noqa: E402
from ideaboard.board.mail import mail_settings  # noqa: E402
from ideaboard.board.notifications import fan_out_one  # noqa: E402
from ideaboard.board.outbox import build_message, deliver_due  # noqa: E402
from ideaboard.board.pipeline import change_status  # noqa: E402
from ideaboard.board.schema import upgrade_schema  # noqa: E402
from ideaboard.db import db, is_sqlite  # noqa: E402
from ideaboard.mailer import SmtpTransport, parse_smtp_url  # noqa: E402
from ideaboard.models import (  # noqa: E402
    Follow,
    Idea,
    Notification,
    OutgoingMail,
    User,
    hot_score,
    utcnow,
)

RESULTS = ROOT / "bench" / "results"
REPORT = ROOT / "docs" / "PERFORMANCE.md"
SECTION = "notify"
FAN_OUT_TARGET_S, DELIVERY_TARGET = 5.0, 300.0


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_board(followers: int) -> tuple[User, Idea]:
    """followers users who follow one idea, none with a confirmed address (no mail yet)."""
    now = utcnow()
    rows = [
        {"email": f"f{n}@example.com", "name": f"Follower {n}", "password_hash": "!"}
        for n in range(followers)
    ]
    with db.atomic():
        for start in range(0, len(rows), 5000):
            User.insert_many(rows[start : start + 5000]).execute()
        staff = User.create(email="pm@example.com", name="Priya", password_hash="!", role="staff")
        idea = Idea.create(
            title="Oat milk",
            author=staff.id,
            created_at=now,
            updated_at=now,
            hot=hot_score(0, 0, now),
        )
        ids = [row[0] for row in User.select(User.id).where(User.role == "member").tuples()]
        follows = [
            {"user": user_id, "idea": idea.id, "active": True, "reason": "voted", "created_at": now}
            for user_id in ids
        ]
        for start in range(0, len(follows), 5000):
            Follow.insert_many(follows[start : start + 5000]).execute()
    return staff, idea


def baseline_rows(count: int) -> float:
    """Seconds to write `count` three-column rows with executemany, in one transaction."""
    db.execute_sql(
        "CREATE TEMPORARY TABLE bench_rows (a INTEGER, b INTEGER, c VARCHAR(30))"
        if is_sqlite()
        else "CREATE TEMPORARY TABLE bench_rows (a INTEGER, b INTEGER, c TIMESTAMP)"
    )
    stamp = Notification.created_at.db_value(utcnow())
    rows = [(n, 1, stamp) for n in range(count)]
    started = time.perf_counter()
    with db.atomic():
        cursor = db.cursor()
        marks = ", ".join([db.param] * 3)
        cursor.executemany(f"INSERT INTO bench_rows (a, b, c) VALUES ({marks})", rows)
    return time.perf_counter() - started


def fan_out(settings, staff: User, idea: Idea, to_status: str) -> tuple[float, int, int]:
    change_status(idea, to_status, staff, "Measured.")
    started = time.perf_counter()
    done = fan_out_one(settings)
    return time.perf_counter() - started, done.notifications, done.mails


def delivery(settings, mails: int, port: int) -> tuple[float, float]:
    """Mails per second through the outbox, and for the same messages sent directly."""
    smtp = parse_smtp_url(f"smtp://127.0.0.1:{port}")
    pending = list(OutgoingMail.select().where(OutgoingMail.status == "pending").limit(mails))
    messages = [build_message(mail, settings) for mail in pending]
    started = time.perf_counter()
    direct = smtplib.SMTP(smtp.host, smtp.port, timeout=10)
    for message in messages:
        direct.send_message(message)
    direct.quit()
    direct_rate = len(messages) / (time.perf_counter() - started)

    started = time.perf_counter()
    done = deliver_due(SmtpTransport(smtp), settings)
    seconds = time.perf_counter() - started
    assert done.sent == len(messages) and not done.retried, done
    return done.sent / seconds, direct_rate


def start_sink(port: int) -> subprocess.Popen:
    """aiosmtpd's own Sink handler in a process of its own, as a real mail server would be."""
    sink = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            "aiosmtpd.handlers.Sink",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            smtplib.SMTP("127.0.0.1", port, timeout=1).quit()
            return sink
        except OSError:
            time.sleep(0.1)
    sink.kill()
    raise RuntimeError("the aiosmtpd sink did not start")


def postgres_database(base_url: str):
    import psycopg2

    admin = psycopg2.connect(base_url.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    name = f"ideaboard_notify_{uuid.uuid4().hex[:8]}"
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    return admin, name, base_url.rsplit("/", 1)[0] + "/" + name


def run(args) -> dict:
    tmp = tempfile.mkdtemp(prefix="ideaboard-notify-")
    admin = name = None
    if args.db == "sqlite":
        url = f"sqlite:///{tmp}/notify.db"
    else:
        admin, name, url = postgres_database(args.pg_url)
    os.environ["IDEABOARD_INSTANCE_PATH"] = tmp
    app = create_app({"DATABASE_URL": url, "RATELIMIT_ENABLED": False})
    try:
        with app.app_context():
            upgrade_schema()
            settings = mail_settings(app.config)
            with db.connection_context():
                staff, idea = make_board(args.followers)
                baseline_s = baseline_rows(args.followers)
                fan_s, written, _ = fan_out(settings, staff, idea, "accepted")
                assert written == args.followers, written
                # Now with instant mail for the first `mails` followers.
                User.update(email_verified_at=utcnow()).where(
                    User.id.in_(User.select(User.id).where(User.role == "member").limit(args.mails))
                ).execute()
                mail_s, written_again, queued = fan_out(settings, staff, idea, "in_progress")
                assert queued == args.mails, queued
                port = free_port()
                sink = start_sink(port)
                try:
                    rate, direct_rate = delivery(settings, args.mails, port)
                finally:
                    sink.terminate()
                    sink.wait(timeout=10)
    finally:
        if admin is not None:
            db.obj.close_all() if hasattr(db.obj, "close_all") else None
            with admin.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()
    return {
        "db": args.db,
        "followers": args.followers,
        "mails": args.mails,
        "baseline_s": baseline_s,
        "fan_out_s": fan_s,
        "fan_out_with_mail_s": mail_s,
        "delivery_per_s": rate,
        "direct_per_s": direct_rate,
        "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
    }


def section(results: list[dict]) -> str:
    lines = [
        f"<!-- section:{SECTION} (written by bench/notify.py; do not edit by hand) -->",
        "## Closing the loop: fan-out and mail delivery",
        "",
        "`bench/notify.py`: one status change on an idea whose followers all get a notification,",
        "fanned out by the worker; then the same with instant mail for some of them; then that",
        "mail delivered from the outbox to a local aiosmtpd sink over one reused connection.",
        "Baselines from the same run: the same number of rows written with executemany, and the",
        "same messages sent with smtplib straight from memory.",
        "",
        "| database | followers | fan-out s | executemany s | × baseline | target | "
        "fan-out + instant mail s | mails/s from the outbox | mails/s direct | × direct | target |",
        "| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        fan_ok = "met" if r["fan_out_s"] < FAN_OUT_TARGET_S else "**missed**"
        mail_ok = "met" if r["delivery_per_s"] >= DELIVERY_TARGET else "**missed**"
        lines.append(
            f"| {r['db']} | {r['followers']:,} | {r['fan_out_s']:.2f} | {r['baseline_s']:.2f} | "
            f"{r['fan_out_s'] / r['baseline_s']:.2f} | < {FAN_OUT_TARGET_S:.0f} s: {fan_ok} | "
            f"{r['fan_out_with_mail_s']:.2f} ({r['mails']:,} mails) | {r['delivery_per_s']:,.0f} | "
            f"{r['direct_per_s']:,.0f} | {r['delivery_per_s'] / r['direct_per_s']:.2f} | "
            f"≥ {DELIVERY_TARGET:.0f}/s: {mail_ok} |"
        )
    lines.append("")
    lines += [
        f"Measured {r['db']}: {r['measured']}, load average {' '.join(r['loadavg'])}."
        for r in results
    ]
    lines.append(f"<!-- /section:{SECTION} -->")
    return "\n".join(lines) + "\n"


def write_section(text: str) -> None:
    """Replace this benchmark's section of the report, or add it at the end."""
    report = REPORT.read_text()
    start, end = f"<!-- section:{SECTION}", f"<!-- /section:{SECTION} -->"
    if start in report:
        head, _, rest = report.partition(start)
        _, _, tail = rest.partition(end + "\n")
        report = head + text + tail
    else:
        report = report.rstrip("\n") + "\n\n" + text
    REPORT.write_text(report)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--followers", type=int, default=100_000)
    parser.add_argument("--mails", type=int, default=3000)
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    for database in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        args.db = database
        result = run(args)
        print(json.dumps(result, indent=1), flush=True)
        (RESULTS / f"notify-{database}.json").write_text(json.dumps(result, indent=1))
    results = [json.loads(p.read_text()) for p in sorted(RESULTS.glob("notify-*.json"))]
    write_section(section(results))
    print(f"Wrote the {SECTION} section of {REPORT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
