"""P2 — pages under load, and a soak: gunicorn with production settings on PostgreSQL.

    python bench/load.py [--postgres URL] [--seconds 20] [--soak-seconds 300]

Runs, in one go against the same servers:

1. 32 concurrent clients (wrk) for ``--seconds`` each on: the applicant's tracking page (a
   POST that verifies folio + tracking code: an argon2id check at production cost), the
   staff pages people use all day (a unit head's inbox /firmas, the dashboard /tablero as
   IT and as a unit head, the liaison's /oficios, IT's /informatica/oficios, a request's
   page, a person's record and the people list, the reconciliation page) and, as the
   baseline, a bare Flask endpoint served by the same gunicorn settings. Prints req/s, p50,
   p99 (staff pages: target < 150 ms) and each page's ratio to the bare endpoint.
2. A soak: 50 clients for ``--soak-seconds`` (default 5 minutes) on the inbox and the
   dashboard at once, sampling the workers' memory every 10 s. Passes with 0 errors and
   memory that does not grow (last sample within 10 % of the first after warm-up).

Production settings: argon2id t=3 m=64 MiB p=2, PostgreSQL, secure cookies (wrk sends the
cookie anyway). Only the per-IP rate limits are off: every wrk client shares one IP, and
the point is to measure the pages, not the limiter.

Where the time goes (07/12/2026, one request at a time in-process under cProfile, 2,000
requests in PostgreSQL; figures per request):

* /tablero as IT, 35 ms and 17 queries: ageing the 300 listed requests day by day
  (``workdays.age``) was a third of it; loading those 301 whole requests (every personal
  field) and drawing them most of the rest. Now 50 rows a page by keyset, only the listed
  columns, business days by arithmetic, the catalog read once per request: 16 queries.
* A person's record: its history listed every audited read of the record, so each view
  made the next one longer; under 32 clients it served 10 req/s (p50 2.9 s). Routine reads
  are now left out of the history (they stay in the audit log): 41 req/s.
* What every staff page pays, whatever it shows: the session's staff row and grants (two
  queries), the read audit (lock the chain head, insert, update, checkpoint lookup: four
  statements inside the request's transaction), result-column decoding of wide ORM rows,
  and the base template. A five-query page (/informatica/oficios) costs ~13 ms of CPU
  between the worker and PostgreSQL on these 2 cores, so 32 clients queue behind ~150 req/s
  and no staff page reaches p99 < 150 ms yet. Next levers: the principal cached in the
  session for a few seconds, lists reading only their columns (``load_only``), count
  queries merged (FILTER), the audit chain append done in one statement.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))

CLIENTS, SOAK_CLIENTS = 32, 50
STAFF_P99_MS = 150  # issue 13: staff pages at 32 clients
WORKERS = int(os.environ.get("ALTA_BENCH_WORKERS", str(2 * (os.cpu_count() or 1))))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_url(explicit: str | None) -> str:
    url = explicit or os.environ.get("ALTA_BENCH_DATABASE_URL") or os.environ.get(
        "ALTA_TEST_DATABASE_URL")
    if url:
        return url
    started = subprocess.run([str(ROOT / "scripts" / "pg-test"), "start"], capture_output=True,
                             text=True, check=False)
    if started.returncode != 0:
        sys.exit("P2 needs PostgreSQL: give --postgres URL or run as root "
                 f"(scripts/pg-test said: {started.stderr.strip()})")
    return started.stdout.strip()


def create_database(server_url: str) -> tuple[str, str]:
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    from provisioning import db

    name = f"alta_bench_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(db.normalize_url(server_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    url = make_url(db.normalize_url(server_url)).set(database=name)
    return name, url.render_as_string(hide_password=False)


def drop_database(server_url: str, name: str) -> None:
    import sqlalchemy as sa

    from provisioning import db

    engine = sa.create_engine(db.normalize_url(server_url), isolation_level="AUTOCOMMIT")
    # Right after a big load, autovacuum (not ours to terminate) may still hold the
    # database for a moment: retry instead of failing the benchmark.
    for attempt in range(30):
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            break
        except sa.exc.DBAPIError:
            if attempt == 29:
                raise
            time.sleep(1)
    engine.dispose()


def write_config(folder: Path, url: str, base: str) -> Path:
    config = folder / "alta.toml"
    config.write_text(
        f'[app]\ninstance_dir = "{folder}/instance"\nbase_url = "{base}"\n'
        f'secret_key = "{uuid.uuid4().hex}{uuid.uuid4().hex}"\nlog_level = "WARNING"\n'
        f'[database]\nurl = "{url}"\n'
        "[rate_limit]\nenabled = false\n"
        "[mail]\nenabled = false\n", encoding="utf-8")
    return config


def seed(config: Path, requests: int) -> dict[str, str]:
    """Schema, catalogs, a unit head and an IT analyst, and ``requests`` submitted requests."""
    script = f"""
