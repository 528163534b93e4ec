"""A local SMTP server that keeps what it receives (aiosmtpd), for mail tests."""

from __future__ import annotations


class Inbox:
    """aiosmtpd handler keeping what it received."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                              envelope.content.decode("utf-8", "replace")))
        return "250 Message accepted for delivery"
