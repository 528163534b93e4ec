"""Signatures of the solicitud: unit head, responsable jurisdiccional (TOTP step-up)."""
