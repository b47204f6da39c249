"""Benchmarks and their data generators: `python -m bench`, or `make bench`."""
