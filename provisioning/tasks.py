"""Every module that registers job handlers, imported by the worker (like models.py for tables)."""

from provisioning.directory import tasks as directory_tasks  # noqa: F401
