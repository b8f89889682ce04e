"""The demo data: the seed's PSTTM 2025-2027 and its decree replayed through the same operations."""
