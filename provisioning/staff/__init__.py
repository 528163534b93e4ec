"""Staff accounts: argon2id passwords, mandatory TOTP, roles scoped to units or jurisdictions."""
