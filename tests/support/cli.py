"""Running `aos` as a user does: a subprocess with a private HOME, data and config dirs; and
such a HOME for either protocol."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from tests.support.serving import Served, with_node_keys

# The shell tests run in both: the embedded node, and `aos serve` through --url (HyperBEAM).
MODES = ["embedded", "url"]


@contextlib.contextmanager
def shell_home(home: Path, mode: str) -> Iterator[Path]:
    """`home` for `run_aos`: as it is (the embedded node), or, for mode "url", with a config
    file naming a fresh `aos serve` as the HyperBEAM node, so every command line that works
    on the embedded node runs unchanged through --url."""
    if mode == "embedded":
        yield home
        return
    served = Served(with_node_keys(home / "served"))
    served.start()
    config = home / "config" / "aos" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'url = "{served.url}"\n')
    try:
        yield home
    finally:
        served.stop()


def run_aos(
    *args: str,
    home: Path,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("AOS_", "XDG_"))}
    full_env.update(
        HOME=str(home),
        AOS_DATA_DIR=str(home / "node"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        NO_COLOR="1",
        COLUMNS="120",
    )
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "aos", *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
        cwd=cwd,
    )
