"""Interop with the official client: @permaweb/aoconnect (legacy mode) against `aos serve`.

A session fixture runs `npm install --no-audit --no-fund` here (node_modules is
gitignored); `drive.mjs` spawns a process, sends Evals, reads results, pages /results
with cursors and dry-runs, and prints what aoconnect returned. Without node/npm the test
skips locally and fails when env CI is set.
"""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aos.node.units.keys import load_node_keys
from aos.protocol import AOS_MODULE_ID, CU_PATH, MU_PATH
from aos.wallet import Wallet
from tests.support.npm import install_npm_packages
from tests.support.serving import Served

pytestmark = [pytest.mark.interop, pytest.mark.e2e]

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def aoconnect() -> Path:
    """Install the pinned npm package once per session."""
    return install_npm_packages(HERE, "aoconnect")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    node = Served(tmp_path / "node")
    node.start()
    yield node
    node.stop()


def drive(cwd: Path, config: dict[str, Any]) -> dict[str, Any]:
    result = subprocess.run(
        ["node", "drive.mjs"],
        cwd=cwd,
        input=json.dumps(config),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out: dict[str, Any] = json.loads(result.stdout)
    return out


def test_aoconnect_spawn_message_result_results_dryrun(aoconnect: Path, served: Served) -> None:
    wallet = Wallet.generate()
    assert served.data_dir is not None
    node_wallet, scheduler = load_node_keys(served.data_dir)
    out = drive(
        aoconnect,
        {
            "mu": served.url + MU_PATH,  # no trailing slash: aoconnect POSTs to the bare prefix
            "cu": served.url + CU_PATH,
            "gateway": served.url,
            "jwk": wallet.jwk,
            "address": wallet.address,
            "module": AOS_MODULE_ID,
            "scheduler": scheduler.address,
            "authority": node_wallet.address,
        },
    )
    pid = out["process"]
    assert len(pid) == 43
    assert "prompt" in out["boot"]["Output"] and "Error" not in out["boot"]
    datas = [e["result"]["Output"]["data"] for e in out["evals"]]
    assert datas == ["", "42", "43", "44", "45"]
    assert all(len(e["id"]) == 43 for e in out["evals"])

    first, second, last = (out["results"][k] for k in ("first", "second", "last"))
    cursors = [e["cursor"] for e in first["edges"] + second["edges"]]
    ordinates = [json.loads(base64.b64decode(c))["ordinate"] for c in cursors]
    assert ordinates == ["0", "1", "2", "3"]  # the spawn (boot), then the Evals in order
    assert second["edges"][0]["node"]["Output"]["data"] == "42"
    assert last["edges"][0]["node"]["Output"]["data"] == "45"

    assert out["dryrun"]["Output"]["data"] == "1000"
    assert out["after"]["result"]["Output"]["data"] == "45"  # the dry-run changed nothing
