"""Access review campaigns: unit heads confirm or revoke their unit's active accounts."""
