"""Spec suites for the tests of `aos test`: written into a temporary directory, run in process.

suite = write_suite(tmp_path, {"spec/a_spec.lua": "...", "p.lua": "..."})
result = run_suite(suite)        # aos.testing.runner.Run
text = report_text(result)       # what `aos test` prints after the progress line
"""

from __future__ import annotations

import io
import os
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aos.testing import report
from aos.testing.runner import Options, Run, discover, run

ROOT = Path(__file__).resolve().parents[2]


def write_suite(folder: Path, files: dict[str, str]) -> Path:
    """Write `files` ({relative path: text}, dedented) under `folder`; returns `folder`."""
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return folder


@contextmanager
def working_directory(path: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def run_suite(
    folder: Path, *, keyword: str | None = None, exitfirst: bool = False, coverage: bool = False
) -> Run:
    """Run the spec files under `folder` with the working directory there (so reported paths
    are relative to it, as when a user runs `aos test` in their project)."""
    options = Options(keyword=keyword, exitfirst=exitfirst, coverage=coverage)
    with working_directory(folder):
        return run(discover([]), options)


def report_text(result: Run) -> str:
    out = io.StringIO()
    report.write_text(result, out, report.Styler(False))
    return out.getvalue()


def spec(body: str) -> dict[str, str]:
    """One spec file spec/t_spec.lua holding `body`."""
    return {"spec/t_spec.lua": body}
