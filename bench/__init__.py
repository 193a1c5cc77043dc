"""Benchmarks: `python -m bench.<name>`; each compares against a baseline measured in the same run."""
