"""Every module that registers job handlers, imported by the worker (like models.py for tables)."""

from provisioning.directory import tasks as directory_tasks  # noqa: F401
from provisioning.notifications import reminders  # noqa: F401  (periodic mail.reminders)
from provisioning.notifications import services as notifications  # noqa: F401  (mail.send)
from provisioning.preregistration import tasks as preregistration_tasks  # noqa: F401
