"""The sequencer: under `aos serve` (not --single-process) one process writes every item.

HTTP workers parse and verify a posted item themselves (that work spreads over the cores),
then hand the raw bytes to the supervising process over a Unix socket; the supervisor
schedules it and answers with the HTTP status and body the worker sends back. Items that
arrive together are scheduled in one SQLite transaction, each in its own savepoint (group
commit: a commit costs about as much as the scheduling of an item). The worker answers
202 only after that answer, so an acknowledged id is as durable as before.

Why one writer: SQLite lets several OS processes write, but each write after another
process's commit starts with a cold page cache and a lock hand-off; measured on two cores,
two processes writing in turn spent ~600 µs of CPU per message against ~360 µs for one
(and took fewer messages a second in total). The supervisor wakes the evaluating process
(aos.node.serve.crank_process) over a pipe, so new work is evaluated without waiting for a poll.

Frames, both directions, big-endian: request = length u32, request id u64, raw item;
reply = length u32, request id u64, status u16, JSON body. One connection per worker,
requests pipelined; the supervisor answers each connection's requests in order.
"""

from __future__ import annotations

import asyncio
import logging
import os
import selectors
import shutil
import socket
import struct
import tempfile
import threading
from pathlib import Path

from aos.dataitem import parse
from aos.errors import AosError, NodeError
from aos.node.http.web import accepted_body, error_body, error_status
from aos.node.units.mu import Messenger

log = logging.getLogger("aos.node.serve.sequencer")

ENV_SOCKET = "AOS_NODE_SEQUENCER"
_REQUEST = struct.Struct(">IQ")
_REPLY = struct.Struct(">IQH")
# At most this many items in one commit: the evaluator waits for the write lock meanwhile
# (~0.3 ms an item), and one failed commit fails them all.
BATCH_ITEMS = 64


class SequencerServer:
    """The supervisor's side: a Unix socket served by one thread.

    One thread, not one per worker: the items are written one after another anyway, and
    threads taking turns on the GIL and the store's write lock cost more than the work
    (measured: ~40% of the supervisor's CPU). Each round takes every complete frame that
    has arrived on every connection, schedules them in one commit (`handle_batch`), and
    sends each connection its replies in one write."""

    def __init__(self, mu: Messenger) -> None:
        self.mu = mu
        # A private directory keeps the socket out of reach of other users and its path
        # short (a Unix socket path is limited to ~107 bytes; data dirs can be longer).
        self._dir = Path(tempfile.mkdtemp(prefix="aos-seq-"))
        self.path = str(self._dir / "s")
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(self.path)
        self._listener.listen(64)
        self._listener.setblocking(False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ)
        self._buffers: dict[socket.socket, bytearray] = {}
        self._chunk = bytearray(1 << 18)
        self._chunk_view = memoryview(self._chunk)
        self._wakeup_r, self._wakeup_w = socket.socketpair()
        self._selector.register(self._wakeup_r, selectors.EVENT_READ)
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="aos-sequencer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._closed = True
        self._wakeup_w.send(b"x")
        self._thread.join(5)
        for conn in list(self._buffers):
            conn.close()
        for sock in (self._listener, self._wakeup_r, self._wakeup_w):
            sock.close()
        self._selector.close()
        shutil.rmtree(self._dir, ignore_errors=True)

    def handle(self, raw: bytes) -> tuple[int, bytes]:
        """Schedule one item the worker has checked; (HTTP status, JSON body)."""
        try:
            accepted = self.mu.admit(parse(raw), raw)
            return 202, accepted_body(accepted.item.id)
        except AosError as err:
            return error_status(err), error_body(str(err))
        except Exception as err:  # a bug here must not end the connection for everyone
            log.exception("sequencer failed on an item")
            return 500, error_body(f"internal error: {type(err).__name__}: {err}")

    def handle_batch(self, raws: list[bytes]) -> list[tuple[int, bytes]]:
        """Schedule items that arrived together in one commit (Store.batch); each still
        succeeds or fails on its own. If the commit fails, none was scheduled: all get
        the error, and the workers' clients may retry."""
        if len(raws) == 1:
            return [self.handle(raws[0])]
        try:
            with self.mu.store.batch():
                answers = [self.handle(raw) for raw in raws]
        except AosError as err:
            log.error("a batch of %d items was not committed: %s", len(raws), err)
            failed = (503, error_body(f"the node could not store the item ({err}); retry"))
            return [failed] * len(raws)
        except Exception as err:  # a bug, or SQLite failing in a way we do not know
            log.exception("a batch of %d items failed", len(raws))
            failed = (500, error_body(f"internal error: {type(err).__name__}: {err}"))
            return [failed] * len(raws)
        return answers

    def _loop(self) -> None:
        while not self._closed:
            arrived: list[tuple[socket.socket, int, bytes]] = []
            for key, _ in self._selector.select():
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                if sock is self._listener:
                    self._accept()
                elif sock is not self._wakeup_r:
                    arrived += self._read(sock)
            for start in range(0, len(arrived), BATCH_ITEMS):
                try:
                    self._answer(arrived[start : start + BATCH_ITEMS])
                except Exception:  # this thread is every worker's only way to the log
                    log.exception("the sequencer could not answer %d items", len(arrived))

    def _accept(self) -> None:
        try:
            conn, _ = self._listener.accept()
        except OSError:
            return
        # Blocking: a recv after the selector said "readable" returns at once, and a reply
        # is written whole (the worker's event loop always reads its replies).
        conn.setblocking(True)
        self._buffers[conn] = bytearray()
        self._selector.register(conn, selectors.EVENT_READ)

    def _drop(self, conn: socket.socket) -> None:
        if conn in self._buffers:
            self._selector.unregister(conn)
            del self._buffers[conn]
            conn.close()

    def _read(self, conn: socket.socket) -> list[tuple[socket.socket, int, bytes]]:
        """The complete requests that have arrived on `conn`: (conn, request id, raw)."""
        try:
            # Into one reused buffer: `recv(n)` allocates n bytes per call, which for a
            # large n is an mmap and munmap each time.
            size = conn.recv_into(self._chunk)
        except OSError:
            size = 0
        if not size:
            self._drop(conn)  # the worker went away
            return []
        buf = self._buffers[conn]
        buf += self._chunk_view[:size]
        requests: list[tuple[socket.socket, int, bytes]] = []
        offset = 0
        with memoryview(buf) as view:
            while len(buf) - offset >= _REQUEST.size:
                length, request_id = _REQUEST.unpack_from(buf, offset)
                end = offset + _REQUEST.size + length
                if len(buf) < end:
                    break
                requests.append((conn, request_id, bytes(view[offset + _REQUEST.size : end])))
                offset = end
        del buf[:offset]
        return requests

    def _answer(self, requests: list[tuple[socket.socket, int, bytes]]) -> None:
        """Schedule `requests` together and send each connection its replies, in order."""
        answers = self.handle_batch([raw for _, _, raw in requests])
        replies: dict[socket.socket, list[bytes]] = {}
        for (conn, request_id, _), (status, body) in zip(requests, answers, strict=True):
            replies.setdefault(conn, []).append(_REPLY.pack(len(body), request_id, status) + body)
        for conn, frames in replies.items():
            if conn not in self._buffers:
                continue  # dropped meanwhile
            try:
                conn.sendall(b"".join(frames))
            except OSError as err:
                log.warning("sequencer connection ended: %s", err)
                self._drop(conn)


