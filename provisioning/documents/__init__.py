"""PDF documents (the only package that imports the PDF library)."""
