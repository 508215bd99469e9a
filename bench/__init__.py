"""Benchmark runner for `make bench`: see bench/README.md."""
