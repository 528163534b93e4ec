"""E-mail: an outbox table, delivery by the job queue or `alta mail flush`, daily reminders."""
