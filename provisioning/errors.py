"""Domain errors: each carries the Spanish message a user reads and the HTTP status."""

from __future__ import annotations


class AltaError(Exception):
    """An expected failure with a message for the user (Spanish).

    ``headers`` are HTTP headers the answer must carry (Retry-After, WWW-Authenticate).
    """

    status = 400

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers: dict[str, str] = {}
        if status is not None:
            self.status = status


class ValidationError(AltaError):
    """Input that breaks a rule; ``fields`` maps a form field to its message."""

    status = 400

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = dict(fields or {})


class NotFound(AltaError):
    """The object does not exist or is outside the caller's scope (never say which)."""

    status = 404

    def __init__(self, message: str = "No encontramos lo que busca.") -> None:
        super().__init__(message)


class Forbidden(AltaError):
    """The caller's role does not allow this action."""

    status = 403

    def __init__(self, message: str = "No tiene permiso para realizar esta acción.") -> None:
        super().__init__(message)


class Conflict(AltaError):
    """The object's current state does not allow the action (or someone else acted first)."""

    status = 409


class TooManyRequests(AltaError):
    """Rate limit exceeded; ``retry_after``: seconds until the window ends (Retry-After)."""

    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.headers["Retry-After"] = str(retry_after)
