"""Printable documents (PDF): the solicitud, the oficio, the privacy export; QR codes and
public verification. The only package that imports the PDF library."""
