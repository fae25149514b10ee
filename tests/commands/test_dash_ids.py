"""Process ids that begin with "-" (one in 64 base64url ids does) work everywhere: in the
worker's arguments and on the command line of verify, export and replay."""

from __future__ import annotations

from pathlib import Path

import pytest

from aos.cli import main as aos_main
from aos.dataitem import DataItem, create
from aos.node.units.node import Node
from aos.protocol import AOS_MODULE_ID, DATA_PROTOCOL, VARIANT
from aos.verify.cliargs import ids_as_positionals
from aos.verify.runner import source_args
from aos.verify.worker import _parser
from aos.wallet import Ed25519Signer

DASH_ID = "-" + "A" * 42


def test_dash_ids_become_positionals() -> None:
    assert ids_as_positionals(["verify-me", "--data-dir", "d"]) == ["verify-me", "--data-dir", "d"]
    assert ids_as_positionals([DASH_ID, "--to", "3"]) == ["--to", "3", "--", DASH_ID]
    assert ids_as_positionals(["--", DASH_ID]) == ["--", DASH_ID]


def test_the_worker_reads_a_dash_id(tmp_path: Path) -> None:
    args = _parser().parse_args(source_args(data_dir=tmp_path, process_id=DASH_ID))
    assert args.process == DASH_ID and args.data_dir == tmp_path


def _dash_spawn(signer: Ed25519Signer, scheduler: str) -> DataItem:
    for n in range(10_000):
        item = create(
            signer=signer,
            data=" ",
            anchor=f"{n:032d}",
            tags=[("Data-Protocol", DATA_PROTOCOL), ("Variant", VARIANT), ("Type", "Process"),
                  ("Module", AOS_MODULE_ID), ("Scheduler", scheduler)],
        )  # fmt: skip
        if item.id.startswith("-"):
            return item
    raise AssertionError("no id beginning with '-' in 10,000 tries")


def test_verify_export_and_replay_of_a_process_whose_id_begins_with_a_dash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    signer = Ed25519Signer.generate()
    node = Node(tmp_path / "node")
    try:
        spawn = _dash_spawn(signer, node.su.address)
        node.mu.accept(spawn.to_bytes())
        for i in range(5):
            item = create(signer=signer, target=spawn.id, data=f"n = {i}", anchor=f"{i:032d}",
                          tags=[("Action", "Eval"), ("Data-Protocol", DATA_PROTOCOL),
                                ("Variant", VARIANT), ("Type", "Message")])  # fmt: skip
            node.mu.accept(item.to_bytes())
        node.cu.evaluate_to(spawn.id)
    finally:
        node.stop()
    data = ["--data-dir", str(tmp_path / "node")]
    assert aos_main(["verify", spawn.id, *data]) == 0, capsys.readouterr()
    assert "verified" in capsys.readouterr().out
    assert aos_main(["export", spawn.id, "-o", str(tmp_path / "b"), *data]) == 0
    assert aos_main(["replay", spawn.id, "--to", "3", "--expr", "return n", *data]) == 0
    assert capsys.readouterr().out.strip().endswith("2")
