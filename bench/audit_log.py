"""Benchmark of the audit log: export memory and verify rate over a million events.

    python bench/audit_log.py [--events 1000000] [--postgres URL]

Generates the events directly in a migrated database (chained exactly as Alta chains them,
bulk-inserted), then runs the real commands as child processes:

- ``alta audit export`` (JSON Lines and CSV, all events and about a tenth): its peak
  resident memory (VmHWM of that child) must not grow with the number of events exported;
- ``alta audit verify``: the rate it reports (target >= 200,000 events/s).

SQLite always; PostgreSQL too when a server URL is given (--postgres, or the environment
variables ALTA_BENCH_DATABASE_URL or ALTA_TEST_DATABASE_URL): a database is created for the
run and dropped afterwards. Figures are printed side by side with the targets and written
to bench/out/audit_log.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from provisioning import db  # noqa: E402
from provisioning.audit.services import GENESIS_HASH, canonical_text  # noqa: E402

VERIFY_TARGET = 200_000
LOCAL = ZoneInfo("America/Mexico_City")  # [app].timezone default
CHUNK = 50_000
COLUMNS = ("seq, occurred_at, actor, actor_role, ip, action, object_type, object_id, summary, "
           "details, prev_hash, hash")
ACTIONS = (
    ("request.submitted", "solicitante", "solicitante", "Solicitud {o} registrada para la unidad "
     "MSSSA000120", '{{"unit_clues":"MSSSA000120","wants_ece":true}}'),
    ("request.viewed", "jefe.cuernavaca", "jefe_unidad", "Consulta de la solicitud {o}", "{{}}"),
    ("request.signed", "jefe.cuernavaca", "jefe_unidad", "Firma del jefe de unidad en {o}",
     '{{"content_sha256":"{h}"}}'),
    ("staff.login", "informática.ñuñez", "informatica", "Inicio de sesión con TOTP",
     '{{"factor":"totp"}}'),
)


def generate(count: int, start: datetime):
    """Yield (seq, occurred_at, ..., hash) rows chained like audit.services.flush_pending."""
    prev = GENESIS_HASH
    for seq in range(1, count + 1):
        action, actor, role, summary, details = ACTIONS[seq % len(ACTIONS)]
        folio = f"MSSSA000120-2026-{seq % 100000:05d}"
        moment = start + timedelta(seconds=seq)
        iso = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        details = details.format(h=prev)
        summary = summary.format(o=folio)
        ip = f"10.1.{seq % 250}.{seq % 200}"
        digest = sha256(canonical_text(seq, iso, actor, role, ip, action, "request", folio,
                                       summary, details, prev).encode()).hexdigest()
        yield (seq, moment, actor, role, ip, action, "request", folio, summary, details, prev,
               digest)
        prev = digest


def fill_sqlite(path: str, count: int, start: datetime) -> None:
    import sqlite3

    connection = sqlite3.connect(path)
    rows = generate(count, start)
    last = None
    while batch := [(*r[:1], r[1].strftime("%Y-%m-%d %H:%M:%S.%f"), *r[2:])
                    for r in itertools.islice(rows, CHUNK)]:
        connection.executemany(f"INSERT INTO audit_events ({COLUMNS}) VALUES "  # noqa: S608
                               f"({', '.join('?' * 12)})", batch)
        last = batch[-1]
    connection.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1",
                       (last[0], last[-1]))
    connection.commit()
    connection.close()


def fill_postgres(url: str, count: int, start: datetime) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        last = None
        with connection.cursor() as cursor, cursor.copy(
                f"COPY audit_events ({COLUMNS}) FROM STDIN") as copy:
            for row in generate(count, start):
                copy.write_row(row)
                last = row
        connection.execute("UPDATE audit_head SET seq = %s, hash = %s WHERE id = 1",
                           (last[0], last[-1]))


# The child writes its own high-water RSS (VmHWM) when it exits. Not ru_maxrss: Linux
# carries the parent's peak into a child's ru_maxrss at exec, which would report this
# benchmark's own size (it just generated a million events) instead of the command's.
_LAUNCH = ("import atexit, sys\n"
           "out = sys.argv.pop(1)\n"
           "atexit.register(lambda: open(out, 'w').write(open('/proc/self/status').read()))\n"
           "from provisioning.cli import main\n"
           "main()\n")


def run(args: list[str], env: dict[str, str]) -> tuple[int, float, int, int, str]:
    """Run `alta ARGS`; return (exit code, seconds, peak RSS KiB, stdout lines, output)."""
    with tempfile.NamedTemporaryFile("r", suffix=".status") as status, \
            tempfile.TemporaryFile() as err:
        command = [sys.executable, "-c", _LAUNCH, status.name, *args]
        started = time.perf_counter()
        child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=err)  # noqa: S603
        lines = 0
        tail = b""
        while chunk := child.stdout.read(1 << 20):
            lines += chunk.count(b"\n")
            tail = (tail + chunk)[-4096:]
        child.stdout.close()
        code = child.wait()
        elapsed = time.perf_counter() - started
        peak = re.search(r"VmHWM:\s+(\d+) kB", status.read())
        err.seek(0)
        message = err.read().decode(errors="replace") + tail.decode(errors="replace")
    return code, elapsed, int(peak.group(1)) if peak else 0, lines, message


def measure(label: str, url: str, count: int, workdir: Path) -> dict[str, object]:
    figures: dict[str, object] = {"backend": label, "events": count}
    db.upgrade(url)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=count + 60)
    started = time.perf_counter()
    if url.startswith("sqlite"):
        fill_sqlite(url.removeprefix("sqlite:///"), count, start)
    else:
        fill_postgres(url, count, start)
    figures["generate_s"] = round(time.perf_counter() - started, 1)
    config = workdir / f"{label}.toml"
    config.write_text(
        f'[app]\nsecret_key = "{uuid.uuid4().hex * 2}"\ninstance_dir = "{workdir}"\n'
        f'[database]\nurl = "{url}"\n[audit]\ncheckpoint_key = "{uuid.uuid4().hex * 2}"\n'
        # Every command builds the argon2 hasher, which hashes once at start-up with the
        # configured memory (64 MiB by default): that peak would hide the export's own.
        "[security]\nargon2_memory_cost_kib = 1024\nargon2_parallelism = 1\n",
        encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALTA_")}
    env.update(ALTA_CONFIG=str(config), PYTHONPATH=str(ROOT))
    baseline = run(["audit", "checkpoint"], env)
    assert baseline[0] == 0, baseline[4]
    figures["baseline_rss_mb"] = round(baseline[2] / 1024, 1)
    # About the first tenth of the events (whole local days).
    tenth = (start + timedelta(seconds=count / 10)).astimezone(LOCAL).date().isoformat()
    for name, extra in (("jsonl", []), ("csv", []), ("jsonl_tenth", ["--until", tenth])):
        fmt = name.split("_")[0]
        code, seconds, rss, lines, message = run(
            ["audit", "export", "--format", fmt, *extra], env)
        assert code == 0, message
        figures[f"export_{name}"] = {"seconds": round(seconds, 1), "lines": lines,
                                     "peak_rss_mb": round(rss / 1024, 1)}
    code, seconds, rss, _lines, message = run(["audit", "verify"], env)
    assert code == 0, message
    rate = re.search(r"\(([\d,]+) eventos/s\)", message)
    figures["verify"] = {"seconds": round(seconds, 1), "reported_events_per_s":
                         int(rate.group(1).replace(",", "")) if rate else None,
                         "peak_rss_mb": round(rss / 1024, 1), "output": message.strip()}
    return figures


def report(results: list[dict[str, object]]) -> None:
    names = [str(r["backend"]) for r in results]
    print(f"\n{'':38}" + "".join(f"{n:>16}" for n in names) + f"{'target':>22}")

    def line(label: str, values: list[object], target: str = "") -> None:
        print(f"{label:38}" + "".join(f"{v!s:>16}" for v in values) + f"{target:>22}")

    line("events", [f"{r['events']:,}" for r in results])
    line("generate + bulk insert (s)", [r["generate_s"] for r in results])
    line("baseline process peak RSS (MB)", [r["baseline_rss_mb"] for r in results])
    for name in ("jsonl", "csv", "jsonl_tenth"):
        line(f"export {name}: lines", [f"{r[f'export_{name}']['lines']:,}" for r in results])
        line(f"export {name}: seconds", [r[f"export_{name}"]["seconds"] for r in results])
        line(f"export {name}: peak RSS (MB)",
             [r[f"export_{name}"]["peak_rss_mb"] for r in results],
             "bounded" if name != "jsonl_tenth" else "about the same")
    line("verify: seconds (process)", [r["verify"]["seconds"] for r in results])
    line("verify: reported events/s",
         [f"{r['verify']['reported_events_per_s']:,}" for r in results],
         f">= {VERIFY_TARGET:,}")
    line("verify: peak RSS (MB)", [r["verify"]["peak_rss_mb"] for r in results])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--postgres", default=os.environ.get("ALTA_BENCH_DATABASE_URL")
                        or os.environ.get("ALTA_TEST_DATABASE_URL"),
                        help="PostgreSQL server URL (a database is created and dropped)")
    options = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="alta-bench-") as tmp:
        workdir = Path(tmp)
        print(f"SQLite: {options.events:,} events...", flush=True)
        results.append(measure("SQLite", f"sqlite:///{workdir / 'bench.db'}", options.events,
                               workdir))
        if options.postgres:
            import sqlalchemy as sa
            from sqlalchemy.engine import make_url

            name = f"alta_bench_{uuid.uuid4().hex[:8]}"
            admin = sa.create_engine(db.normalize_url(options.postgres),
                                     isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            try:
                url = make_url(db.normalize_url(options.postgres)).set(database=name)
                print(f"PostgreSQL: {options.events:,} events...", flush=True)
                results.append(measure("PostgreSQL", url.render_as_string(hide_password=False),
                                       options.events, workdir))
            finally:
                with admin.connect() as conn:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                admin.dispose()
    report(results)
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "audit_log.json").write_text(json.dumps(results, indent=2, ensure_ascii=False),
                                        encoding="utf-8")


if __name__ == "__main__":
    main()
