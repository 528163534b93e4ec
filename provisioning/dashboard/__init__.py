"""Where every request is, per role and scope, and how long it has waited (business days)."""
