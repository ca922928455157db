"""Benchmarks of the referral program, each runnable as ``python -m bench.<name>``."""
