"""Directory import, links of accounts to people, orphans and dormant accounts."""
