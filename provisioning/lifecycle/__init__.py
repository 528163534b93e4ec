"""The life of an account after its alta: the baja (leaver) today; cambio de adscripción,
temporary staff and re-ingreso build on the same pieces."""
