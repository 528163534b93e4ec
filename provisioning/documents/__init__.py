"""Printable documents (PDF): the solicitud and the oficio, QR codes, public verification."""
