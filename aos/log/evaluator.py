"""Pure evaluation of a process log: schedule entries in, results and hashes out.

No database and no clock: the compute unit feeds it entries from the store, and `aos verify` feeds
it the same entries in another OS process and must get the same hashes. The runtime it folds through
comes from aos.log.runtimes; read-only messages (dry-runs, `aos replay --expr`, `.replay`) are built
here too, by `read_only_message`. It builds `msg`/`env` exactly as docs/protocol.md §4.1, inserts
cron messages generated from the process's Cron-Interval / Cron-Tag-* tags at scheduler time (so a
replay regenerates them identically), normalises each result (docs/protocol.md §4.3: missing arrays
become [], an Errored result keeps no outbox) and chains the result hashes (aos.log.resulthash).

The node's tags (aos.protocol.NODE_TAGS) reach a process only as the node wrote them: of
`From-Process`, `From-Module` and `Pushed-For` only the last copy spelt exactly so is kept (the
messenger appends its own after the outbox's tags), every other spelling of them (`from-process`,
`FROM_PROCESS`: one name to the process library) and every `Forwarded-By` tag are left out of
`msg.Tags`, and `From` comes from the kept `From-Process`. The node no longer admits or pushes such
copies (aos.node.units.authority), so this changes nothing for a log written since; an older log
replays differently exactly where a message, or the spawn seen in `env.Process.Tags`, carried such
a copy (the shadowing of issue 12), and `aos verify` reports those positions.

Quarantine (aos.log.verdicts, the one record of it): where the store holds a verdict for an
evaluation, the evaluator does not call the runtime and the verdict's Error is the result. An
evaluation the runtime's wall-clock watchdog stopped (aos.errors.MessageStopped) is rolled back
(aos.log.keeper, as for an Error) and becomes such a verdict itself (STOPPED_ERROR, in
`decided`, for the compute unit to record before its result): where it stopped depended on
timing, so no replay may run it again. An evaluator that cannot roll back is `stale` and must
be rebuilt from the log (which then skips that evaluation).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from aos.cron import CronDef, parse_crons
from aos.dataitem import b64url_decode, b64url_encode
from aos.errors import MessageStopped, NodeError, SnapshotRefused
from aos.log.keeper import RollbackFailed, StateKeeper
from aos.log.records import Entry, Item
from aos.log.resulthash import GENESIS_CHAIN, chain_hash, result_hash
from aos.log.runtimes import Runtime
from aos.log.verdicts import STOPPED_ERROR, VerdictKey, verdict_result
from aos.protocol import AOS_MODULE_ID, MODULE_TAGS, NODE_TAGS, tag_key
from aos.signers import eth_address

# The owner address the seeded module record is attributed to (it has no signature): a
# fixed, address-shaped constant, so env.Module.Owner is the same on every node.
MODULE_OWNER = b64url_encode(
    hashlib.sha256(b"aos-python lua module " + AOS_MODULE_ID.encode()).digest()
)
MODULE_TAG_DICTS = [{"name": n, "value": v} for n, v in MODULE_TAGS]

_FLAT_SCALARS = (str, int, bool)
_NODE_KEYS = frozenset(tag_key(n) for n in NODE_TAGS)
# The node tags a process may see, in their exact spelling (Forwarded-By is never a tag).
_KEPT = frozenset(n for n in NODE_TAGS if n != "Forwarded-By")
# Tag name -> whether it is a node tag in some spelling: the same few names come on nearly
# every message, and a replay asks for each of them once per message.
_node_name: dict[str, bool] = {}


def _is_node_tag(name: object) -> bool:
    if type(name) is not str:
        return False
    hit = _node_name.get(name)
    if hit is None:
        hit = tag_key(name) in _NODE_KEYS
        if len(_node_name) < 4096:
            _node_name[name] = hit
    return hit


def node_view(tags: list[dict[str, str]]) -> tuple[list[dict[str, str]], str | None]:
    """(the tags a process sees, the From-Process they carry): see the module docstring."""
    if not any(_is_node_tag(t.get("name")) for t in tags):
        return tags, None
    last: dict[str, int] = {}
    for i, t in enumerate(tags):
        name = t.get("name")
        if type(name) is str and name in _KEPT:
            last[name] = i
    seen = [
        t for i, t in enumerate(tags) if not _is_node_tag(t.get("name")) or last.get(t["name"]) == i
    ]
    found = last.get("From-Process")
    return seen, None if found is None else tags[found]["value"]


@dataclass(frozen=True, slots=True)
class ProcessInfo:
    """What evaluation needs to know about a process: its spawn item and nonce-0 slot."""

    id: str
    owner: str
    module: str
    tags: list[dict[str, str]]
    timestamp: int
    block_height: int

    @classmethod
    def from_spawn(cls, item: Item, entry: Entry) -> ProcessInfo:
        return cls(
            id=item.id,
            owner=owner_of(item),
            module=item.tag("Module") or AOS_MODULE_ID,
            tags=item.tags,
            timestamp=entry.timestamp,
            block_height=entry.block_height,
        )


def owner_of(item: Item) -> str:
    """The Owner a CU reports: sha256 address, or EIP-55 for Ethereum keys (docs/protocol.md
    §1.6)."""
    if item.signature_type == 3:
        return eth_address(b64url_decode(item.owner_key))
    return item.owner


# Not frozen: a frozen dataclass sets each field through object.__setattr__, which costs a
# replay ~1 µs per message. Treat it as immutable all the same.
@dataclass(slots=True)
class Evaluated:
    """One evaluation: where it sits in the process's history and what it produced."""

    ordinate: int
    cron: str
    message_id: str
    result: dict[str, Any]
    timestamp: int
    block_height: int
    position: int
    result_hash: str
    chain_hash: str

    @property
    def error(self) -> bool:
        return "Error" in self.result


