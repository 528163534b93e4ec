"""Schemathesis against the status API's own OpenAPI document (/api/v1/openapi.json).

It runs every phase the command line runs (examples, coverage, fuzzing with valid and
invalid data) and every check (no 5xx, documented status codes, content types, headers and
response schemas, invalid data refused, valid data accepted, the token not ignored, 405 for
undocumented methods), seeded and bounded so it takes seconds and finds the same things
every time. Valid CURPs come from a strategy for the document's ``format: curp``: a CURP's
check digit, date and state cannot be said with a pattern.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import schemathesis
from hypothesis import strategies as st
from schemathesis.engine import Status, events

from provisioning import audit, curp, db
from provisioning.api import openapi
from provisioning.api import services as api

MAX_EXAMPLES = 50


@st.composite
def valid_curps(draw: st.DrawFn) -> str:
    """Any CURP the API takes: known state, real date, H or M, the right check digit."""
    letters = "ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"
    consonants = "BCDFGHJKLMNÑPQRSTVWXYZ"
    born = draw(st.dates(date(1930, 1, 1), date(2025, 12, 31)))
    differentiator = (draw(st.sampled_from("0123456789")) if born.year < 2000
                      else draw(st.sampled_from("ABCDEFGHJK")))
    first17 = (draw(st.sampled_from(letters)) + draw(st.sampled_from("AEIOUX"))
               + draw(st.text(letters, min_size=2, max_size=2)) + born.strftime("%y%m%d")
               + draw(st.sampled_from("HM")) + draw(st.sampled_from(sorted(curp.STATES)))
               + draw(st.text(consonants, min_size=3, max_size=3)) + differentiator)
    value = first17 + str(curp.check_digit(first17))
    return value.lower() if draw(st.booleans()) else value


schemathesis.openapi.format("curp", valid_curps())


def run_schemathesis(app: Any, token: str) -> tuple[list[str], dict[str, int]]:
    """Every failure found (check: title, curl), and how many calls each phase made.

    Over real HTTP, as the command line does (``schemathesis run URL``): its in-process WSGI
    transport is less travelled (4.32 crashes on it in the examples phase).
    """
    url = app.config["LIVE_URL"]
    config = schemathesis.Config.from_dict({
        "base-url": f"{url}/api/v1",
        "seed": 20260304,
        "workers": 1,
        "headers": {"Authorization": f"Bearer {token}"},
        "generation": {"max-examples": MAX_EXAMPLES, "mode": "all", "deterministic": True,
                       "database": "none"},
        "checks": {"enabled": True},
    })
    schema = schemathesis.openapi.from_url(f"{url}/api/v1/openapi.json", config=config)
    failures: list[str] = []
    calls: dict[str, int] = {}
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            calls[event.phase.value] = (calls.get(event.phase.value, 0)
                                        + len(event.recorder.interactions))
            for checks in event.recorder.checks.values():
                failures.extend(
                    f"{check.name}: {check.failure_info.failure.title} "
                    f"({check.failure_info.code_sample})"
                    for check in checks if check.status == Status.FAILURE and check.failure_info)
        elif isinstance(event, events.NonFatalError | events.FatalError):
            failures.append(f"error: {event.value!r} {event.info.code_sample}")
    return failures, calls


def new_token(app: Any) -> str:
    with app.app_context():
        _, token = api.create_client("SIEMPRE", scopes=list(api.SCOPES),
                                     actor=audit.Actor("admin", "admin"))
        db.commit()
    return token


def test_schemathesis_finds_no_failure(live_app) -> None:
    failures, calls = run_schemathesis(live_app, new_token(live_app))
    assert failures == []
    # It really called the API in each phase (a skipped phase would prove nothing).
    assert calls.get("examples", 0) >= 1, calls
    assert calls.get("coverage", 0) >= 10, calls
    assert calls.get("fuzzing", 0) >= MAX_EXAMPLES, calls


def test_schemathesis_catches_a_wrong_document(live_app, monkeypatch) -> None:
    # The same run on a document that forgets the 400 answer must fail: the harness bites.
    real = openapi.document

    def without_400(*args: Any) -> dict[str, Any]:
        doc = real(*args)
        doc["paths"]["/personal/estado"]["post"]["responses"].pop("400")
        return doc

    monkeypatch.setattr(openapi, "document", without_400)
    failures, _ = run_schemathesis(live_app, new_token(live_app))
    assert any(f.startswith("status_code_conformance") for f in failures), failures
