"""Every command opens the same node: `aos serve` resolves its data directory as `aos`,
`aos verify`, `export` and `replay` do (flag, AOS_DATA_DIR, config file, XDG_DATA_HOME).

Each test spawns a process through the embedded node of one command and finds it through
`aos serve` (and the other way round), with only XDG_DATA_HOME or the config file saying
where the node lives.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.serving import Served


def _aos(home: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("AOS_", "XDG_"))}
    full.update(HOME=str(home), NO_COLOR="1", XDG_CONFIG_HOME=str(home / "config"), **env)
    return subprocess.run(
        [sys.executable, "-m", "aos", *args],
        input="", capture_output=True, text=True, env=full, timeout=120,
    )  # fmt: skip


def _listed(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    assert result.returncode == 0, result.stderr
    return {row["name"]: row["id"] for row in json.loads(result.stdout)}


def _units(url: str) -> list[str]:
    return ["--gateway-url", url, "--mu-url", url + "/mu", "--cu-url", url + "/cu",
            "--su-url", url + "/su"]  # fmt: skip


@pytest.mark.e2e
@pytest.mark.parametrize("how", ["XDG_DATA_HOME", "config file"])
def test_aos_serve_and_the_shell_open_one_node(tmp_path: Path, how: str) -> None:
    home = tmp_path / "home"
    (home / "config" / "aos").mkdir(parents=True)
    where = tmp_path / "elsewhere"
    env: dict[str, str] = {"XDG_DATA_HOME": str(home / "data")}
    if how == "XDG_DATA_HOME":
        env["XDG_DATA_HOME"] = str(where)
        expected = where / "aos" / "node"
    else:
        (home / "config" / "aos" / "config.toml").write_text(f'data_dir = "{where}"\n')
        expected = where
    made = _aos(home, env, "local", "--run", "return 'made here'")
    assert made.returncode == 0 and made.stdout.strip() == "made here", made.stderr
    assert (expected / "node.sqlite3").is_file()

    served = Served(None, env={**env, "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config")},
                    log_dir=tmp_path)  # fmt: skip
    served.start()
    try:
        # The process made by the embedded shell is on the served node, and one spawned
        # through the served node is in the shell's embedded node.
        remote = _listed(_aos(home, env, "--list", "--json", *_units(served.url)))
        local = _listed(_aos(home, env, "--list", "--json"))
        assert remote["local"] == local["local"]
        spawned = _aos(home, env, "served", "--run", "return 'made there'", *_units(served.url))
        assert spawned.returncode == 0 and spawned.stdout.strip() == "made there", spawned.stderr
        assert (
            _listed(_aos(home, env, "--list", "--json"))["served"]
            == _listed(_aos(home, env, "--list", "--json", *_units(served.url)))["served"]
        )
    finally:
        served.stop()
    # aos verify finds both in the same directory, without being told where it is.
    for name in ("local", "served"):
        checked = _aos(home, env, "verify", name)
        assert checked.returncode == 0, checked.stdout + checked.stderr
