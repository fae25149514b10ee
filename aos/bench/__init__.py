"""Benchmarks behind `aos bench`: one module per target, each with `main(argv) -> int`."""
