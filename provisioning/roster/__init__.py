"""The staff roster (padrón) uploaded by IT and its reconciliation with Alta's people."""
