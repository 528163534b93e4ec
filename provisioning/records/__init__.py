"""The record classes Alta keeps (solicitud, oficio, audit events) and how each is disposed
of; the retention engine (``provisioning.retention``) runs them."""