import json, pyotp
from provisioning import create_app, db, audit
from provisioning.config import load_settings
from provisioning.catalogs import services as catalogs
from provisioning.staff import services as staff
from provisioning.staff.models import Role
from provisioning.crypto import sealer
from provisioning.timeutil import now
from provisioning.account_requests import forms, services
from provisioning import curp
from werkzeug.datastructures import MultiDict
settings = load_settings({str(config)!r})
db.upgrade(settings.database.url)
app = create_app(settings)
out = {{}}
with app.app_context():
    actor = audit.Actor("bench", "sistema")
    catalogs.load_directory(actor=actor)
    db.commit()
    for username, grant in (("jefe.bench", staff.Grant(Role.JEFE_UNIDAD, unit_clues="MSSSA000120")),
                            ("it.bench", staff.Grant(Role.INFORMATICA)),
                            ("enlace.bench", staff.Grant(Role.ENLACE, jurisdiction_code="I"))):
        user, _ = staff.create_staff(username=username, full_name="PERSONA DE PRUEBA",
                                     email=username + "@ssm.test", grants=[grant], actor=actor,
                                     password="Frase-larga-de-prueba-2026")
        seed_ = pyotp.random_base32()
        user.must_change_password = False
        user.totp_secret_sealed = sealer().seal(seed_)
        user.totp_enrolled_at = now()
        out[username] = seed_
    db.commit()
    units = [u.clues for u in catalogs.units() if u.unit_type != "oficinas_centrales"]
    for n in range({requests}):
        first17 = ("PEGL" + "%02d%02d%02d" % (60 + n // 336 % 40, 1 + n // 28 % 12, 1 + n % 28)
                   + "MMSRMS" + str(n // 13440 % 10))
        form = MultiDict(dict(wants_user_account="on", expediente_electronico="si",
            curp=first17 + str(curp.check_digit(first17)), nombres="Lucía", primer_apellido="Peña",
            segundo_apellido="Gómez", unit_clues=units[n % len(units)] if n % 3 else "MSSSA000120",
            direccion_code="DAM", subdireccion_code="SAPS",
            departamento="N/A", telefono="7771234567", contact_email="p@example.org",
            staff_type_code="medico", accepts_personal_account="on",
            accepts_institutional_use="on", accepts_privacy_notice="on"))
        if form["unit_clues"] in ("MSSSA001270", "MSSSA001282", "MSSSA001294"):
            form["subdireccion_code"] = "SH"
        made = services.submit(forms.parse(form), ip="127.0.0.1")
        if n == 0:
            out["folio"], out["code"] = made.request.folio, made.code
            out["request_id"], out["person_id"] = made.request.id, made.request.person_id
        if n % 200 == 0:
            db.commit()
    db.commit()
print(json.dumps(out))
"""
    env = {**os.environ, "ALTA_CONFIG": str(config)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, check=False, cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"seeding failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


class _LoopbackPolicy(http.cookiejar.DefaultCookiePolicy):
    def return_ok_secure(self, cookie: http.cookiejar.Cookie, request: object) -> bool:
        return True


class Session:
    """A cookie-keeping HTTP client (for signing in and getting CSRF tokens)."""

    def __init__(self, base: str) -> None:
        self.base = base
        # Production cookies are Secure; the bench talks plain HTTP on loopback.
        self.jar = http.cookiejar.CookieJar(policy=_LoopbackPolicy())
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.read().decode()

    def post(self, path: str, data: dict[str, str]) -> str:
        body = urllib.parse.urlencode(data).encode()
        with self.opener.open(self.base + path, data=body, timeout=30) as response:
            return response.read().decode()

    def token(self, path: str) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', self.get(path))[1]

    def cookie(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def sign_in(base: str, username: str, seed_: str) -> Session:
    import pyotp

    session = Session(base)
    session.post("/acceso", {"csrf_token": session.token("/acceso"), "username": username,
                             "password": "Frase-larga-de-prueba-2026"})
    session.post("/acceso/verificacion", {"csrf_token": session.token("/acceso/verificacion"),
                                          "code": pyotp.TOTP(seed_).now()})
    assert "Bienvenido" in session.get("/panel"), f"sign-in of {username} failed"
    return session


def gunicorn(app_spec: str, port: int, config: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ALTA_CONFIG": str(config)}
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", str(WORKERS), "-b", f"127.0.0.1:{port}", "--timeout",
         "60", "--log-level", "warning", app_spec],
        env=env, cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    sys.exit(f"gunicorn {app_spec} did not start; see {log}")


def stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def wrk(url: str, *, clients: int, seconds: int, cookie: str | None = None,
        script: Path | None = None) -> dict[str, float]:
    command = ["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "--latency", "--timeout", "30s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    if script:
        command += ["-s", str(script)]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])
    lat = {p: _ms(re.search(rf"^\s+{p}%\s+([\d.]+\w+)", output, re.M)[1]) for p in (50, 99)}
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                              r"timeout (\d+)", output)
    errors = int(non_2xx[1]) if non_2xx else 0
    if socket_errors:
        errors += sum(int(x) for x in socket_errors.groups())
    total = int(re.search(r"(\d+) requests in", output)[1])
    return {"rps": rate, "p50_ms": lat[50], "p99_ms": lat[99], "errors": errors,
            "requests": total}


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def worker_rss_mb(master: int) -> float:
    total = 0
    for child in Path(f"/proc/{master}/task/{master}/children").read_text().split():
        status = Path(f"/proc/{child}/status").read_text()
        total += int(re.search(r"VmRSS:\s+(\d+)", status)[1])
    return total / 1024


def post_script(folder: Path, body: str, cookie: str) -> Path:
    script = folder / "post.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(body)}\n"
        'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
        f'wrk.headers["Cookie"] = {json.dumps(cookie)}\n', encoding="utf-8")
    return script


def mixed_script(folder: Path, inbox_cookie: str, it_cookie: str) -> Path:
    script = folder / "mixed.lua"
    script.write_text(
        "local n = 0\n"
        "request = function()\n"
        "  n = n + 1\n"
        "  if n % 2 == 0 then\n"
        f"    return wrk.format('GET', '/firmas', {{Cookie = {json.dumps(inbox_cookie)}}})\n"
        "  end\n"
        f"  return wrk.format('GET', '/tablero', {{Cookie = {json.dumps(it_cookie)}}})\n"
        "end\n", encoding="utf-8")
    return script


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--soak-seconds", type=int, default=300)
    parser.add_argument("--requests", type=int, default=2000,
                        help="requests in the database (the inbox shows a unit's share)")
    args = parser.parse_args()
    if not shutil.which("wrk") and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"],
                       check=False, capture_output=True)
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk (Debian package)")
    server = postgres_url(args.postgres)
    name, url = create_database(server)
    folder = Path(tempfile.mkdtemp(prefix="alta-load-"))
    port, bare_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    results: dict[str, dict[str, float]] = {}
    processes = []
    try:
        config = write_config(folder, url, base)
        print(f"seeding {args.requests} requests…", flush=True)
        secrets = seed(config, args.requests)
        app = gunicorn("provisioning:create_app()", port, config, folder / "alta.log")
        processes.append(app)
        bare = gunicorn("bench._bare_app:app", bare_port, config, folder / "bare.log")
        processes.append(bare)
        jefe = sign_in(base, "jefe.bench", secrets["jefe.bench"])
        it = sign_in(base, "it.bench", secrets["it.bench"])
        applicant = Session(base)
        token = applicant.token("/seguimiento")
        tracking = post_script(folder, urllib.parse.urlencode(
            {"csrf_token": token, "folio": secrets["folio"], "code": secrets["code"]}),
            applicant.cookie())
        print(f"P2: {CLIENTS} clients, {args.seconds} s each, gunicorn -w {WORKERS}", flush=True)
        results["flask_bare"] = wrk(f"http://127.0.0.1:{bare_port}/", clients=CLIENTS,
                                    seconds=args.seconds)
        results["seguimiento"] = wrk(f"{base}/seguimiento", clients=CLIENTS,
                                     seconds=args.seconds, script=tracking)
        enlace = sign_in(base, "enlace.bench", secrets["enlace.bench"])
        for key, path, who in (
                ("bandeja_jefe", "/firmas", jefe), ("tablero", "/tablero", it),
                ("tablero_jefe", "/tablero", jefe), ("oficios_enlace", "/oficios", enlace),
                ("oficios_it", "/informatica/oficios", it),
                ("solicitud", f"/solicitudes/{secrets['request_id']}", jefe),
                ("persona", f"/personas/{secrets['person_id']}", it),
                ("personas", "/personas", it),
                ("conciliacion", "/informatica/directorio/conciliacion", it)):
            results[key] = wrk(base + path, clients=CLIENTS, seconds=args.seconds,
                               cookie=who.cookie())
        soak = None
        if args.soak_seconds > 0:
            print(f"soak: {SOAK_CLIENTS} clients for {args.soak_seconds} s…", flush=True)
            soak = run_soak(base, app.pid, args.soak_seconds,
                            mixed_script(folder, jefe.cookie(), it.cookie()))
        report(results, soak, args)
    finally:
        for process in processes:
            stop(process)
        drop_database(server, name)
        shutil.rmtree(folder, ignore_errors=True)


def run_soak(base: str, master: int, seconds: int, script: Path) -> dict[str, object]:
    runner = subprocess.Popen(
        ["wrk", "-t2", f"-c{SOAK_CLIENTS}", f"-d{seconds}s", "--latency", "--timeout", "30s",
         "-s", str(script), base], stdout=subprocess.PIPE, text=True)
    samples = []
    started = time.monotonic()
    while runner.poll() is None:
        samples.append((round(time.monotonic() - started), round(worker_rss_mb(master), 1)))
        time.sleep(10)
    output = runner.stdout.read() if runner.stdout else ""
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: .*", output)
    errors = int(non_2xx[1]) if non_2xx else 0
    if socket_errors:
        errors += sum(int(x) for x in re.findall(r"\d+", socket_errors[0]))
    warm = [mb for t, mb in samples if t >= 30] or [mb for _, mb in samples]
    growth = (warm[-1] - warm[0]) / warm[0] if warm and warm[0] else 0.0
    return {"seconds": seconds, "requests": int(re.search(r"(\d+) requests in", output)[1]),
            "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]),
            "errors": errors, "rss_samples_mb": samples, "rss_growth_after_warmup": growth,
            "ok": errors == 0 and growth <= 0.10}


def report(results: dict[str, dict[str, float]], soak: dict[str, object] | None,
           args: argparse.Namespace) -> None:
    bare = results["flask_bare"]["rps"]
    print(f"\n{'página':<16}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errores':>9}"
          f"{'vs Flask vacío':>16}  p99 < {STAFF_P99_MS} ms")
    for key, r in results.items():
        target = "" if key in ("flask_bare", "seguimiento") else (
            "sí" if r["p99_ms"] < STAFF_P99_MS else "NO")
        print(f"{key:<16}{r['rps']:>10.1f}{r['p50_ms']:>10.1f}{r['p99_ms']:>10.1f}"
              f"{int(r['errors']):>9}{r['rps'] / bare:>15.3f}x  {target}")
    if soak:
        first, last = soak["rss_samples_mb"][0][1], soak["rss_samples_mb"][-1][1]
        print(f"\nsoak {soak['seconds']} s, {SOAK_CLIENTS} clientes: {soak['requests']} "
              f"solicitudes, {soak['rps']:.1f} req/s, {soak['errors']} errores, memoria de los "
              f"workers {first} → {last} MB (crecimiento tras calentar "
              f"{soak['rss_growth_after_warmup']:+.1%}): {'OK' if soak['ok'] else 'FALLA'}")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "load.json").write_text(json.dumps(
        {"workers": WORKERS, "clients": CLIENTS, "seconds": args.seconds, "pages": results,
         "soak": soak}, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
