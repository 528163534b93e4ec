"""Benchmark: does /preregistro take as long for a name that may not sign in as for a wrong
password?

    python bench/preregistration_sign_in.py [--rounds 200] [--directory-toml PATH]

Against a running test DC (the [directory] table in PATH, or in ALTA_BENCH_DIRECTORY_TOML or
ALTA_TEST_DIRECTORY_TOML; nothing is started or reset), in a throwaway OU with one enabled
account whose password is known, times what the sign-in asks of the directory, in turns:

  wrong password   the account's read by objectGUID, then a bind with a wrong password
  no account       the read of a GUID no entry has, then a bind of a DN that does not exist
                   (a name with no pending pre-registration: unknown, not activated, done)
  right password   the account's read and a bind that succeeds (for reference)

The database part (one indexed lookup of the typed name, one of its request) is the same
for every name and costs well under a millisecond. Prints the median, the 90th percentile
and the mean of each, and the difference of medians between the first two: it should be a
few percent of a bind at most, and smaller than the spread of either.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
import tomllib
import uuid
from contextlib import suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from provisioning.config import load_settings  # noqa: E402
from provisioning.directory import accounts  # noqa: E402
from provisioning.directory.connection import Directory  # noqa: E402
from provisioning.directory.errors import BindRefused  # noqa: E402

BENCH_OU = "OU=alta-tests"


def timed(run: object) -> float:
    """Milliseconds one call of ``run`` takes (a refusal is the expected outcome)."""
    start = time.perf_counter()
    with suppress(BindRefused):
        run()  # type: ignore[operator]
    return (time.perf_counter() - start) * 1000


def summary(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[int(len(ordered) * 0.9) - 1]
    return (f"{name:<16} median {statistics.median(ordered):6.1f} ms   p90 {p90:6.1f} ms   "
            f"mean {statistics.fmean(ordered):6.1f} ms   (n={len(ordered)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--directory-toml", default=os.environ.get("ALTA_BENCH_DIRECTORY_TOML")
                        or os.environ.get("ALTA_TEST_DIRECTORY_TOML"))
    args = parser.parse_args()
    if not args.directory_toml or not Path(args.directory_toml).exists():
        print("preregistration_sign_in: not run: no test DC ([directory] table: "
              "--directory-toml, ALTA_BENCH_DIRECTORY_TOML or ALTA_TEST_DIRECTORY_TOML)")
        return
    table = tomllib.loads(Path(args.directory_toml).read_text())["directory"]
    ou = f"OU=bench-{uuid.uuid4().hex[:10]},{BENCH_OU}"
    settings = load_settings(overrides={"app": {"instance_dir": tempfile.mkdtemp()},
                                        "directory": {**table, "users_ou": ou}},
                             environ={}).directory
    directory = Directory(settings)
    try:
        accounts.ensure_ou(directory, directory.absolute(ou))
        password = "Bench-Clave-" + secrets.token_hex(4)
        sam = f"bench.{secrets.token_hex(3)}"
        dn = f"CN={sam},{directory.absolute(ou)}"
        directory.add(dn, accounts.USER_CLASSES, {
            "sAMAccountName": sam, "unicodePwd": accounts.encode_password(password),
            "userAccountControl": accounts.NORMAL_ACCOUNT})
        guid = directory.read(dn, ["objectGUID"]).guid  # type: ignore[union-attr]
        cases = {
            "wrong password": lambda: accounts.verify_password(directory, guid, "Mala-1-2026"),
            "no account": lambda: accounts.verify_password(directory, None, "Mala-1-2026"),
            "right password": lambda: accounts.verify_password(directory, guid, password),
        }
        for run in cases.values():  # warm the service connection and the DC's caches
            timed(run)
        samples: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.rounds):
            for name, run in cases.items():
                samples[name].append(timed(run))
        print(f"DC {table['url']}, {args.rounds} rounds, in turns:")
        for name, values in samples.items():
            print(summary(name, values))
        wrong, none = (statistics.median(samples[n]) for n in ("wrong password", "no account"))
        spread = min(statistics.stdev(samples["wrong password"]),
                     statistics.stdev(samples["no account"]))
        print(f"no account - wrong password: {none - wrong:+.1f} ms of medians "
              f"({(none - wrong) / wrong:+.1%}); standard deviation {spread:.1f} ms")
    finally:
        directory.delete(directory.absolute(ou), tree=True)
        directory.close()


if __name__ == "__main__":
    main()
