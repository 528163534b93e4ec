"""The solicitud FO-DPE-STI-DI-04: public form, folio, tracking code and the request's state."""
