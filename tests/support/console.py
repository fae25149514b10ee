"""Finding and installing the official aos console 2.0.16 (Node.js) for the console tests.

The console is not on the npm registry (`@permaweb/aos` stops at 1.2.18), so its source is
taken from a folder: `AOS_CONSOLE_DIR`, else the folder `aos-console` in `tools` of a
`shared` folder beside the repository or beside one of its parents (where the project
keeps it, and where CI lays its copy). Its own `install.sh` installs it (its npm
dependencies come from the registry) into a cache folder kept between sessions. Without
the source the tests skip and say why.

The shared copy's package.json lacks the `aos` section of the published 2.0.16 package,
which the console reads on every start (`getPkg().aos.module`, `.aos.version`) and crashes
without; the installed copy gets that section back, with the published values.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.npm import INSTALL_TIMEOUT, unavailable

VERSION = "2.0.16"
# The `aos` section of @permaweb/aos 2.0.16's package.json (module ids, process version).
PUBLISHED_AOS = {
    "module": "ISShJH1ij-hPPt9St5UFFr_8Ys3Kj5cyg7zrMGt7H9s",
    "sqlite": "ei1VSwheQnNIG87iqlwxiQk-sWY5ikj4DFBxcpFZ-S4",
    "llama": "QkFLfRXw8MOeHMNoHK0tyno17wbSxCecATohFMaULKM",
    "version": "2.0.4",
}
_REPO = Path(__file__).resolve().parents[2]


def console_source() -> Path | None:
    """The folder holding the console's bin/, src/, package.json and install.sh, if any."""
    named = os.environ.get("AOS_CONSOLE_DIR")
    if named:
        return Path(named)
    for parent in (_REPO, *_REPO.parents):
        candidate = parent / "shared" / "tools" / "aos-console"
        if (candidate / "install.sh").is_file():
            return candidate
    return None


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "aos-tests" / f"aos-console-{VERSION}"


def install_console() -> Path:
    """The console's entry point (bin/aos.js), installed once and reused."""
    source = console_source()
    if source is None:
        pytest.skip(
            f"the official aos console {VERSION} is not on the npm registry (@permaweb/aos "
            "stops at 1.2.18) and no copy of it was found: set AOS_CONSOLE_DIR to its folder"
        )
    if shutil.which("node") is None or shutil.which("npm") is None:
        unavailable("aos console", "node and npm are needed for the aos console tests")
    dest = _cache_dir()
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest.parent / f".{dest.name}.lock", "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)  # two test runs must not install at once
        try:
            result = subprocess.run(
                ["bash", str(source / "install.sh"), str(dest)],
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            unavailable("aos console", f"install.sh timed out after {INSTALL_TIMEOUT} s")
        if result.returncode != 0:
            unavailable("aos console", f"install.sh failed: {result.stderr.strip()[-800:]}")
        package = dest / "package.json"
        meta = json.loads(package.read_text())
        if meta.get("version") != VERSION:
            unavailable("aos console", f"{source} holds version {meta.get('version')}")
        if "aos" not in meta:
            meta["aos"] = PUBLISHED_AOS
            package.write_text(json.dumps(meta, indent=2) + "\n")
    return Path(result.stdout.strip().splitlines()[-1])
