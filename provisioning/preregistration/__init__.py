"""Pre-registration: the person's NOM-024 Tabla 1 data after activation; SIEMPRE access."""
