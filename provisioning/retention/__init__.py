"""Records retention: record classes with their periods, legal holds, disposal."""
