"""Running `aos` as a user does: a subprocess with a private HOME, data and config dirs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


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
