"""The deployment kit under test: systemd unit files read as systemd would (their
ExecStart and Environment), and a fresh virtualenv holding only what Alta declares.

The fresh virtualenv is built without the network: ``python -m venv --without-pip``, then
every distribution of the dependency closure of ``alta[prod]`` (pyproject.toml, markers
evaluated, extras followed) is hard-linked from the test venv, its console scripts written
as pip writes them, and Alta itself installed editable (a .pth to the checkout, as
``pip install -e`` does; the templates live beside the package). A package Alta imports but
does not declare is missing there, and the unit's command fails to start.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata as metadata
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SITE = Path(sysconfig.get_paths()["purelib"])


@dataclasses.dataclass(frozen=True)
class Unit:
    """One systemd unit file: its sections as lists of (key, value), in order."""

    path: Path
    sections: dict[str, list[tuple[str, str]]]

    def values(self, section: str, key: str) -> list[str]:
        return [v for k, v in self.sections.get(section, []) if k == key]

    def value(self, section: str, key: str) -> str:
        found = self.values(section, key)
        assert len(found) == 1, f"{self.path.name}: [{section}] {key} given {len(found)} times"
        return found[0]

    def environment(self) -> dict[str, str]:
        """Environment= lines (each may hold several quoted assignments)."""
        env: dict[str, str] = {}
        for line in self.values("Service", "Environment"):
            for assignment in shlex.split(line):
                name, _, value = assignment.partition("=")
                env[name] = value
        return env

    def exec_start(self) -> list[str]:
        """ExecStart as argv, without systemd's prefixes (-, @, +, !)."""
        argv = shlex.split(self.value("Service", "ExecStart"))
        argv[0] = argv[0].lstrip("-@+!:")
        return argv


def read_unit(path: Path) -> Unit:
    """Parse a unit file (comments, sections, repeated keys; no line continuations)."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        assert not line.endswith("\\"), f"{path.name}: line continuations are not parsed"
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        assert current is not None and "=" in line, f"{path.name}: unexpected line {raw!r}"
        key, _, value = line.partition("=")
        current.append((key.strip(), value.strip()))
    return Unit(path, sections)


def _closure(requirements: list[str]) -> dict[str, metadata.Distribution]:
    """The installed distributions the requirements need, transitively."""
    found: dict[str, metadata.Distribution] = {}
    todo = [(Requirement(r), "") for r in requirements]
    while todo:
        requirement, extra = todo.pop()
        if requirement.marker and not requirement.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(requirement.name)
        dist = metadata.distribution(requirement.name)
        assert requirement.specifier.contains(dist.version, prereleases=True), \
            f"{requirement} is not met by the installed {dist.version}"
        extras = sorted(requirement.extras)
        key = f"{name}[{','.join(extras)}]"
        if key in found:
            continue
        found[key] = dist
        for child in dist.requires or []:
            for wanted in [""] + extras:
                todo.append((Requirement(child), wanted))
    return {k.split("[")[0]: d for k, d in found.items()}


def _link(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def fresh_venv(dest: Path, extras: tuple[str, ...] = ("prod",)) -> Path:
    """A new virtualenv at ``dest`` with Alta (editable) and exactly its declared
    dependencies; returns its bin folder."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(dest)], check=True)
    bin_dir = dest / "bin"
    python = bin_dir / "python"
    site = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True).stdout.strip())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = list(project["dependencies"])
    for extra in extras:
        wanted += project["optional-dependencies"][extra]
    scripts: dict[str, str] = dict(project.get("scripts", {}))
    for dist in _closure(wanted).values():
        base = Path(dist.locate_file(""))
        for file in dist.files or []:
            source = Path(dist.locate_file(file))
            try:
                relative = source.resolve().relative_to(base.resolve())
            except ValueError:
                continue  # scripts in bin/: written below for this venv
            if "__pycache__" in relative.parts or not source.is_file():
                continue
            _link(source, site / relative)
        for entry in dist.entry_points.select(group="console_scripts"):
            scripts[entry.name] = entry.value
    (site / "__editable__.alta.pth").write_text(f"{ROOT}\n", encoding="utf-8")
    for name, target in scripts.items():
        module, _, attr = target.partition(":")
        script = bin_dir / name
        script.write_text(f"#!{python}\nimport sys\nfrom {module} import {attr.split('.')[0]}\n"
                          f"sys.exit({attr}())\n", encoding="utf-8")
        script.chmod(0o755)
    return bin_dir


def install_paths(argv: list[str], mapping: dict[str, str]) -> list[str]:
    """Replace the production paths in a command (/opt/alta, /etc/alta/alta.toml...) with
    the test's, longest first."""
    out = []
    for arg in argv:
        for prod in sorted(mapping, key=len, reverse=True):
            if prod in arg:
                arg = arg.replace(prod, mapping[prod])
                break
        out.append(arg)
    return out


def drill_config(path: Path, url: str) -> Path:
    """An alta.toml for the drills: the test apps' keys (tests/support/app.py), and only keys
    the previous release knows too (it rejects unknown ones)."""
    from tests.support.factories import write_toml

    return write_toml(path, {
        "app": {"secret_key": "s" * 48, "instance_dir": str(path.parent / "instance"),
                "base_url": "http://localhost"},
        "database": {"url": url},
        "security": {"argon2_time_cost": 1, "argon2_memory_cost_kib": 256,
                     "argon2_parallelism": 1, "code_argon2_memory_cost_kib": 256,
                     "session_cookie_secure": False},
    })


def alta(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real `alta` command of this venv, as an operator runs it (ALTA_CONFIG only)."""
    env = {"PATH": os.environ["PATH"], "LANG": "C.UTF-8", "ALTA_CONFIG": str(config)}
    return subprocess.run([str(Path(sys.executable).with_name("alta")), *args], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