class _ClientProtocol(asyncio.Protocol):
    def __init__(self, owner: SequencerClient) -> None:
        self.owner = owner
        self.buffer = bytearray()

    def data_received(self, data: bytes) -> None:
        buf = self.buffer
        buf += data
        offset = 0
        while len(buf) - offset >= _REPLY.size:
            size, request_id, status = _REPLY.unpack_from(buf, offset)
            end = offset + _REPLY.size + size
            if len(buf) < end:
                break
            body = bytes(buf[offset + _REPLY.size : end])
            offset = end
            waiter = self.owner.pending.pop(request_id, None)
            if waiter is not None and not waiter.done():
                waiter.set_result((status, body))
        del buf[:offset]

    def connection_lost(self, exc: Exception | None) -> None:
        self.owner.lost()


class SequencerClient:
    """A worker's side: one pipelined connection on the worker's event loop."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.pending: dict[int, asyncio.Future[tuple[int, bytes]]] = {}
        self._transport: asyncio.Transport | None = None
        self._connecting: asyncio.Lock | None = None
        self._next_id = 0

    async def _connect(self) -> asyncio.Transport:
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            if self._transport is None or self._transport.is_closing():
                loop = asyncio.get_running_loop()
                try:
                    transport, _ = await loop.create_unix_connection(
                        lambda: _ClientProtocol(self), self.path
                    )
                except OSError as err:
                    raise NodeError(
                        f"the node's scheduling process is not reachable ({err}); "
                        "restart `aos serve`",
                        status=503,
                    ) from None
                self._transport = transport
            return self._transport

    async def admit(self, raw: bytes) -> tuple[int, bytes]:
        """Hand a checked item to the supervisor; its (status, JSON body)."""
        transport = self._transport
        if transport is None or transport.is_closing():
            transport = await self._connect()
        self._next_id += 1
        request_id = self._next_id
        waiter: asyncio.Future[tuple[int, bytes]] = asyncio.get_running_loop().create_future()
        self.pending[request_id] = waiter
        transport.write(_REQUEST.pack(len(raw), request_id) + raw)
        return await waiter

    def close(self) -> None:
        """Close the connection (a worker keeps it for its lifetime; tests close it)."""
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def lost(self) -> None:
        """The supervisor closed the socket: everything in flight fails with a 503 (the
        client may retry: an item that did get scheduled is acknowledged again)."""
        self._transport = None
        pending, self.pending = self.pending, {}
        for waiter in pending.values():
            if not waiter.done():
                waiter.set_exception(
                    NodeError("the node's scheduling process went away; retry", status=503)
                )


def client_from_env() -> SequencerClient | None:
    path = os.environ.get(ENV_SOCKET)
    return SequencerClient(path) if path else None
