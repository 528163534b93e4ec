"""deploy/README.md stays true to the kit: it names every file of deploy/, and every
configuration key it names exists in config.example.toml (in the section it says)."""

from __future__ import annotations

import re
import tomllib

from tests.support.deploy import DEPLOY, ROOT

README = (DEPLOY / "README.md").read_text(encoding="utf-8")
# Names in backticks that look like keys but are not: PostgreSQL roles, an nginx directive.
NOT_KEYS = {"alta_owner", "alta_app", "server_name"}


def _sections() -> dict[str, set[str]]:
    """Each section's keys, set or shown commented out (`# data_key_file = ...`), with the
    `key_file` form every key accepts (and the key a `key_file` line stands for)."""
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    tomllib.loads(text)  # it must stay valid
    sections: dict[str, set[str]] = {}
    current = ""
    for line in text.splitlines():
        header = re.match(r"^\[(\w+)\]", line)
        if header:
            current = header.group(1)
            continue
        key = re.match(r"^#?\s*([a-z][a-z0-9_]*)\s*=", line)
        if key and current:
            name = key.group(1).removesuffix("_file")
            sections.setdefault(current, set()).update({name, f"{name}_file"})
    return sections


def test_the_readme_names_every_file_of_the_kit() -> None:
    # Bytecode the deploy test leaves beside gunicorn.conf.py is not part of the kit.
    files = [p for p in DEPLOY.rglob("*") if p.is_file() and p.name != "README.md"
             and "__pycache__" not in p.parts]
    assert len(files) >= 10
    missing = [p.name for p in files if p.name not in README]
    assert missing == []


def test_every_key_the_readme_names_is_in_config_example() -> None:
    sections = _sections()
    every_key = set().union(*sections.values())
    named: list[tuple[str | None, str]] = []
    named += re.findall(r"`\[(\w+)\]\.(\w+)`", README)
    for section, cell in re.findall(r"^\| `\[(\w+)\]` \| ([^|]+) \|", README, re.MULTILINE):
        named += [(section, key) for key in re.findall(r"`(\w+)`", cell)]
    named += [(None, key) for key in re.findall(r"`([a-z]+(?:_[a-z0-9]+)+)`", README)
              if key not in NOT_KEYS]
    assert len(named) > 20
    wrong = [(section, key) for section, key in named
             if (key not in sections.get(section, set()) if section else key not in every_key)]
    assert wrong == []
