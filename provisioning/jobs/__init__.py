"""The database-backed job queue (provisioning, e-mail, periodic tasks) and `alta worker`."""
