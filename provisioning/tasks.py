"""Every module that registers job handlers, imported by the worker (like models.py for tables)."""

# Domains add their handler modules here, e.g.
# from provisioning.directory import tasks as directory_tasks  # noqa: F401
