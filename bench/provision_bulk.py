"""Benchmark: bulk account creation, Alta's whole pipeline against the DC's own limits.

    python bench/provision_bulk.py [--users 500] [--samba-tool-users 50] [--workers 3]
        [--worker-nice 10] [--postgres URL] [--no-reset]

In one run, against the same throwaway DC freshly reset (scripts/ad-dc; needs root):

  (b) ldapadd of an LDIF with N users: every attribute Alta writes (random password,
      disabled, CURP, folio, unit…), the same OU layout and the same group memberships.
      The DC's own limit: it hashes each password (~20 ms of CPU) one add at a time.
  (a) N requests received by IT through Alta's pipeline: one IT action queues them
      (batch, jobs, audit), `alta worker` processes claim the jobs, look each CURP and name
      up on the DC, create the account in one add, add it to its group, read it back,
      record it, move the request to «cuenta creada» and write the audit events; each job
      committed on its own. Timed from the IT action to the last job's finish.
  (c) `samba-tool user add`, one call per user, for M users (the usual shell loop).

SQLite always; PostgreSQL too when a server URL is given (--postgres, or the environment
variables ALTA_BENCH_DATABASE_URL or ALTA_TEST_DATABASE_URL): a database is created for the
run and dropped afterwards. Prints users/s for each and the ratios a/b and a/c (targets:
≥ 0.85 and ≥ 10), with the DC's and the workers' CPU per user, and writes them to
bench/out/provision_bulk.json.

The DC and the workers share this machine's cores; in production they do not. So the DC
stays on one core (b, a and c alike) and the workers run at the lowest CPU priority
(--worker-nice 19): they use the DC's core only when it is idle. What is measured is how
well the pipeline keeps the DC busy, not how two programs share a CPU; --shared-cores
--worker-nice 0 measures the latter.

The people are synthetic (hypothetical CURPs), with names drawn from common Mexican given
names and surnames, so names collide about as often as in a real directory.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
import uuid
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from provisioning import (  # noqa: E402
    audit,
    create_app,
    db,
    naming,  # noqa: E402
)
from provisioning.catalogs import services as catalogs  # noqa: E402
from provisioning.config import load_settings  # noqa: E402
from provisioning.directory import accounts, connection  # noqa: E402
from provisioning.it import services  # noqa: E402
from provisioning.jobs.models import Job  # noqa: E402
from tests.support.curp import synthetic_curp  # noqa: E402
from tests.support.factories import received_request, write_toml  # noqa: E402

GIVEN = ["José", "Juan", "Luis", "Carlos", "Jorge", "Miguel Ángel", "Francisco", "Jesús",
         "Alejandro", "Roberto", "Fernando", "Ricardo", "Eduardo", "Javier", "Raúl", "Sergio",
         "Arturo", "Daniel", "Manuel", "Héctor", "Óscar", "Martín", "Víctor", "Mario",
         "Rafael", "Pedro", "Enrique", "Gerardo", "Alberto", "Ramón", "María", "Guadalupe",
         "Juana", "Margarita", "Verónica", "Leticia", "Rosa María", "Francisca", "Patricia",
         "Alejandra", "Elizabeth", "Gabriela", "Adriana", "Claudia", "Silvia", "Martha",
         "Araceli", "Yolanda", "Norma", "Laura", "Ana", "Sofía", "Mónica", "Lucía", "Irma",
         "Begoña", "Ximena", "Itzel", "Xóchitl", "Citlali"]
SURNAMES = ["Hernández", "García", "Martínez", "López", "González", "Rodríguez", "Pérez",
            "Sánchez", "Ramírez", "Cruz", "Flores", "Gómez", "Morales", "Vázquez", "Jiménez",
            "Reyes", "Díaz", "Torres", "Gutiérrez", "Ruiz", "Mendoza", "Aguilar", "Ortiz",
            "Moreno", "Castillo", "Romero", "Álvarez", "Méndez", "Chávez", "Rivera", "Juárez",
            "Ramos", "Domínguez", "Herrera", "Medina", "Castro", "Vargas", "Guzmán",
            "Velázquez", "Muñoz", "Rojas", "de la Cruz", "Contreras", "Salazar", "Luna",
            "Ortega", "Santiago", "Guerrero", "Estrada", "Bautista", "Cortés", "Soto",
            "Alvarado", "Espinoza", "Lara", "Ávila", "Ríos", "Cervantes", "Silva", "Delgado",
            "Vega", "Márquez", "Sandoval", "Carrillo", "León", "Mejía", "Solís", "Núñez",
            "Rosas", "Valdez", "Ibarra", "Campos", "Navarro", "Peña", "Maldonado", "Rosales",
            "Acosta", "Miranda", "Trejo", "del Río"]
UNITS = ["MSSSA000120", "MSSSA000342", "MSSSA001270", "MSSSA000415"]
HOSPITAL = "MSSSA001270"
STAFF_TYPES = ["medico", "enfermeria", "administrativo"]
BENCH_OU = "OU=bench"
OUT = ROOT / "bench" / "out" / "provision_bulk.json"


def people(count: int, seed: int, first_curp: int) -> list[dict[str, Any]]:
    """Synthetic people with common names (seeded: every run draws the same people)."""
    rng = random.Random(seed)  # noqa: S311 - test data, not security
    return [{"nombres": rng.choice(GIVEN), "primer_apellido": rng.choice(SURNAMES),
             "segundo_apellido": rng.choice([*SURNAMES, None]),
             "curp": synthetic_curp(first_curp + i), "unit_clues": UNITS[i % len(UNITS)],
             "staff_type_code": STAFF_TYPES[i % len(STAFF_TYPES)]} for i in range(count)]


def run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run a command; stop the benchmark with its output if it fails."""
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)  # noqa: S603
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd[:3])}… failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) process ``pid`` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_for(condition: Any, timeout: float, what: str, every: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            sys.exit(f"timed out waiting for {what}")
        time.sleep(every)


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def ldif_entry(dn: str, attrs: dict[str, Any]) -> str:
    """One LDIF add record, every value base64 (names carry accents)."""
    lines = [f"dn:: {b64(dn)}", *(f"objectClass: {c}" for c in accounts.USER_CLASSES)]
    for name, value in attrs.items():
        raw = value if isinstance(value, bytes) else str(value).encode("utf-8")
        lines.append(f"{name}:: {base64.b64encode(raw).decode('ascii')}")
    return "\n".join(lines) + "\n"


class Bench:
    """One benchmark run: its DC and its work folder."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.work = Path(tempfile.mkdtemp(prefix="alta-bench-"))
        self.ad_dc = str(ROOT / "scripts" / "ad-dc")
        self.settings_path = Path(run([self.ad_dc, "env"]).stdout.strip())
        self.dc_dir = self.settings_path.parent
        self.apps: list[Any] = []
        self.databases: list[str] = []

    def start_dc(self) -> None:
        action = "start" if self.args.no_reset else "reset"
        print(f"DC: scripts/ad-dc {action} ({self.dc_dir})", flush=True)
        run([self.ad_dc, action])
        self.table = tomllib.loads(self.settings_path.read_text())["directory"]
        self.settings = load_settings(overrides={"app": {"instance_dir": str(self.work)},
                                                 "directory": self.table},
                                      environ={}).directory

    def dc_pid(self) -> int:
        return int((self.dc_dir / "ad-dc.pid").read_text().strip())

    def dc_cpu(self) -> float:
        """CPU seconds the DC process has used so far."""
        return process_cpu(self.dc_pid())

    def separate_cores(self) -> None:
        """Keep the DC on one core (for b, a and c alike); restored at the end.

        In production the DC and Alta run on different machines. Here they share two
        cores; pinned, the DC is not moved around, and the workers (at the lowest CPU
        priority) only get its core when it has nothing to do.
        """
        cores = sorted(os.sched_getaffinity(self.dc_pid()))
        if len(cores) < 2 or not self.args.separate_cores:
            return
        self.dc_cores = set(cores)
        os.sched_setaffinity(self.dc_pid(), {cores[0]})
        # A local PostgreSQL server would be on another machine too: keep it off that core.
        self.moved: dict[int, set[int]] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                if stat.read_text().split(" ", 2)[1] == "(postgres)":
                    pid = int(stat.parent.name)
                    self.moved[pid] = os.sched_getaffinity(pid)
                    os.sched_setaffinity(pid, set(cores[1:]))
            except (OSError, IndexError):
                continue  # gone meanwhile

    def restore_cores(self) -> None:
        if getattr(self, "dc_cores", None):
            os.sched_setaffinity(self.dc_pid(), self.dc_cores)
        for pid, cores in getattr(self, "moved", {}).items():
            with suppress(OSError):
                os.sched_setaffinity(pid, cores)

    # -- (b) ldapadd ---------------------------------------------------------------------

    def ldapadd(self, group: list[dict[str, Any]], label: str) -> float:
        """Load an LDIF of ``group`` with ldapadd; returns the seconds it took."""
        base = self.settings.base_dn
        policy = naming.NamingPolicy(pattern=self.settings.naming_pattern)
        # Names already in the directory (earlier parts of this run) are taken, as the
        # pipeline would find them; the DC would refuse a duplicate.
        with self.apps[0].app_context():
            used_names = {(e.first("sAMAccountName") or "").lower()
                          for e in connection.current().search(
                              "(objectClass=user)", base=connection.current().absolute(
                                  BENCH_OU), attributes=["sAMAccountName"])}
        used_dns: set[str] = set()
        records, members = [], {t: [] for t in STAFF_TYPES}
        for ou in (f"OU={label},{BENCH_OU},{base}", f"OU=hospitales,OU={label},{BENCH_OU},{base}"):
            records.append(f"dn: {ou}\nobjectClass: top\nobjectClass: organizationalUnit\n")
        for n, p in enumerate(group):
            sam = next(c for c in naming.candidates(p["nombres"], p["primer_apellido"],
                                                    p["segundo_apellido"], policy)
                       if c not in used_names)
            used_names.add(sam)
            person = accounts.Person(
                curp=p["curp"], given_names=p["nombres"].upper(),
                first_surname=p["primer_apellido"].upper(),
                second_surname=(p["segundo_apellido"] or "").upper() or None,
                folio=f"{p['unit_clues']}-2025-{n:05d}", unit_name="Centro de Salud",
                unit_clues=p["unit_clues"], unit_type="", jurisdiction_code="I",
                staff_type_code=p["staff_type_code"])
            ou = ("OU=hospitales," if p["unit_clues"] == HOSPITAL else "") + \
                f"OU={label},{BENCH_OU},{base}"
            cn = person.full_name
            if f"{cn},{ou}".lower() in used_dns:
                cn = f"{cn} ({sam})"
            used_dns.add(f"{cn},{ou}".lower())
            dn = f"CN={accounts.escape_rdn(cn)},{ou}"
            records.append(ldif_entry(dn, accounts.user_attributes(self.settings, person, sam,
                                                                   cn)))
            members[p["staff_type_code"]].append(dn)
        for staff_type, dns in members.items():
            records += [f"dn: CN=bench-{staff_type},{BENCH_OU},{base}\nchangetype: modify\n"
                        f"add: member\nmember:: {b64(dn)}\n-\n" for dn in dns]
        ldif = self.work / f"{label}.ldif"
        ldif.write_text("\n".join(records), encoding="utf-8")
        password = self.work / "bind.pass"
        password.write_text(self.settings.bind_password, encoding="utf-8")  # no newline
        password.chmod(0o600)
        env = {**os.environ, "LDAPTLS_CACERT": self.settings.ca_file,
               # ldap-utils checks the certificate against the host it connects to
               # (127.0.0.1), which the certificate does not name, and cannot be told
               # another name. One handshake per run: it does not change the rate.
               "LDAPTLS_REQCERT": "never"}
        started = time.perf_counter()
        run(["ldapadd", "-x", "-H", self.settings.url, "-D", self.settings.bind_dn,
             "-y", str(password), "-f", str(ldif)], env=env)
        return time.perf_counter() - started

    # -- (a) the pipeline ----------------------------------------------------------------

    def database_url(self, server: str | None) -> str:
        if server is None:
            return f"sqlite:///{self.work / 'alta.db'}"
        name = f"alta_bench_{uuid.uuid4().hex[:8]}"
        engine = sa.create_engine(db.normalize_url(server), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        engine.dispose()
        self.databases.append(name)
        return make_url(db.normalize_url(server)).set(database=name).render_as_string(
            hide_password=False)

    def app(self, server: str | None, label: str) -> tuple[Any, dict[str, Any]]:
        """A migrated Alta on SQLite or a new PostgreSQL database; its configuration."""
        url = self.database_url(server)
        db.upgrade(url)
        config = {
            "app": {"secret_key": secrets.token_urlsafe(40), "instance_dir": str(self.work)},
            "database": {"url": url},
            "directory": {
                **self.table, "users_ou": f"OU={label},{BENCH_OU}",
                "ou_by_unit_type": {"hospital": f"OU=hospitales,OU={label},{BENCH_OU}"},
                "groups_by_staff_type": {t: [f"CN=bench-{t},{BENCH_OU}"] for t in STAFF_TYPES},
            },
        }
        app = create_app(load_settings(overrides=config, environ={}))
        self.apps.append(app)
        with app.app_context():
            catalogs.load_directory(actor=audit.Actor.system("bench"))
            db.commit()
        return app, config

    def groups(self, app: Any) -> None:
        with app.app_context():
            directory = connection.current()
            accounts.ensure_ou(directory, directory.absolute(BENCH_OU))
            for staff_type in STAFF_TYPES:
                directory.add(directory.absolute(f"CN=bench-{staff_type},{BENCH_OU}"),
                              ["top", "group"], {"sAMAccountName": f"bench-{staff_type}"})

    def pipeline(self, app: Any, config: dict[str, Any], group: list[dict[str, Any]],
                 label: str) -> dict[str, Any]:
        """Queue the requests with one IT action and let the workers run them."""
        with app.app_context():
            ids = [received_request(p["nombres"], p["primer_apellido"], p["segundo_apellido"],
                                    curp_value=p["curp"], unit_clues=p["unit_clues"],
                                    staff_type_code=p["staff_type_code"]).id for p in group]
            db.commit()
        config_file = write_toml(self.work / f"{label}.toml", config)
        log = self.work / f"{label}-workers.log"
        env = {**os.environ, "ALTA_CONFIG": str(config_file),
               "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        env.pop("ALTA_DATABASE_URL", None)
        nice = ["nice", "-n", str(self.args.worker_nice)] if self.args.worker_nice else []
        workers = []
        with log.open("ab") as out:
            for _ in range(self.args.workers):
                workers.append(subprocess.Popen(  # noqa: S603
                    [*nice, sys.executable, "-c", "from provisioning.cli import main; main()",
                     "worker", "--poll", "0.05"], env=env, stdout=out, stderr=out))
        try:
            wait_for(lambda: log.read_text().count("started; kinds") >= len(workers), 120,
                     "the workers to start")
            workers_cpu = sum(process_cpu(w.pid) for w in workers)
            dc_cpu = self.dc_cpu()
            with app.app_context():
                started_at = datetime.now(UTC)
                services.queue_provisioning(ids, actor=audit.Actor("bench", "informatica"))
                db.commit()

                def finished() -> bool:
                    db.session().expire_all()
                    done = services.progress(ids).finished
                    db.rollback()
                    return done

                # The end is read from the jobs' finish times: polling rarely keeps the
                # benchmark's own queries out of the workers' way.
                wait_for(finished, 3600, "the pipeline", every=1.0)
                last = db.session().scalar(select(func.max(Job.finished_at)).where(
                    Job.kind == services.KIND))
                progress = services.progress(ids)
                retried = db.session().execute(
                    select(Job.attempts, Job.last_error).where(
                        Job.kind == services.KIND, Job.attempts > 1)).all()
                db.rollback()
            dc_cpu = self.dc_cpu() - dc_cpu
            workers_cpu = sum(process_cpu(w.pid) for w in workers) - workers_cpu
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(timeout=30)
        if progress.created + progress.linked != len(ids):
            sys.exit(f"the pipeline did not make every account: {progress}\n{log.read_text()}")
        seconds = (last - started_at).total_seconds()
        for attempts, error in retried[:5]:
            print(f"    retried ({attempts} attempts): {error}", flush=True)
        return {"users_per_s": len(ids) / seconds, "seconds": seconds,
                "jobs_retried": len(retried),
                "created": progress.created, "linked": progress.linked,
                "dc_cpu_ms_per_user": 1000 * dc_cpu / len(ids),
                "workers_cpu_ms_per_user": 1000 * workers_cpu / len(ids)}

    # -- (c) samba-tool ------------------------------------------------------------------

    def samba_tool(self, group: list[dict[str, Any]]) -> float:
        """`samba-tool user add` once per user, on the DC's own database; users/s."""
        conf, sam_ldb = self.dc_dir / "etc" / "smb.conf", self.dc_dir / "private" / "sam.ldb"
        target = ["-s", str(conf), "-H", str(sam_ldb)]
        run(["samba-tool", "ou", "add", f"OU=samba-tool,{BENCH_OU}", *target])
        tag = secrets.token_hex(2)
        started = time.perf_counter()
        for i, p in enumerate(group):
            surnames = " ".join(s for s in (p["primer_apellido"], p["segundo_apellido"]) if s)
            run(["samba-tool", "user", "add", f"st{tag}{i:03d}", "--random-password",
                 f"--given-name={p['nombres']}", f"--surname={surnames}",
                 f"--description={p['unit_clues']}-2025-{i:05d}",
                 f"--userou=OU=samba-tool,{BENCH_OU}", "--must-change-at-next-login", *target])
        return len(group) / (time.perf_counter() - started)

    def cleanup(self, server: str | None) -> None:
        for index, app in enumerate(self.apps):
            if index == 0:
                with app.app_context():
                    directory = connection.current()
                    directory.delete(directory.absolute(BENCH_OU), tree=True)
            connection.close_for(app)
            app.extensions["alta.db"].engine.dispose()
        if server and self.databases:
            engine = sa.create_engine(db.normalize_url(server), isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                for name in self.databases:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            engine.dispose()
        shutil.rmtree(self.work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--samba-tool-users", type=int, default=50)
    parser.add_argument("--workers", type=int, default=6, help="alta worker processes")
    parser.add_argument("--worker-nice", type=int, default=19,
                        help="CPU priority of the workers (nice); 0: compete with the DC")
    parser.add_argument("--postgres", default=os.environ.get("ALTA_BENCH_DATABASE_URL")
                        or os.environ.get("ALTA_TEST_DATABASE_URL"),
                        help="PostgreSQL server URL: run the pipeline there too")
    parser.add_argument("--shared-cores", dest="separate_cores", action="store_false",
                        help="let the kernel move the DC between cores (default: it stays "
                             "on one)")
    parser.add_argument("--no-reset", action="store_true",
                        help="use the running DC as it is instead of resetting it")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("provision_bulk: not run: it needs root to reset the throwaway DC "
              "(scripts/ad-dc)")
        return
    logging.getLogger("alembic").setLevel(logging.WARNING)
    n = args.users
    everyone = people(3 * n + args.samba_tool_users, seed=2026, first_curp=1000)
    bench = Bench(args)
    results: dict[str, Any] = {"users": n, "workers": args.workers,
                               "worker_nice": args.worker_nice,
                               "dc_pinned": args.separate_cores}
    try:
        bench.start_dc()
        bench.separate_cores()
        sqlite_app, sqlite_config = bench.app(None, "sqlite")
        bench.groups(sqlite_app)
        # (b) is loaded in two halves, before and after the pipeline, so that a drift in
        # this machine's speed during the run weighs on both sides alike.
        half = n // 2
        print(f"(b) ldapadd, first {half} of {n} users…", flush=True)
        cpu = bench.dc_cpu()
        seconds = bench.ldapadd(everyone[:half], "ldif1")
        dc_seconds = bench.dc_cpu() - cpu
        print(f"(a) Alta pipeline on SQLite, {n} requests, {args.workers} workers…",
              flush=True)
        results["a_sqlite"] = bench.pipeline(sqlite_app, sqlite_config, everyone[n:2 * n],
                                             "sqlite")
        print(f"(b) ldapadd, last {n - half} of {n} users…", flush=True)
        cpu = bench.dc_cpu()
        seconds += bench.ldapadd(everyone[half:n], "ldif2")
        dc_seconds += bench.dc_cpu() - cpu
        results["b_ldapadd"] = {"users_per_s": n / seconds,
                                "dc_cpu_ms_per_user": 1000 * dc_seconds / n}
        if args.postgres:
            pg_app, pg_config = bench.app(args.postgres, "postgresql")
            print(f"(a) Alta pipeline on PostgreSQL, {n} requests, {args.workers} workers…",
                  flush=True)
            results["a_postgresql"] = bench.pipeline(pg_app, pg_config, everyone[2 * n:3 * n],
                                                     "postgresql")
        print(f"(c) samba-tool user add, {args.samba_tool_users} users…", flush=True)
        results["c_samba_tool"] = {"users_per_s": bench.samba_tool(everyone[3 * n:])}
    finally:
        bench.restore_cores()
        bench.cleanup(args.postgres)
    b = results["b_ldapadd"]["users_per_s"]
    c = results["c_samba_tool"]["users_per_s"]
    print()
    for key, label in (("a_sqlite", "(a) Alta pipeline, SQLite"),
                       ("a_postgresql", "(a) Alta pipeline, PostgreSQL")):
        if key in results:
            a = results[key]
            a["a_over_b"], a["a_over_c"] = a["users_per_s"] / b, a["users_per_s"] / c
            print(f"{label:32}{a['users_per_s']:7.1f} users/s   a/b = {a['a_over_b']:.2f} "
                  f"(≥ 0.85)   a/c = {a['a_over_c']:.1f} (≥ 10)   [{a['created']} created, "
                  f"{a['linked']} linked in {a['seconds']:.1f} s; DC CPU "
                  f"{a['dc_cpu_ms_per_user']:.1f} ms/user, workers "
                  f"{a['workers_cpu_ms_per_user']:.1f} ms/user]")
    print(f"{'(b) ldapadd of an LDIF':32}{b:7.1f} users/s   [DC CPU "
          f"{results['b_ldapadd']['dc_cpu_ms_per_user']:.1f} ms/user]")
    print(f"{'(c) samba-tool user add':32}{c:7.1f} users/s")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nFigures written to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
