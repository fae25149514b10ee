"""Helpers shared by the tests (not test modules): clients, drivers, log builders, servers.

Test modules import helpers from here and fixtures come from the conftest.py files; no test
module imports another test module or a conftest (tests/test_layers.py checks it).
"""
