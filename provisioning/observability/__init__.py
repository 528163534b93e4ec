"""Operations: health probes, Prometheus metrics and structured logs (README, Operación)."""
