"""Catalogs as data: jurisdicciones, units (CLUES), direcciones/subdirecciones, tipo de personal."""
