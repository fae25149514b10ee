"""Fixtures for every test: a private HOME and XDG directories, and a clean environment.

No test may read or write the real home directory, the real aos data directory or the
repository tree; each gets its own under tmp_path, undone automatically.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Variables that change how aos, rich or prompt_toolkit behave; tests set them explicitly.
_CLEARED = (
    "AOS_DATA_DIR",
    "AOS_DEBUG",
    "AOS_WATCHDOG",
    "NO_COLOR",
    "FORCE_COLOR",
    "EDITOR",
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "ALL_PROXY",
    "GATEWAY_URL",
    "CU_URL",
    "MU_URL",
)


@pytest.fixture(autouse=True)
def private_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point HOME and the XDG directories at a fresh temporary directory."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for var, sub in (
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_CACHE_HOME", ".cache"),
        ("XDG_STATE_HOME", ".local/state"),
    ):
        path = home / sub
        path.mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(var, str(path))
    for var in _CLEARED:
        monkeypatch.delenv(var, raising=False)
    return home


def pytest_report_header(config: pytest.Config) -> str:
    return f"aos tests; CI={os.environ.get('CI', '')!r}"
