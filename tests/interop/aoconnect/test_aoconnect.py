"""Interop with the official client: @permaweb/aoconnect, in legacy and in mainnet
(HyperBEAM) mode, against `aos serve`.

A session fixture runs `npm install --no-audit --no-fund` here (node_modules is
gitignored); `drive.mjs` (legacy) spawns a process, sends Evals, reads results, pages
/results with cursors and dry-runs, and `mainnet.mjs` does the same through
`connect({MODE: 'mainnet', URL, signer})`; each prints what aoconnect returned. Without
node/npm the tests skip locally and fail when env CI is set.
"""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from aos.node.units.keys import load_node_keys
from aos.protocol import AOS_MODULE_ID, CU_PATH, MU_PATH
from aos.wallet import Wallet
from tests.support.npm import install_npm_packages
from tests.support.serving import Served, with_node_keys

pytestmark = [pytest.mark.interop, pytest.mark.e2e]

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def aoconnect() -> Path:
    """Install the pinned npm package once per session."""
    return install_npm_packages(HERE, "aoconnect")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    node = Served(with_node_keys(tmp_path / "node"))
    node.start()
    yield node
    node.stop()


def drive(cwd: Path, config: dict[str, Any], script: str = "drive.mjs") -> dict[str, Any]:
    result = subprocess.run(
        ["node", script],
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


def test_aoconnect_mainnet_spawn_message_result_results_dryrun_now(
    aoconnect: Path, served: Served
) -> None:
    wallet = Wallet.generate()
    assert served.data_dir is not None
    node_wallet, _ = load_node_keys(served.data_dir)
    out = drive(
        aoconnect,
        {"url": served.url, "jwk": wallet.jwk, "module": AOS_MODULE_ID},
        script="mainnet.mjs",
    )
    pid = out["process"]
    assert len(pid) == 43
    assert "prompt" in out["boot"]["Output"] and "Error" not in out["boot"]
    assert [e["slot"] for e in out["evals"]] == [1, 2, 3, 4]  # slots are our nonces
    assert [e["result"]["Output"]["data"] for e in out["evals"]] == ["", "42", "43", "44"]
    assert out["byId"]["sent"]["slot"] == 5 and len(out["byId"]["sent"]["id"]) == 43
    assert out["byId"]["result"]["Output"]["data"] == "88"
    edge = out["results"]["edges"][0]
    assert edge["cursor"] == "5" and edge["node"]["Output"]["data"] == "88"
    assert out["dryrun"]["Output"]["data"] == "1000"
    assert out["after"]["result"]["Output"]["data"] == "44"  # the dry-run changed nothing
    assert out["now"]["status"] == 200 and out["now"]["body"]["slot"] == 6
    assert out["now"]["body"]["raw"]["Output"]["data"] == "44"
    # spawned with the node's address as scheduler and authority, so pushes are trusted
    tags = {t["name"]: t["value"] for t in served_tags(served, pid)}
    assert tags["Authority"] == tags["Scheduler"] == node_wallet.address
    assert tags["Variant"] == "ao.N.1" and tags["device"] == "process@1.0"


def served_tags(served: Served, pid: str) -> list[dict[str, str]]:
    info = httpx.get(f"{served.url}/su/processes/{pid}", timeout=10).json()
    tags: list[dict[str, str]] = info["tags"]
    return tags
