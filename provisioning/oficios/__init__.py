"""Oficios: the liaison's batch to the Departamento de Informática, numbering, acuse de recibo."""