def normalise(raw: Mapping[str, Any]) -> dict[str, Any]:
    """docs/protocol.md §4.3: arrays default to [], Output to "" (numbers become strings); an Error
    keeps no outbox (its messages are never pushed) but its Output stays for the user."""
    output = raw.get("Output", "")
    if (
        raw.get("Error") is None
        and type(raw.get("Messages")) is list
        and type(raw.get("Spawns")) is list
        and type(raw.get("Assignments")) is list
        and (type(output) is str or type(output) is dict)
    ):
        # What the Lua runtime returns for every result without an Error: already normal.
        fast: dict[str, Any] = {
            "Output": output,
            "Messages": raw["Messages"],
            "Spawns": raw["Spawns"],
            "Assignments": raw["Assignments"],
        }
        if "GasUsed" in raw:
            fast["GasUsed"] = raw["GasUsed"]
        return fast
    if output is None:
        output = ""
    elif isinstance(output, (int, float)) and not isinstance(output, bool):
        output = str(output)
    result: dict[str, Any] = {"Output": output}
    if raw.get("Error") is not None:
        result.update(Messages=[], Spawns=[], Assignments=[], Error=raw["Error"])
    else:
        for key in ("Messages", "Spawns", "Assignments"):
            value = raw.get(key)
            result[key] = value if isinstance(value, list) else []
    if "GasUsed" in raw:
        result["GasUsed"] = raw["GasUsed"]
    return result


class Watcher(Protocol):
    """Told around every runtime call of an evaluator (aos.node.units.quarantine records
    which message is running, so that one that ends the OS process can be named)."""

    def begin(self, key: VerdictKey) -> None: ...

    def end(self) -> None: ...


