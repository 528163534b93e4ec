"""HTTP helpers: a client that submits forms with their CSRF token, a live server."""

from __future__ import annotations

import contextvars
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask.testing import FlaskClient
from werkzeug.serving import make_server


@contextmanager
def serving(app: Any, tls: tuple[str, str] | None = None) -> Iterator[Any]:
    """Serve ``app`` with a real HTTP server on 127.0.0.1 (its address in LIVE_URL); over
    HTTPS with ``tls`` = (certificate file, key file)."""
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=tls)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["LIVE_URL"] = f"{'https' if tls else 'http'}://127.0.0.1:{server.server_port}"
    try:
        yield app
    finally:
        server.shutdown()
        thread.join(timeout=10)


_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class IsolatedClient:
    """Runs each request in an empty context, so it gets its own application context.

    Flask reuses an application context that is already pushed (the test's own, from the
    ``app`` fixture); ``g`` would then leak between requests as it never does in production.
    """

    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if name in ("get", "post", "put", "delete", "patch", "head", "open"):

            def call(*a: Any, **kw: Any) -> Any:
                response = attr(*a, **kw)
                if response.is_streamed:
                    # Read a streamed body in the request's own context, as a server does.
                    response.make_sequence()
                return response

            return lambda *a, **kw: contextvars.Context().run(call, *a, **kw)
        return attr


class Browser:
    """A test client that submits forms the way a browser would (with the CSRF token)."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = IsolatedClient(client)

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, **kw)

    def token(self, page: str = "/acceso") -> str:
        found = _TOKEN.search(self.client.get(page).get_data(as_text=True))
        assert found, f"no CSRF token on {page}"
        return found.group(1)

    def post(self, path: str, data: dict[str, Any] | None = None, *, page: str | None = None,
             **kw: Any) -> Any:
        form = dict(data or {})
        if "csrf_token" not in form:  # not setdefault: that would fetch the page anyway
            form["csrf_token"] = self.token(page or "/acceso")
        return self.client.post(path, data=form, **kw)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)", re.IGNORECASE)


def has_inline_script(html: str) -> bool:
    """Whether a page carries a script of its own (the CSP allows only /static/alta.js)."""
    return _INLINE_SCRIPT.search(html) is not None
