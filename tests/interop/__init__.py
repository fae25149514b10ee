"""Interop tests that drive real npm packages with node (marker `interop`)."""
