"""Installing the pinned npm packages an interop test drives, once per test session.

The packages come from the npm registry (`npm install` in the test's own directory; its
node_modules is gitignored). Without node/npm, or when the install fails, a test skips
locally and fails in CI (env CI set), where the packages must be there.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import NoReturn

import pytest

INSTALL_TIMEOUT = 300


def unavailable(what: str, reason: str) -> NoReturn:
    """Skip locally, fail in CI: an interop test that cannot run there proves nothing."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} interop cannot run in CI: {reason}")
    pytest.skip(reason)


def install_npm_packages(directory: Path, what: str) -> Path:
    """Run `npm install` in `directory` (holding package.json) and return it."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        unavailable(what, f"node and npm are needed for the {what} interop tests")
    # The suite runs on two workers (pytest-xdist): two must not install in one directory
    # at once. The lock lives outside the repository, keyed by the directory.
    key = hashlib.sha256(str(directory.resolve()).encode()).hexdigest()[:16]
    with open(Path(tempfile.gettempdir()) / f"aos-tests-npm-{key}.lock", "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            result = subprocess.run(
                ["npm", "install", "--no-audit", "--no-fund"],
                cwd=directory,
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            unavailable(what, f"npm install timed out after {INSTALL_TIMEOUT} s")
    if result.returncode != 0:
        unavailable(what, f"npm install failed: {result.stderr.strip()[-800:]}")
    return directory
