"""Benchmarks of the core on a realistic synthetic history (`scripts/bench`; see docs/BENCHMARKS.md).

A benchmark is not a test: nothing here asserts a timing. It measures, prints and writes figures.
"""
