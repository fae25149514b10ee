"""Mistakes on the command line give one clear line and exit 1 (or 2 for usage), never a
traceback, and change nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from aos.cli import main as aos_main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    try:
        code = aos_main(list(args))
    except SystemExit as exit_:  # argparse usage errors
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out + err


def test_verify_needs_a_process_or_a_bundle(capsys: pytest.CaptureFixture[str]) -> None:
    code, text = run(capsys, "verify")
    assert code == 2 and "name a PROCESS, or a --bundle FILE" in text
    code, text = run(capsys, "verify", "abc", "--bundle", "x")
    assert code == 2


def test_verify_of_a_directory_without_a_node(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text = run(capsys, "verify", "abc", "--data-dir", str(tmp_path))
    assert code == 1
    assert "no node database in" in text and "--data-dir" in text
    assert list(tmp_path.iterdir()) == []  # nothing was created


def test_verify_of_a_missing_or_broken_bundle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text = run(capsys, "verify", "--bundle", str(tmp_path / "none.bundle"))
    assert code == 1 and "cannot read the bundle" in text
    junk = tmp_path / "junk.bundle"
    junk.write_bytes(b"\x05" + bytes(40))
    code, text = run(capsys, "verify", "--bundle", str(junk))
    assert code == 1 and "error:" in text and "Traceback" not in text


def test_export_and_replay_name_the_missing_node(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text = run(
        capsys, "export", "abc", "-o", str(tmp_path / "o"), "--data-dir", str(tmp_path)
    )
    assert code == 1 and "no node database" in text
    code, text = run(capsys, "replay", "abc", "--to", "-1", "--data-dir", str(tmp_path))
    assert code == 1 and "--to -1" in text