@dataclass
class Evaluator:
    """Folds a process's log through one runtime. Call in log order only.

    Every message goes through a StateKeeper (aos.log.keeper): a result with Error leaves
    the state as it was before that message, as on the reference CU. `rebuild` makes the
    fresh runtime a rollback starts from when there is no checkpoint yet.

    `verdicts` maps result keys to an Error the node decided (aos.log.verdicts): there the
    runtime is not called and the Error is the result (the state stays as it was, as for
    any Error). `watcher`, if set, is told around every runtime call.
    `decided` lists the verdicts this evaluator reached itself (a watchdog stop), for the
    caller to record in the store before their results; if the stopped evaluation cannot be
    rolled back, `stale` turns True: the runtime's state is then not a function of the log,
    so the caller must drop this evaluator and build a new one (which adopts the verdict).
    """

    process: ProcessInfo
    runtime: Runtime
    verdicts: dict[VerdictKey, str] = field(default_factory=dict)
    watcher: Watcher | None = None
    stale: bool = False
    decided: list[tuple[VerdictKey, str]] = field(default_factory=list)
    position: int = 0
    last_nonce: int = -1
    last_timestamp: int = 0
    last_block_height: int = 0
    chain: str = GENESIS_CHAIN
    crons: list[CronDef] = field(default_factory=list)
    _cron_next: list[int] = field(default_factory=list)
    rebuild: Callable[[], Runtime] | None = None
    restored: bool = False  # the runtime was restored from a snapshot (its checkpoint)

    def __post_init__(self) -> None:
        self.keeper = StateKeeper(self.runtime, self.rebuild, restored=self.restored)
        # True while the last evaluation was a scheduled message's (not a cron tick after
        # it): only then is the state "right after message last_nonce", as snapshots are.
        self.after_message = True
        # A runtime that takes the message flattened (aos.runtime.LuaProcess) skips
        # building the dict on the replay's hot path.
        self._handle_flat: Any = self.keeper.handle_flat if self.keeper.takes_flat else None
        self.crons = parse_crons(self.process.tags)
        if not self._cron_next:
            self._cron_next = [1 for _ in self.crons]
        self.env: dict[str, Any] = {
            "Process": {
                "Id": self.process.id,
                "Owner": self.process.owner,
                "Tags": node_view(self.process.tags)[0],
            },
            "Module": {"Id": self.process.module, "Owner": MODULE_OWNER, "Tags": MODULE_TAG_DICTS},
        }

    # -- messages --------------------------------------------------------------------------
    def message(self, entry: Entry, item: Item) -> dict[str, Any]:
        """The `msg` of §4.1 for a scheduled entry."""
        owner = owner_of(item)
        seen, from_process = node_view(item.tags)
        tags = [t for t in seen if t["name"] not in ("From", "Owner")]
        msg: dict[str, Any] = {
            "Id": item.id,
            "Signature": item.signature,
            "Owner": owner,
            "From": from_process if from_process else owner,
            "Target": self.process.id if not entry.assigned else (item.target or ""),
            "Anchor": item.anchor or "",
            "Data": item.data.decode("utf-8", errors="replace"),
            "Tags": tags,
            "Epoch": entry.epoch,
            "Nonce": entry.nonce,
            "Timestamp": entry.timestamp,
            "Block-Height": entry.block_height,
            "Hash-Chain": entry.hash_chain,
            "Cron": False,
            "Read-Only": False,
        }
        if from_process:
            msg["Forwarded-By"] = owner
        if entry.nonce == 0 and item.id == self.process.id:
            msg["Module"] = self.process.module
        return msg

    def message_args(self, entry: Entry, item: Item) -> list[Any] | None:
        """`message(entry, item)` already flattened for the runtime (what
        aos.runtime.convert.flatten_message makes of it, a test holds the two equal), or
        None when a tag is not a plain string (then the generic path checks it)."""
        owner = owner_of(item)
        seen, from_process = node_view(item.tags)
        tags: list[Any] = []
        for t in seen:
            name, value = t["name"], t["value"]
            if type(name) is not str or type(value) is not str:
                return None
            if name != "From" and name != "Owner":
                tags.append(name)
                tags.append(value)
        root: list[Any] = [
            0,
            "Id", item.id,
            "Signature", item.signature,
            "Owner", owner,
            "From", from_process if from_process else owner,
            "Target", self.process.id if not entry.assigned else (item.target or ""),
            "Anchor", item.anchor or "",
            "Data", item.data.decode("utf-8", errors="replace"),
            "Epoch", entry.epoch,
            "Nonce", entry.nonce,
            "Timestamp", entry.timestamp,
            "Block-Height", entry.block_height,
            "Hash-Chain", entry.hash_chain,
            "Cron", False,
            "Read-Only", False,
        ]  # fmt: skip
        if any(type(v) not in _FLAT_SCALARS for v in root[2::2]):
            return None  # e.g. a NULL column: the generic path drops or checks it
        if from_process:
            root += ("Forwarded-By", owner)
        if entry.nonce == 0 and item.id == self.process.id:
            root += ("Module", self.process.module)
        root[0] = (len(root) - 1) // 2
        root += tags
        return root

    def cron_message(self, cron: CronDef, timestamp: int) -> dict[str, Any]:
        return {
            "Owner": self.process.owner,
            "From": self.process.owner,
            "Target": self.process.id,
            "Tags": list(cron.tags),
            "Timestamp": timestamp,
            "Block-Height": self.last_block_height,
            "Cron": True,
            "Read-Only": False,
        }

    # -- evaluation ------------------------------------------------------------------------
    def _record(
        self, ordinate: int, cron: str, message_id: str, raw: Mapping[str, Any], timestamp: int
    ) -> Evaluated:
        result = normalise(raw)
        rh = result_hash(result)
        self.chain = chain_hash(self.chain, rh)
        done = Evaluated(
            ordinate,
            cron,
            message_id,
            result,
            timestamp,
            self.last_block_height,
            self.position,
            rh,
            self.chain,
        )
        self.position += 1
        return done

    def due_crons(self, before: int) -> list[tuple[int, CronDef]]:
        """Cron ticks with timestamp < `before` not yet run, in time order (then by index).
        A tick at T follows every message with timestamp <= T."""
        if not self.crons or self.last_nonce < 0:
            return []
        ticks: list[tuple[int, int, CronDef]] = []
        for i, cron in enumerate(self.crons):
            k = self._cron_next[i]
            while True:
                t = self.process.timestamp + k * cron.ms
                if t >= before:
                    break
                ticks.append((t, cron.index, cron))
                k += 1
                if len(ticks) > 100_000:  # a runaway interval: keep the log evaluable
                    break
        ticks.sort(key=lambda x: (x[0], x[1]))
        return [(t, c) for t, _, c in ticks]

    def _settle(self) -> None:
        """Undo a dry-run left in the state before the next evaluation, outside its watcher:
        a failure of that restore is the restore's, never the next message's."""
        if self.keeper.unsettled:
            self.keeper.settle()

    def _run_cron(self, t: int, cron: CronDef) -> Evaluated:
        self._settle()
        self._cron_next[cron.index] += 1
        key = (t, self.last_nonce, cron.key_suffix)
        msg = self.cron_message(cron, t)
        raw = self._evaluate(key, lambda: self.keeper.handle(msg, self.env))
        return self._record(self.last_nonce, cron.key_suffix, "", raw, t)

    def _evaluate(self, key: VerdictKey, run: Callable[[], Mapping[str, Any]]) -> Mapping[str, Any]:
        """`run()` (one runtime call) unless a verdict decides the result; told to the
        watcher; a watchdog stop becomes a verdict (see the class docstring)."""
        verdict = self.verdicts.get(key) if self.verdicts else None
        if verdict is not None:
            return verdict_result(verdict)
        watcher = self.watcher
        if watcher is not None:
            watcher.begin(key)
        try:
            return run()
        except MessageStopped:
            return self._stopped(key)
        finally:
            if watcher is not None:
                watcher.end()

    def _stopped(self, key: VerdictKey) -> dict[str, Any]:
        """The watchdog stopped the evaluation at `key`: back to the state before it (exact,
        aos.log.keeper), or, if that fails, mark this evaluator stale; either way it is
        quarantined from now on."""
        if self.keeper.supports_rollback:
            try:
                self.keeper.roll_back()
            except (RollbackFailed, MessageStopped):
                self.stale = True
        else:
            self.stale = True
        self.verdicts[key] = STOPPED_ERROR
        self.decided.append((key, STOPPED_ERROR))
        return verdict_result(STOPPED_ERROR)

    def _run(self, entry: Entry, item: Item) -> Mapping[str, Any]:
        flat = self._handle_flat
        args = self.message_args(entry, item) if flat is not None else None
        if args is not None and flat is not None:
            return flat(args, self.env)  # type: ignore[no-any-return]
        return self.keeper.handle(self.message(entry, item), self.env)

    def step(self, entry: Entry, item: Item) -> list[Evaluated]:
        """Evaluate the crons due before `entry`, then `entry` itself."""
        if entry.nonce != self.last_nonce + 1:
            raise ValueError(
                f"process {self.process.id}: expected nonce {self.last_nonce + 1},"
                f" got {entry.nonce}"
            )
        out = [self._run_cron(t, c) for t, c in self.due_crons(entry.timestamp)]
        self._settle()
        raw = self._evaluate((entry.timestamp, entry.nonce, ""), lambda: self._run(entry, item))
        self.last_nonce = entry.nonce
        self.last_timestamp = entry.timestamp
        self.last_block_height = entry.block_height
        message_id = entry.message_id if entry.assigned else item.id
        out.append(self._record(entry.nonce, "", message_id, raw, entry.timestamp))
        self.after_message = True
        return out

    def crons_until(self, horizon: int) -> list[Evaluated]:
        """Cron ticks with timestamp <= horizon after the last message (monitor / /cron)."""
        done = [self._run_cron(t, c) for t, c in self.due_crons(horizon + 1)]
        if done:
            self.after_message = False
        return done

    def read_only_message(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """The `msg` of a read-only message (a dry-run's JSON body, or an expression that
        `aos replay` and `.replay` evaluate) on the current state: `Read-Only` is true, and
        what the body leaves out comes from the last message evaluated. NodeError (400)
        names a malformed field."""
        tags = body.get("Tags", [])
        if not isinstance(tags, list) or not all(
            isinstance(t, dict)
            and isinstance(t.get("name"), str)
            and isinstance(t.get("value"), str)
            for t in tags
        ):
            raise NodeError("dry-run Tags must be a list of {name, value} strings")
        owner = body.get("Owner") or "1234"
        if not isinstance(owner, str):
            raise NodeError("dry-run Owner must be a string")
        for key, value in body.items():
            # A Lua integer is 64 bits and a Lua number a finite double here: anything else
            # would fail in the runtime's conversion, not as the client's mistake.
            if type(value) is int and not -(2**63) <= value < 2**63:
                raise NodeError(f"dry-run field {key!r} is an integer beyond 64 bits")
            if type(value) is float and not math.isfinite(value):
                raise NodeError(f"dry-run field {key!r} is not a finite number")
        tags, from_process = node_view(tags)
        data = body.get("Data")
        msg: dict[str, Any] = {k: v for k, v in body.items() if isinstance(k, str)}
        msg.update(
            Id=str(body.get("Id") or "1234"),
            Owner=owner,
            From=from_process or owner,
            Target=str(body.get("Target") or self.process.id),
            Anchor=str(body.get("Anchor") or "0"),
            Data=data if isinstance(data, str) else str(data or ""),
            Tags=[t for t in tags if t["name"] not in ("From", "Owner")],
            Cron=False,
        )
        msg["Read-Only"] = True
        msg.setdefault("Timestamp", self.last_timestamp)
        msg.setdefault("Block-Height", self.last_block_height)
        msg.setdefault("Epoch", 0)
        msg.setdefault("Nonce", self.last_nonce)
        return msg

    @property
    def isolates(self) -> bool:
        """Whether `dry_run` leaves the state as it was (else discard the evaluator after)."""
        return self.keeper.supports_rollback

    def dry_run(self, msg: dict[str, Any], *, settle_later: bool = False) -> dict[str, Any]:
        """Evaluate a read-only message. With a runtime that has checkpoints the state is
        then exactly as before it (`settle_later`: once the evaluator is used next, see
        aos.log.keeper); otherwise the caller must discard this evaluator."""
        keeper = self.keeper

        def run() -> dict[str, Any]:
            try:
                return normalise(keeper.runtime.handle(msg, self.env))
            except MessageStopped as stop:
                # Without a rollback the caller discards this evaluator anyway.
                return normalise({"Output": "", "Error": str(stop)})

        if not keeper.supports_rollback:
            return run()
        return keeper.isolated(run, later=settle_later)

    # -- snapshots -------------------------------------------------------------------------
    def snapshot(self) -> tuple[bytes, dict[str, Any]]:
        """(the runtime's snapshot, the evaluator's own position) right after message
        `last_nonce`: `Evaluator.restore` continues from them exactly. SnapshotRefused if
        it cannot be (a Receive waits, or cron ticks ran after that message)."""
        if not self.after_message:
            raise SnapshotRefused("cron ticks ran after the last message")
        data = self.keeper.snapshot()
        return data, {
            "position": self.position,
            "last_nonce": self.last_nonce,
            "last_timestamp": self.last_timestamp,
            "last_block_height": self.last_block_height,
            "chain": self.chain,
            "cron_next": list(self._cron_next),
        }

    @classmethod
    def restore(
        cls,
        process: ProcessInfo,
        runtime: Runtime,
        state: Mapping[str, Any],
        rebuild: Callable[[], Runtime] | None = None,
        verdicts: dict[VerdictKey, str] | None = None,
    ) -> Evaluator:
        """The evaluator of `snapshot()` again, over `runtime` restored from its bytes
        (a snapshot holds no verdicts: they are the store's, aos.log.verdicts)."""
        assume = getattr(runtime, "assume_env", None)
        evaluator = cls(
            process,
            runtime,
            position=int(state["position"]),
            last_nonce=int(state["last_nonce"]),
            last_timestamp=int(state["last_timestamp"]),
            last_block_height=int(state["last_block_height"]),
            chain=str(state["chain"]),
            _cron_next=[int(n) for n in state["cron_next"]],
            rebuild=rebuild,
            restored=True,
            verdicts=dict(verdicts or {}),
        )
        if assume is not None:
            assume(evaluator.env)
        return evaluator

    def evaluate_all(
        self, entries: Iterable[tuple[Entry, Item]], horizon: int | None = None
    ) -> Iterator[Evaluated]:
        for entry, item in entries:
            yield from self.step(entry, item)
        if horizon is not None:
            yield from self.crons_until(horizon)

    def replay(
        self, entries: Iterable[tuple[Entry, Item]], horizon: int | None = None
    ) -> Iterator[tuple[int, str, str, dict[str, Any]]]:
        """(ordinate, cron key, message id, result) for every evaluation, in order."""
        for ev in self.evaluate_all(entries, horizon):
            yield ev.ordinate, ev.cron, ev.message_id, ev.result
