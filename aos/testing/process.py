"""A process of the in-memory net: its messages, its log, and how the log is replayed.

Each process is a real `aos.runtime.LuaProcess` folded by the node's own
`aos.log.evaluator.Evaluator`, so `msg`, `env`, cron ticks and results are built exactly as
the compute unit builds them. Its log keeps every message, cron tick and dry-run in order,
which is all a replay needs: diagnostic replays (aos.testing.replays) run the log again in a
runtime of their own. A dry-run leaves the state as it was, as on the compute unit (the
evaluator undoes it when the process is used next, so a read at the end costs nothing).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aos.log.evaluator import Evaluator, ProcessInfo
from aos.log.hashchain import first_hash_chain, next_hash_chain
from aos.log.records import Entry, Item
from aos.log.runtimes import memory_limit_of
from aos.runtime import LuaProcess
from aos.testing.values import TestNetError, address, error_message, strip_ansi

if TYPE_CHECKING:  # the net imports this module; a process only calls back into its net
    from aos.testing.net import Net


@dataclass(frozen=True)
class HandlerError:
    """A message that ended in an Error, with where it happened in its process's log."""

    process: Process
    event: int  # index in the process's log
    summary: str  # `Action = Transfer from alice`
    error: str  # the Error text as the result has it

    @property
    def message(self) -> str:
        return error_message(self.error)


@dataclass
class Process:
    """A process of the net; send it messages, read its state."""

    net: Net
    id: str
    name: str
    owner: str  # its Owner: the process that spawned it, else the wallet that signed the spawn
    info: ProcessInfo
    evaluator: Evaluator
    # ("step", entry, item) | ("crons", horizon) | ("dryrun", body): what replays repeat.
    log: list[tuple[Any, ...]] = field(default_factory=list)
    chunks: dict[str, Path] = field(default_factory=dict)  # chunk name -> file, as loaded
    head: tuple[int, str, str] = (-1, "", "")  # nonce, assignment id, hash chain

    @property
    def runtime(self) -> LuaProcess:
        """The Lua state the evaluator folds the log through (a rollback may replace it)."""
        runtime: LuaProcess = self.evaluator.keeper.runtime  # type: ignore[assignment]
        return runtime

    def send(self, message: Mapping[str, Any] | None = None, /, **fields: Any) -> dict[str, Any]:
        """Send a message (`From` a wallet or a process of the net, any tags, `Data`) and
        evaluate it now; its result. Messages it sends wait for `net.deliver()`."""
        return self.net.send(self, {**(message or {}), **fields})

    def eval(self, code: str) -> str:
        """Evaluate `code` as the owner's Eval (a message in the log, as at the prompt);
        what it returned, as the prompt shows it, without colours. TestNetError if it
        failed."""
        result = self.send(From=self.owner, Action="Eval", Data=code)
        if "Error" in result:
            raise TestNetError(f"Eval in {self.name} failed: {error_message(result['Error'])}")
        out = result.get("Output")
        data = out.get("data", "") if isinstance(out, dict) else out
        return strip_ansi(str(data or ""))

    def dryrun(self, message: Mapping[str, Any] | None = None, /, **fields: Any) -> dict[str, Any]:
        """A read-only message on the current state; the state stays as it was."""
        return self.net.dryrun(self, {**(message or {}), **fields})

    def get(self, expression: str) -> Any:
        """The value of a Lua expression in the process (through json.encode in a dry-run
        Eval, so no state changes); TestNetError if it fails or cannot be encoded."""
        code = f"return require('json').encode({expression})"
        result = self.dryrun(From=self.owner, Action="Eval", Data=code)
        if "Error" in result:
            raise TestNetError(
                f"reading {expression} in {self.name} failed: {error_message(result['Error'])}"
            )
        out = result.get("Output")
        text = strip_ansi(str(out.get("data", "") if isinstance(out, dict) else out))
        try:
            return json.loads(text) if text else None
        except ValueError:
            raise TestNetError(f"reading {expression} in {self.name}: not JSON: {text}") from None

    # -- the log ---------------------------------------------------------------------------
    def next_entry(self, item: Item, assigned: bool = False) -> Entry:
        nonce, prev_assignment, prev_chain = self.head
        nonce += 1
        chain = (
            first_hash_chain(self.id)
            if nonce == 0
            else next_hash_chain(prev_assignment, prev_chain)
        )
        assignment = self.net.new_id()
        self.head = (nonce, assignment, chain)
        return Entry(
            process=self.id,
            nonce=nonce,
            timestamp=self.net.now,
            block_height=self.net.height,
            epoch=0,
            hash_chain=chain,
            assignment_id=assignment,
            message_id=item.id,
            assigned=assigned,
        )

    def replay(
        self,
        upto: int,
        runtime: LuaProcess,
        after_spawn: str | None = None,
        keep_last: bool = False,
    ) -> Evaluator:
        """A new evaluator over `runtime`, with the first `upto` events of the log replayed
        (dry-runs skipped). `after_spawn`: Eval code run right after the process message.
        `keep_last`: the last event's state stays even if it fails (a diagnostic replay
        reads what the failing message left; every earlier failure is rolled back)."""
        ev = Evaluator(self.info, runtime)
        for index, event in enumerate(self.log[:upto]):
            if keep_last and index == upto - 1:
                ev.keeper.supports_rollback = False
            if event[0] == "step":
                ev.step(event[1], event[2])
                if after_spawn is not None and event[1].nonce == 0:
                    runtime.handle(self.injected_eval(ev, after_spawn), ev.env)
            elif event[0] == "crons":
                ev.crons_until(event[1])
        return ev

    def injected_eval(self, ev: Evaluator, code: str) -> dict[str, Any]:
        """An Eval from the owner that is in no log (for diagnostic replays only)."""
        return {
            "Id": address(f"aos test injected {code}"),
            "Owner": self.owner,
            "From": self.owner,
            "Target": self.id,
            "Data": code,
            "Tags": [{"name": "Action", "value": "Eval"}],
            "Timestamp": ev.last_timestamp,
            "Block-Height": ev.last_block_height,
            "Nonce": ev.last_nonce,
            "Epoch": 0,
            "Cron": False,
            "Read-Only": False,
        }

    def new_runtime(self, cover: Iterable[str] = ()) -> LuaProcess:
        limit = memory_limit_of(self.info)
        chunks = tuple(cover)
        if chunks:
            return LuaProcess.covering(chunks, memory_limit=limit)
        return LuaProcess(memory_limit=limit)

    def close(self) -> None:
        self.runtime.close()
