"""A local SMTP server that keeps what it receives (aiosmtpd), for mail tests."""

from __future__ import annotations

import asyncio
from typing import Any

from aiosmtpd.controller import Controller


class Inbox:
    """aiosmtpd handler keeping what it received."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                              envelope.content.decode("utf-8", "replace")))
        return "250 Message accepted for delivery"


class SmtpServer(Controller):
    """aiosmtpd's threaded controller that, when stopped, first closes the connections of
    clients still talking to it. The tests stop it mid-delivery on purpose; aiosmtpd alone
    then leaves their transports to the garbage collector, whose ResourceWarning fails
    whichever test happens to be running at that moment."""

    def __init__(self, handler: Any, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._sessions: list[Any] = []

    def factory(self) -> Any:
        smtp = super().factory()
        self._sessions.append(smtp)
        return smtp

    async def _close_sessions(self) -> None:
        for smtp in self._sessions:
            transport = getattr(smtp, "transport", None)
            if transport is not None and not transport.is_closing():
                transport.close()
        await asyncio.sleep(0.05)  # let each connection_lost run before the loop stops

    def stop(self, no_assert: bool = False) -> None:
        if self._thread is not None and self.loop.is_running():
            asyncio.run_coroutine_threadsafe(self._close_sessions(), self.loop).result(10)
        super().stop(no_assert)
