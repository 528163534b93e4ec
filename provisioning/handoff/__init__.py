"""Credential hand-off: chain of custody, delivery in person, activation codes, activation."""
