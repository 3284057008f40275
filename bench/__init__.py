"""Benchmarks of the bus against its baselines, measured in the same run: ``python -m bench``."""
