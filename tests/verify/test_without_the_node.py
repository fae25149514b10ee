"""`aos verify`, `aos export` and `aos replay` run with aos.node absent from the interpreter.

A verifier that imported the node it checks would be weaker than it needs to be: each
command runs here in fresh OS processes (the command and its replay worker) whose import
system refuses every `aos.node` module, so any import of the node, however indirect, fails
the command.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.nodelog import build_process

# Installed through sitecustomize in every interpreter the commands start (the replay
# worker is a `python -m aos.verify.worker` child, which inherits PYTHONPATH).
BLOCKER = """
import importlib.abc, sys

class _NoNode(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "aos.node" or name.startswith("aos.node."):
            raise ImportError(f"{name} imported by a command that must not need the node")
        return None

sys.meta_path.insert(0, _NoNode())
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    data_dir = tmp_path_factory.mktemp("node")
    return data_dir, build_process(data_dir, 60, children=1)


COMMAND = (
    "import sys; from aos.cli import main; status = main(sys.argv[1:]);"
    " loaded = sorted(m for m in sys.modules if m == 'aos.node' or m.startswith('aos.node.'));"
    " print('NODE MODULES:', loaded, file=sys.stderr); sys.exit(status)"
)


def _run_without_node(
    tmp_path: Path, *args: str, code: str = COMMAND
) -> subprocess.CompletedProcess[str]:
    blocker = tmp_path / "blocker"
    blocker.mkdir(exist_ok=True)
    (blocker / "sitecustomize.py").write_text(BLOCKER)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(blocker), os.getcwd()])}
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip


def test_the_blocker_does_refuse_the_node(tmp_path: Path) -> None:
    # The guard itself must bite, or the tests below would prove nothing.
    result = _run_without_node(tmp_path, code="import aos.node.units.cu")
    assert result.returncode == 1
    assert "aos.node imported by a command that must not need the node" in result.stderr


def test_verify_of_a_data_directory_runs_without_the_node(
    built: tuple[Path, str], tmp_path: Path
) -> None:
    data_dir, pid = built
    result = _run_without_node(tmp_path, "verify", pid, "--data-dir", str(data_dir))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "verified" in result.stdout
    assert "NODE MODULES: []" in result.stderr


def test_export_verify_bundle_and_replay_run_without_the_node(
    built: tuple[Path, str], tmp_path: Path
) -> None:
    data_dir, pid = built
    bundle = tmp_path / "p.bundle"
    exported = _run_without_node(
        tmp_path, "export", pid, "--data-dir", str(data_dir), "-o", str(bundle)
    )
    assert exported.returncode == 0, exported.stderr
    checked = _run_without_node(tmp_path, "verify", "--bundle", str(bundle))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "NODE MODULES: []" in checked.stderr
    replayed = _run_without_node(
        tmp_path, "replay", pid, "--data-dir", str(data_dir), "--to", "5", "--expr", "return 1 + 1"
    )
    assert replayed.returncode == 0, replayed.stderr
    assert "2" in replayed.stdout
    assert "NODE MODULES: []" in replayed.stderr
