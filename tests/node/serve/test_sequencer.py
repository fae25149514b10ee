"""The sequencer: HTTP workers hand checked items to the one writing process over a socket."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from aos.dataitem import DataItem, create
from aos.errors import NodeError, StoreError
from aos.node.serve.sequencer import SequencerClient, SequencerServer
from aos.node.store import Store
from aos.node.units.node import Node
from aos.protocol import AOS_MODULE_ID
from aos.wallet import Ed25519Signer
from tests.support.ao import ao_tags


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Node, SequencerServer]]:
    node = Node(tmp_path / "node")
    server = SequencerServer(node.mu)
    server.start()
    try:
        yield node, server
    finally:
        server.close()
        node.stop()


def spawn_item(node: Node, signer: Ed25519Signer) -> DataItem:
    tags = [("Module", AOS_MODULE_ID), ("Scheduler", node.su.address)]
    return create(signer=signer, data=" ", tags=ao_tags("Process", tags))


def message_item(signer: Ed25519Signer, pid: str, i: int) -> DataItem:
    return create(signer=signer, data=str(i), target=pid, tags=ao_tags("Message", [("N", str(i))]))


def with_spawn(
    served: tuple[Node, SequencerServer],
) -> tuple[Node, SequencerServer, Ed25519Signer, DataItem]:
    node, server = served
    signer = Ed25519Signer.generate()
    return node, server, signer, spawn_item(node, signer)


def admit_all(path: str, raws: list[bytes]) -> list[tuple[int, dict[str, str]]]:
    async def run() -> list[tuple[int, bytes]]:
        client = SequencerClient(path)
        try:
            return list(await asyncio.gather(*(client.admit(raw) for raw in raws)))
        finally:
            client.close()

    return [(status, json.loads(body)) for status, body in asyncio.run(run())]


def test_pipelined_items_are_scheduled_in_one_order(
    served: tuple[Node, SequencerServer],
) -> None:
    node, server, signer, spawn = with_spawn(served)
    assert admit_all(server.path, [spawn.to_bytes()]) == [
        (202, {"message": "Processing DataItem", "id": spawn.id})
    ]
    items = [message_item(signer, spawn.id, i) for i in range(200)]
    answers = admit_all(server.path, [item.to_bytes() for item in items])
    assert answers == [(202, {"message": "Processing DataItem", "id": i.id}) for i in items]
    entries = Store(node.data_dir).entries(spawn.id, 0, None, 1000)
    assert [e.nonce for e in entries] == list(range(1, 201))
    assert {e.message_id for e in entries} == {i.id for i in items}


def test_duplicates_are_acknowledged_again_and_errors_keep_their_status(
    served: tuple[Node, SequencerServer],
) -> None:
    node, server, signer, spawn = with_spawn(served)
    item = message_item(signer, spawn.id, 1)
    stray = message_item(signer, "x" * 43, 2)  # no such process on this node
    answers = admit_all(
        server.path, [spawn.to_bytes(), item.to_bytes(), item.to_bytes(), stray.to_bytes()]
    )
    assert [status for status, _ in answers] == [202, 202, 202, 404]
    assert answers[2][1]["id"] == item.id
    assert "is not on this node" in answers[3][1]["error"]
    assert len(Store(node.data_dir).entries(spawn.id, -1, None, 10)) == 2


def test_a_missing_scheduling_process_is_a_503_not_a_hang(tmp_path: Path) -> None:
    path = str(tmp_path / "nobody-listens")

    async def run() -> None:
        await SequencerClient(path).admit(b"item")

    with pytest.raises(NodeError) as err:
        asyncio.run(run())
    assert err.value.status == 503 and "restart `aos serve`" in str(err.value)


def test_requests_in_flight_fail_with_503_when_the_supervisor_goes(tmp_path: Path) -> None:
    sock_dir = tmp_path / "s"
    sock_dir.mkdir()
    path = str(sock_dir / "s")

    async def run() -> None:
        # A server that takes the request and closes the connection without answering.
        async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read(12)
            writer.close()

        server = await asyncio.start_unix_server(hang_up, path)
        async with server:
            await SequencerClient(path).admit(os.urandom(64))

    with pytest.raises(NodeError) as err:
        asyncio.run(run())
    assert err.value.status == 503 and "went away" in str(err.value)


def test_items_that_arrive_together_share_one_commit_and_wake_after_it(
    served: tuple[Node, SequencerServer],
) -> None:
    node, server, signer, spawn = with_spawn(served)
    other = Store(node.data_dir)
    woken: list[tuple[str, int]] = []

    def wake(pid: str) -> None:  # what the evaluating process would find when woken
        row = other.process(pid)
        woken.append((pid, -1 if row is None else row.head.nonce))

    node.mu.wake = wake
    items = [message_item(signer, spawn.id, i) for i in range(40)]
    answers = server.handle_batch([spawn.to_bytes()] + [item.to_bytes() for item in items])
    assert [status for status, _ in answers] == [202] * 41
    assert woken == [(spawn.id, 40)]


def test_a_batch_whose_commit_fails_answers_503_for_every_item(
    served: tuple[Node, SequencerServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    node, server, signer, spawn = with_spawn(served)
    items = [spawn, message_item(signer, spawn.id, 1)]

    def no_commit(conn: object) -> None:
        from aos.errors import StoreError

        raise StoreError("cannot commit: disk I/O error")

    monkeypatch.setattr(node.store, "_commit", no_commit)
    answers = server.handle_batch([item.to_bytes() for item in items])
    assert [status for status, _ in answers] == [503, 503]
    assert "retry" in json.loads(answers[0][1])["error"]
    monkeypatch.undo()
    assert node.store.process(spawn.id) is None
    assert [status for status, _ in server.handle_batch([spawn.to_bytes()])] == [202]


def test_an_unexpected_error_fails_the_batch_and_the_sequencer_goes_on(
    served: tuple[Node, SequencerServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    node, server, signer, spawn = with_spawn(served)
    begin = node.store._begin
    calls: list[int] = []

    def broken_once(conn: sqlite3.Connection) -> None:
        if not calls:
            calls.append(1)
            raise RuntimeError("a bug under the batch")
        begin(conn)

    monkeypatch.setattr(node.store, "_begin", broken_once)
    first = [message_item(signer, spawn.id, i) for i in (1, 2)]
    answers = server.handle_batch([spawn.to_bytes()] + [i.to_bytes() for i in first])
    assert [status for status, _ in answers] == [500] * 3
    assert "a bug under the batch" in json.loads(answers[0][1])["error"]
    # the writer still works, and so does the thread, over the socket as a worker sends
    assert [s for s, _ in admit_all(server.path, [spawn.to_bytes()])] == [202]


def test_a_damaged_database_at_begin_is_a_store_error(tmp_path: Path) -> None:
    class Damaged:
        def execute(self, sql: str) -> None:
            raise sqlite3.DatabaseError("database disk image is malformed")

    store = Store(tmp_path / "node")
    with pytest.raises(StoreError, match="malformed"):
        store._begin(Damaged())  # type: ignore[arg-type]
