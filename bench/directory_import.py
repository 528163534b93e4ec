"""Benchmark: the directory import (``alta directory import``) against a plain paged dump.

    python bench/directory_import.py [--users 20000] [--small 2000] [--keep]

In one run, against the test DC (ALTA_TEST_DIRECTORY_TOML; never reset, others use it):

  1. Plants ``--users`` accounts (ldapadd of one LDIF; no password, so no hashing) in
     OU=alta-import-bench: ``--small`` of them in its OU=p-small, the rest beside it. A
     complete bench OU from an earlier run with --keep is reused (marker in description).
  2. Alta's import of the ``--small`` OU and of the whole bench OU, each in a process of
     its own on a fresh SQLite database (paged search, upsert by objectGUID, commit per
     chunk, deletion pass): accounts/s and the process's peak RSS.
  3. ``ldapsearch -E pr=500/noprompt`` of the same base, filter and attributes, to a file:
     accounts/s and its peak RSS (the baseline: the DC's own paged-search rate).

Steps 2 and 3 alternate ``--rounds`` times (default 3) after one untimed ldapsearch that
warms the DC's caches, and the medians are reported: one run of each varied by half
(ldapsearch of 20,000 from 2,800 to 4,500/s; the first search after a DC restart is slow).

Prints accounts/s, the ratio to ldapsearch (target ≥ 0.5) and the peak RSS at both sizes
(target: flat), and writes them to bench/out/directory_import.json. The bench OU is
deleted at the end (ldapdelete -r, entry by entry: one tree delete of 20,000 stalls the DC) unless
--keep: 20,000 extra accounts slow every unindexed search of the shared DC.

Where the time went (07/12/2026, 20,000 accounts, CPU seconds measured with the DC's
processes' /proc times beside the client's): the DC spends ~5 s building and sending the
pages whoever asks; ldap3 spent ~4.4 s decoding them, a quarter of it in its
case-insensitive attribute dictionaries, and the database work ~3 s. A paged search is
turn-taking: the DC idles while the client decodes a page, since the next page needs the
cookie at the end of this one (ldap3's asynchronous strategy decodes as entries arrive but
gained nothing measurable: Samba sends a page once it has built it). So the levers were the
client's CPU and not waiting on the DC for the database: plain dictionaries
(CASE_INSENSITIVE_ATTRIBUTE_NAMES off, ~1 s), the search in a reader thread a few pages
ahead of the database writes, the DN key split without the full parser when the DN has
nothing to unescape, bulk INSERT of new accounts. From 0.40/0.32 to 0.60/0.66.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tomllib
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from provisioning import audit, create_app, db  # noqa: E402
from provisioning.config import load_settings  # noqa: E402
from provisioning.directory import connection  # noqa: E402
from provisioning.directory.imports import USER_FILTER, attributes  # noqa: E402
from provisioning.reconciliation import services  # noqa: E402

OUT = ROOT / "bench" / "out" / "directory_import.json"
BENCH_OU = "OU=alta-import-bench"
SMALL_OU = f"OU=p-small,{BENCH_OU}"


def _table() -> dict[str, Any]:
    path = os.environ.get("ALTA_TEST_DIRECTORY_TOML")
    if not path:
        sys.exit("ALTA_TEST_DIRECTORY_TOML is not set (the test DC's [directory] table).")
    with open(path, "rb") as fh:
        return tomllib.load(fh)["directory"]


def _app(table: dict[str, Any], work: Path) -> Any:
    url = f"sqlite:///{work / f'alta-{uuid.uuid4().hex[:6]}.db'}"
    db.upgrade(url)
    config = {"app": {"secret_key": "b" * 48, "instance_dir": str(work)},
              "database": {"url": url}, "directory": table}
    return create_app(load_settings(overrides=config, environ={}))


def _marker(users: int, small: int) -> str:
    return f"alta import bench v1: {users} cuentas, {small} en p-small"


def plant(table: dict[str, Any], work: Path, users: int, small: int) -> float:
    """The bench OU with ``users`` accounts; seconds spent (0: reused)."""
    app = _app(table, work)
    with app.app_context():
        directory = connection.current()
        base = directory.absolute(BENCH_OU)
        found = directory.read(base, ["description"])
        if found is not None and found.first("description") == _marker(users, small):
            return 0.0
        if found is not None:
            directory.delete(base, tree=True)
        attr = directory.settings.curp_attribute
        ldif = work / "bench.ldif"
        with ldif.open("w", encoding="utf-8") as out:
            for dn in (base, directory.absolute(SMALL_OU)):
                out.write(f"dn: {dn}\nobjectClass: top\nobjectClass: organizationalUnit\n\n")
            for n in range(users):
                where = directory.absolute(SMALL_OU) if n < small else base
                sam = f"bimp{n:05d}"
                out.write(f"dn: CN={sam},{where}\nobjectClass: user\nsAMAccountName: {sam}\n"
                          f"givenName: Banco{n}\nsn: Prueba Carga\n"
                          f"displayName: Banco{n} Prueba Carga\n"
                          f"userAccountControl: {514 if n % 10 == 0 else 544}\n"
                          + (f"{attr}: BENCH{n:013d}\n" if n % 3 == 0 else "") + "\n")
        started = time.perf_counter()
        _ldap(table, work, ["ldapadd", "-c", "-f", str(ldif)])
        directory.modify(base, {"description": [("replace", [_marker(users, small)])]})
        seconds = time.perf_counter() - started
        directory.close()
    return seconds


def _ldap(table: dict[str, Any], work: Path, command: list[str],
          stdout: Any = subprocess.DEVNULL) -> float:
    """Run an OpenLDAP client bound as Alta's account (password in a 0600 file, never on
    the command line) under /usr/bin/time; its peak RSS in MiB (the rusage of a child
    Python forked would count the parent's pages)."""
    settings = load_settings(overrides={"app": {"secret_key": "b" * 48},
                                        "directory": table}, environ={}).directory
    secret = work / "bind.pw"
    secret.write_text(settings.bind_password, encoding="utf-8")
    secret.chmod(0o600)
    env = {**os.environ, "LDAPTLS_CACERT": settings.ca_file,
           "LDAPTLS_REQCERT": "never"}  # the DC's certificate names DC1, not 127.0.0.1
    peak = work / "peak.kib"
    process = subprocess.Popen(
        ["/usr/bin/time", "-f", "%M", "-o", str(peak), command[0], "-x", "-H", settings.url,
         "-D", settings.bind_dn, "-y", str(secret),
         *command[1:]], stdout=stdout, stderr=subprocess.PIPE, env=env)
    _, error = process.communicate()
    if process.returncode not in (0, 68):  # 68: already exists (a half-planted OU)
        sys.exit(f"{command[0]} failed ({process.returncode}): "
                 f"{error.decode(errors='replace')[-500:]}")
    return int(peak.read_text().split()[-1]) / 1024


def ldapsearch(table: dict[str, Any], work: Path, base: str) -> dict[str, float]:
    dump = work / "dump.ldif"
    attr = table.get("curp_attribute", "employeeNumber")
    started = time.perf_counter()
    with dump.open("wb") as out:
        peak = _ldap(table, work, ["ldapsearch", "-LLL", "-E", "pr=500/noprompt", "-b", base,
                                    USER_FILTER, *attributes(attr)], stdout=out)
    seconds = time.perf_counter() - started
    with dump.open("rb") as fh:
        count = sum(1 for line in fh if line.startswith(b"dn: "))
    return {"accounts": count, "seconds": seconds, "per_s": count / seconds,
            "peak_rss_mib": peak}


def child_import(base: str) -> None:
    """One import in this process (run by the parent): prints its figures as JSON."""
    table = _table()
    with tempfile.TemporaryDirectory() as tmp:
        app = _app(table, Path(tmp))
        with app.app_context():
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            started = time.perf_counter()
            run = services.import_directory(connection.current(),
                                            actor=audit.Actor("bench", "bench"), base=base,
                                            checkpoint=lambda run: db.commit())
            db.commit()
            seconds = time.perf_counter() - started
            print(json.dumps({"accounts": run.seen, "seconds": seconds,
                              "per_s": run.seen / seconds, "rss_before_mib": rss_before,
                              "peak_rss_mib": resource.getrusage(
                                  resource.RUSAGE_SELF).ru_maxrss / 1024}))
            connection.close_for(app)


def alta_import(base: str) -> dict[str, float]:
    found = subprocess.run([sys.executable, __file__, "--child-import", base],
                           capture_output=True, text=True, check=True)
    return json.loads(found.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--small", type=int, default=2_000)
    parser.add_argument("--keep", action="store_true", help="Keep the bench OU for next time.")
    parser.add_argument("--rounds", type=int, default=3,
                        help="Alternate Alta and ldapsearch this many times (medians).")
    parser.add_argument("--child-import", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_import:
        child_import(args.child_import)
        return
    table = _table()
    results: dict[str, Any] = {"users": args.users, "small": args.small}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        base_dn = table["base_dn"]
        try:
            print(f"Planting {args.users} accounts in {BENCH_OU}…", flush=True)
            results["plant_seconds"] = plant(table, work, args.users, args.small)
            for label, base in (("small", SMALL_OU), ("all", BENCH_OU)):
                print(f"Import and ldapsearch of {base}, {args.rounds} rounds…", flush=True)
                absolute = f"{base},{base_dn}"
                ldapsearch(table, work, absolute)  # untimed: the DC's caches warm for both
                runs = [(alta_import(base), ldapsearch(table, work, absolute))
                        for _ in range(args.rounds)]
                results[f"alta_{label}"] = _median([a for a, _ in runs])
                results[f"ldapsearch_{label}"] = _median([d for _, d in runs])
                results[f"rounds_{label}"] = [[a["per_s"], d["per_s"]] for a, d in runs]
            report(results, args)
        finally:
            if not args.keep:  # entry by entry: one tree delete of 20,000 stalls the DC
                print(f"Deleting {BENCH_OU}…", flush=True)
                _ldap(table, work, ["ldapdelete", "-r", "-c", f"{BENCH_OU},{base_dn}"])


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    """The run with the median rate (its own figures, RSS included)."""
    return sorted(runs, key=lambda run: run["per_s"])[len(runs) // 2]


def report(results: dict[str, Any], args: argparse.Namespace) -> None:
    """Print the figures and write them to OUT."""
    print()
    if results["plant_seconds"]:
        print(f"planted {args.users} accounts in {results['plant_seconds']:.1f} s "
              f"({args.users / results['plant_seconds']:.0f}/s, ldapadd)")
    for label in ("small", "all"):
        alta, dump = results[f"alta_{label}"], results[f"ldapsearch_{label}"]
        ratio = alta["per_s"] / dump["per_s"]
        results[f"ratio_{label}"] = ratio
        print(f"{alta['accounts']:6d} accounts  Alta import {alta['per_s']:7.0f}/s "
              f"(peak RSS {alta['peak_rss_mib']:5.1f} MiB, {alta['rss_before_mib']:.1f} before)"
              f"   ldapsearch {dump['per_s']:7.0f}/s (peak RSS {dump['peak_rss_mib']:4.1f} MiB)"
              f"   ratio {ratio:.2f} (≥ 0.5)")
    growth = results["alta_all"]["peak_rss_mib"] - results["alta_small"]["peak_rss_mib"]
    print(f"Alta's peak RSS from {args.small} to {args.users} accounts: {growth:+.1f} MiB "
          "(target: flat)", flush=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nFigures written to {OUT.relative_to(ROOT)}", flush=True)


if __name__ == "__main__":
    main()
