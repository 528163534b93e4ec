"""The hash-chained audit log (bitácora): every state change and every read of personal data."""

from provisioning.audit.services import Actor, record

__all__ = ["Actor", "record"]
