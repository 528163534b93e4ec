"""Structured logs: one JSON object per line, with the request's id ([observability])."""

from __future__ import annotations

import json
import logging
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, g, has_request_context, request

# An id a proxy gave (nginx's $request_id is 32 hex characters); anything else is replaced.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


class JsonFormatter(logging.Formatter):
    """time (UTC, ISO 8601), level, logger, message, request_id; exc_info as text."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": current_request_id(),
        }
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def current_request_id() -> str | None:
    if not has_request_context():
        return None
    return g.get("request_id")


def configure(level: str, fmt: str) -> None:
    """Set up the root logger: text (as before) or JSON lines on stderr."""
    if fmt != "json":
        logging.basicConfig(level=level)
        return
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "alta_json", False)), None)
    if handler is None:
        handler = logging.StreamHandler()
        handler.alta_json = True  # type: ignore[attr-defined]
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    root.setLevel(level)


def init_app(app: Flask) -> None:
    """Give each request an id (the proxy's X-Request-ID when well formed) and echo it."""

    @app.before_request
    def _assign_request_id() -> None:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex

    @app.after_request
    def _echo_request_id(response: Any) -> Any:
        if "request_id" in g:
            response.headers["X-Request-ID"] = g.request_id
        return response
