"""Every audit action Alta records has a Spanish name on the auditor's pages."""

from __future__ import annotations

import re
from pathlib import Path

from provisioning.account_requests import workflow
from provisioning.audit.labels import LABELS, label
from provisioning.people.accounts import CREATED, LINKED
from provisioning.reconciliation.models import DELETED, REAPPEARED, RENAMED
from provisioning.reconciliation.services import DECISIONS

ROOT = Path(__file__).resolve().parents[2] / "provisioning"
RECORDED = re.compile(r"\brecord\(\s*\"([a-z_]+\.[a-z_]+)\"")
NOTED = re.compile(r"workflow\.note\(\s*\w+,\s*\"([a-z_]+)\"")


def recorded_actions() -> set[str]:
    """The actions written as literals in the code, the workflow's moves and notes, and
    the two families built from a value."""
    found: set[str] = set()
    for path in ROOT.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found |= set(RECORDED.findall(text))
        found |= {f"request.{event}" for event in NOTED.findall(text)}
    found |= {f"request.{event}" for event in workflow.MOVES}
    found |= {f"directory.account_{origin}" for origin in (CREATED, LINKED)}
    found |= {f"directory.link_{status}" for status in ("confirmed", "rejected")}
    found |= {f"directory.account_{kind}" for kind in (RENAMED, DELETED, REAPPEARED)}
    found |= {f"reconciliation.{decision}" for decision in DECISIONS}
    return found


def test_every_recorded_action_has_a_spanish_name() -> None:
    actions = recorded_actions()
    assert len(actions) > 100  # the scan really found them
    assert sorted(actions - set(LABELS)) == []


def test_an_unlisted_action_shows_as_written() -> None:
    assert label("request.submitted") == "Solicitud registrada"
    assert label("nuevo.evento") == "nuevo.evento"  # never hidden
