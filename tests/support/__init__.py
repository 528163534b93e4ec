"""Helpers for the tests (builders, clients, the DC, mail, TLS).

Fixtures live in the conftest.py files; test modules import only from here."""
