"""Audit: the hash-chained, append-only trail, its checkpoints, verification and the
histories people read."""
