"""Benchmark: a deterministic synthetic corpus and timed builds (`make bench`)."""
