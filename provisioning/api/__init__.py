"""The JSON status API for SIEMPRE and other systems, and its OpenAPI document."""
