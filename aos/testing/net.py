"""The in-memory ao of `aos test`: processes, a test clock, and the messenger's crank.

A `Net` holds throw-away processes (aos.testing.process). What a process sends becomes an
item by the messenger's rules (aos.log.outbox) and waits in the net's queue until `deliver`
hands it to its target, the way the crank pushes outboxes; messages to anything that is not a
process of the net (a wallet) are only recorded. Nothing touches a disk or the wall clock:
ids, signatures and timestamps come from counters and the test clock, so the same test gives
the same results, byte for byte, in every run.

A dry-run runs in the process's runtime and leaves its state as it was, as on the compute
unit (the evaluator undoes it when the process is used next). Coverage and handler
tracebacks come from replays (aos.testing.replays). `__all__` re-exports what code and
tests import from here, wherever it is defined now.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aos.clock import block_height_at
from aos.cron import parse_interval
from aos.errors import NodeError
from aos.log.evaluator import Evaluated, Evaluator, ProcessInfo
from aos.log.outbox import Pushed, assignments, pushed_message, pushed_spawn, spawned_notice
from aos.log.records import Item
from aos.log.runtimes import memory_limit_of
from aos.luafiles import blueprint_dir
from aos.protocol import AOS_LEGACY_AUTHORITY, AOS_MODULE_ID, ao_tags
from aos.runtime import LuaProcess
from aos.testing.lua_source import loader_code
from aos.testing.process import HandlerError, Process
from aos.testing.replays import handler_traceback
from aos.testing.replays import lines_run as replayed_lines_run
from aos.testing.values import (
    TestNetError,
    address,
    display_path,
    error_message,
    lifted,
    strip_ansi,
    tag_value,
    tags_of,
)

__all__ = [
    "DEFAULT_OWNER",
    "MAX_DELIVERIES",
    "MU",
    "START_MS",
    "SU",
    "HandlerError",
    "Net",
    "Process",
    "TestNetError",
    "address",
    "display_path",
    "error_message",
    "lifted",
    "strip_ansi",
    "tag_value",
    "tags_of",
]

# Who signs what the messenger pushes, and the scheduler every process names: fixed, so
# processes trust the net's messages (spawns carry Authority=MU) and ids never vary.
MU = address("aos test messenger")
SU = address("aos test scheduler")
# 2023-11-14T22:13:20Z: where every test's clock starts.
START_MS = 1_700_000_000_000
# `deliver()` without a limit stops here: processes that keep messaging each other.
MAX_DELIVERIES = 10_000
DEFAULT_OWNER = "owner"

# Message fields that are not tags when a test sends a message.
_FIELDS = {"From", "Owner", "Data", "Anchor", "Target", "Tags"}


@dataclass
class _Queued:
    kind: str  # "message", "spawn", "assign"
    item: Item | None = None
    parent: str = ""
    spawn: Any = None
    process: str = ""
    message: str = ""


class Net:
    """Processes, their messages and the clock, all in memory."""

    def __init__(self, *, search: Sequence[Path] = (), start_ms: int = START_MS) -> None:
        self.search = [Path(p) for p in search]
        self.now = start_ms
        self._pinned_height: int | None = None
        self.processes: dict[str, Process] = {}
        self.queue: deque[_Queued] = deque()
        self.sent: list[dict[str, Any]] = []
        self.errors: list[HandlerError] = []
        self._items: dict[str, Item] = {}
        self._ids = 0
        self._dryruns = 0
        self.evaluations = 0  # messages and cron ticks evaluated, process messages included

    # -- ids and time ----------------------------------------------------------------------
    def new_id(self) -> str:
        self._ids += 1
        return address(f"aos test item {self._ids}")

    @property
    def height(self) -> int:
        """The block height of new messages: pinned by `set_height`, else the clock's."""
        if self._pinned_height is not None:
            return self._pinned_height
        return block_height_at(self.now)

    def set_height(self, height: int) -> None:
        self._pinned_height = height

    def set_clock(self, ms: int) -> list[dict[str, Any]]:
        """Move the clock to `ms` (never back); the cron ticks that fall due run, in time
        order across processes. Their results; what they sent waits for `deliver`."""
        if ms < self.now:
            raise TestNetError(f"the clock only moves forward: it is {self.now}, not {ms}")
        self.now = ms
        due: list[tuple[int, int, Process]] = []
        for order, p in enumerate(self.processes.values()):
            for t, _ in p.evaluator.due_crons(ms + 1):
                due.append((t, order, p))
        results: list[dict[str, Any]] = []
        seen: set[tuple[int, str]] = set()
        for t, _, p in sorted(due, key=lambda d: (d[0], d[1])):
            if (t, p.id) in seen:
                continue
            seen.add((t, p.id))
            evaluator = p.evaluator
            p.log.append(("crons", t))
            for ev in evaluator.crons_until(t):
                self._after(p, ev, None, "a cron tick")
                results.append(ev.result)
        return results

    def advance(self, by: int | str) -> list[dict[str, Any]]:
        """`set_clock(now + by)`; `by` in ms or as a Cron-Interval (`10-minutes`)."""
        if isinstance(by, str):
            try:
                ms = parse_interval(by)
            except ValueError as err:
                raise TestNetError(str(err)) from None
        else:
            ms = by
        if ms < 0:
            raise TestNetError(f"advance needs a duration of 0 or more, got {ms}")
        return self.set_clock(self.now + ms)

    # -- names -----------------------------------------------------------------------------
    def name_of(self, some_id: str) -> str:
        p = self.processes.get(some_id)
        return p.name if p else some_id

    def _process(self, ref: Any) -> Process | None:
        if isinstance(ref, Process):
            return ref
        return self.processes.get(ref) if isinstance(ref, str) else None

    # -- spawning --------------------------------------------------------------------------
    def resolve(self, file: str) -> Path:
        path = Path(file)
        if path.is_absolute():
            candidates = [path]
        else:
            bases = [*self.search, Path.cwd()]
            candidates = list(dict.fromkeys(b / path for b in bases))
        for c in candidates:
            if c.is_file():
                return c.resolve()
        where = ", ".join(display_path(c.parent) or "." for c in candidates)
        raise TestNetError(f"spawn: no file {file} (looked in {where})")

    def spawn(
        self,
        *,
        files: Sequence[str] = (),
        blueprints: Sequence[str] = (),
        tags: Any = None,
        owner: Any = DEFAULT_OWNER,
        module: str = AOS_MODULE_ID,
        data: str = "",
        name: str | None = None,
    ) -> Process:
        """Spawn a process owned by `owner` (a wallet, or a process of the net), then load
        the blueprints and files into it as the prompt's `.load-blueprint` and `.load` do:
        one Eval from the owner each. Files keep their own chunk names, so errors and
        tracebacks point into them."""
        known = sorted(p.stem for p in blueprint_dir().glob("*.lua"))
        for bp in blueprints:
            if bp not in known:
                raise TestNetError(f"spawn: no blueprint named {bp!r} (known: {', '.join(known)})")
        paths = [self.resolve(f) for f in files]
        label = self._unique(
            name or (paths[0].stem if paths else blueprints[0] if blueprints else "process")
        )

        user_tags = [(t["name"], t["value"]) for t in tags_of(tags)]
        all_tags = [("App-Name", "aos"), *user_tags, ("Authority", MU)]
        all_tags.append(("Authority", AOS_LEGACY_AUTHORITY))
        # As the shell's client sends a spawn (aos.client.ao.AoClient.spawn).
        if not data:
            data = " "
            all_tags.append(("Content-Type", "text/plain"))
        all_tags += [*ao_tags("Process"), ("Module", module), ("Scheduler", SU)]
        all_tags.append(("Timestamp", str(self.now)))
        parent = self._process(owner)
        if parent is not None:
            all_tags.append(("From-Process", parent.id))
            signer = MU
        else:
            signer = str(owner)
        item = self._item(signer, None, all_tags, data)
        p = self._new_process(item, label)
        for bp in blueprints:
            source = (blueprint_dir() / f"{bp}.lua").read_text(encoding="utf-8")
            self._load(p, source, f"blueprint {bp}")
        for path in paths:
            self._load(p, loader_code(path, p.chunks), display_path(path))
        return p

    def _new_process(self, item: Item, name: str) -> Process:
        tags = item.tags
        module = next((t["value"] for t in tags if t["name"] == "Module"), AOS_MODULE_ID)
        info = ProcessInfo(item.id, item.owner, module, tags, self.now, self.height)
        owner = next((t["value"] for t in tags if t["name"] == "From-Process"), item.owner)
        limit = memory_limit_of(info)

        def fresh() -> LuaProcess:
            return LuaProcess(memory_limit=limit)

        # With `rebuild`, a rollback before the first checkpoint starts from a fresh runtime
        # instead of a checkpoint of the spawn that most tests would never use.
        p = Process(self, item.id, name, owner, info, Evaluator(info, fresh(), rebuild=fresh))
        self.processes[p.id] = p
        self._step(p, item, "the process message")
        return p

    def _load(self, p: Process, code: str, what: str) -> None:
        result = p.send(From=p.owner, Action="Eval", Data=code)
        if "Error" in result:
            raise TestNetError(f"spawn: loading {what} failed: {error_message(result['Error'])}")

    # -- messages --------------------------------------------------------------------------
    def _item(
        self,
        owner: str,
        target: str | None,
        tags: list[tuple[str, str]],
        data: str,
        anchor: str | None = None,
        item_id: str | None = None,
    ) -> Item:
        item_id = item_id or self.new_id()
        item = Item(
            seq=len(self._items),
            id=item_id,
            signature_type=1,
            signature=item_id,  # nothing checks it; a second hash per item would cost
            owner=owner,
            owner_key="",
            target=target,
            anchor=anchor,
            tags=[{"name": n, "value": v} for n, v in tags],
            data=data.encode(),
            created_at=self.now,
            block_height=self.height,
        )
        self._items[item_id] = item
        return item

    def _message_item(self, p: Process, fields: Mapping[str, Any]) -> Item:
        """The item of a message a test sends to `p` (from a wallet or a process)."""
        target = fields.get("Target")
        if target is not None and self._ref_id(target) != p.id:
            raise TestNetError(
                f"send: Target {self._ref_id(target)} is not {p.name}: a message goes to the "
                "process it is sent to"
            )
        sender_ref = fields.get("From", self._process(p.owner) or p.owner)
        tags = tags_of(fields.get("Tags"))
        tags += tags_of({k: v for k, v in fields.items() if k not in _FIELDS and v is not None})
        raw_data = fields.get("Data")
        data = raw_data if isinstance(raw_data, str) else tag_value(raw_data) if raw_data else ""
        anchor = fields.get("Anchor")
        sender = self._process(sender_ref)
        if sender is not None:
            outbox = {"Target": p.id, "Tags": tags, "Data": data, "Anchor": anchor}
            pushed = pushed_message(outbox, sender.id, sender.info.module, "")
            return self._item(MU, p.id, pushed.tags, pushed.data, pushed.anchor)
        # As the shell's client sends a message (aos.client.ao.AoClient.message).
        pairs = [(t["name"], t["value"]) for t in tags]
        if not data:
            data = " "
            pairs.append(("Content-Type", "text/plain"))
        pairs += ao_tags("Message")
        owner = tag_value(fields.get("Owner", sender_ref))
        return self._item(owner, p.id, pairs, data, anchor if isinstance(anchor, str) else None)

    def _summary(self, item: Item) -> str:
        """`Action = Transfer from alice`: a message as a failure report names it."""
        if item.tag("Type") == "Process":
            return "the process message"
        action = item.tag("Action")
        sender = self.name_of(item.tag("From-Process") or item.owner)
        return f"Action = {action} from {sender}" if action else f"a message from {sender}"

    def _ref_id(self, ref: Any) -> str:
        p = self._process(ref)
        return p.id if p else tag_value(ref)

    def send(self, p: Process, fields: Mapping[str, Any]) -> dict[str, Any]:
        item = self._message_item(p, fields)
        return self._step(p, item, self._summary(item))

    def _step(self, p: Process, item: Item, summary: str, assigned: bool = False) -> dict[str, Any]:
        evaluator = p.evaluator
        entry = p.next_entry(item, assigned)
        p.log.append(("step", entry, item))
        results = evaluator.step(entry, item)
        for ev in results[:-1]:
            self._after(p, ev, None, "a cron tick")
        self._after(p, results[-1], item, summary)
        return results[-1].result

    def _after(self, p: Process, ev: Evaluated, item: Item | None, summary: str) -> None:
        """Record an evaluation: its Error, or its outbox into the queue and the sent log."""
        self.evaluations += 1
        result = ev.result
        if "Error" in result:
            self.errors.append(HandlerError(p, len(p.log) - 1, summary, str(result["Error"])))
            return
        origin = ev.message_id
        if item is not None:
            origin = next((t["value"] for t in item.tags if t["name"] == "Pushed-For"), item.id)
        for msg in result.get("Messages") or []:
            try:
                pushed = pushed_message(msg, p.id, p.info.module, origin)
            except NodeError:
                continue  # the messenger skips a malformed entry too
            out = self._item(MU, pushed.target, pushed.tags, pushed.data, pushed.anchor)
            self.sent.append(_sent_record(out, p.id))
            self.queue.append(_Queued("message", item=out))
        for spawn in result.get("Spawns") or []:
            try:
                pushed = pushed_spawn(spawn, p.id, p.info.module, SU, origin)
            except NodeError:
                continue
            out = self._item(MU, None, pushed.tags, pushed.data, pushed.anchor)
            self.queue.append(_Queued("spawn", item=out, parent=p.id, spawn=spawn))
        for _, _, pid, message in assignments(result):
            self.queue.append(_Queued("assign", process=pid, message=message))

    # -- the crank -------------------------------------------------------------------------
    def deliver(self, limit: int | None = None) -> int:
        """Deliver queued messages, spawns and assignments in the order they were sent,
        with what they cause, until the queue is empty or `limit` were evaluated; how many
        were. Without a limit, TestNetError after MAX_DELIVERIES (a messaging loop)."""
        done = 0
        while self.queue and (limit is None or done < limit):
            if limit is None and done >= MAX_DELIVERIES:
                raise TestNetError(
                    f"deliver: still delivering after {MAX_DELIVERIES} messages; the processes "
                    "keep messaging each other (use deliver(n) to step through a loop)"
                )
            if self._deliver_one(self.queue.popleft()):
                done += 1
        return done

    def _deliver_one(self, q: _Queued) -> bool:
        if q.kind == "message" and q.item is not None:
            target = self.processes.get(q.item.target or "")
            if target is None:
                return False  # a wallet, or no process of this net: only recorded
            self._step(target, q.item, self._summary(q.item))
            return True
        if q.kind == "spawn" and q.item is not None:
            parent = self.processes[q.parent]
            child_name = next((t["value"] for t in q.item.tags if t["name"] == "Name"), None)
            self._new_process(q.item, self._unique(child_name or f"{parent.name}-child"))
            notice: Pushed = spawned_notice(q.spawn, q.item.id)
            out = self._item(MU, q.parent, notice.tags, notice.data)
            self.sent.append(_sent_record(out, q.parent))
            self.queue.append(_Queued("message", item=out))
            return True
        if q.kind == "assign":
            target = self.processes.get(q.process)
            item = self._items.get(q.message)
            if target is None or item is None:
                return False
            self._step(target, item, self._summary(item), assigned=item.target != target.id)
            return True
        return False

    def _unique(self, name: str) -> str:
        taken = {p.name for p in self.processes.values()}
        if name not in taken:
            return name
        n = 2
        while f"{name}-{n}" in taken:
            n += 1
        return f"{name}-{n}"

    # -- reading state without changing it ------------------------------------------------
    def dryrun(self, p: Process, fields: Mapping[str, Any]) -> dict[str, Any]:
        """As the compute unit answers one: the state stays as it was. (The evaluator undoes
        the dry-run when the process is used next, so reads at the end of a test cost
        nothing.)"""
        body = self._dryrun_body(p, fields)
        ev = p.evaluator
        result = ev.dry_run(ev.read_only_message(body), settle_later=True)
        p.log.append(("dryrun", body))
        return result

    def _dryrun_body(self, p: Process, fields: Mapping[str, Any]) -> dict[str, Any]:
        sender_ref = fields.get("From", self._process(p.owner) or p.owner)
        tags = tags_of(fields.get("Tags"))
        tags += tags_of({k: v for k, v in fields.items() if k not in _FIELDS and v is not None})
        sender = self._process(sender_ref)
        if sender is not None:
            tags.append({"name": "From-Process", "value": sender.id})
        raw = fields.get("Data")
        # Dry-runs count apart, so reading state never changes the ids of what follows.
        self._dryruns += 1
        body: dict[str, Any] = {
            "Id": address(f"aos test dry-run {self._dryruns}"),
            "Owner": MU if sender is not None else tag_value(fields.get("Owner", sender_ref)),
            "Target": p.id,
            "Tags": tags,
            "Data": raw if isinstance(raw, str) else tag_value(raw) if raw else "",
        }
        return body

    def lines_run(self, p: Process) -> dict[str, set[int]]:
        """The lines of `p`'s files that its log ran, dry-runs included (a replay's)."""
        return replayed_lines_run(p)

    def traceback(self, err: HandlerError) -> list[str]:
        """The frames of the user's code on the stack when `err` was raised (innermost
        first), from a replay that keeps tracebacks; [] when none is known."""
        return handler_traceback(err)

    # -- what was sent ---------------------------------------------------------------------
    def matching(self, spec: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The sent messages whose fields and tags equal every value of `spec`."""
        want = {k: (self._ref_id(v) if k in ("From", "Target") else tag_value(v)) for k, v in
                spec.items()}  # fmt: skip
        return [m for m in self.sent if all(str(m.get(k)) == v for k, v in want.items())]

    def describe_sent(self, spec: Mapping[str, Any], limit: int = 20) -> str:
        """The messages sent so far, one a line, showing the fields `spec` asks about."""
        keys = ["Action", *sorted(k for k in spec if k not in ("From", "Target", "Action"))]
        lines = []
        for m in self.sent[:limit]:
            shown = ", ".join(f"{k} = {json.dumps(m[k])}" for k in keys if k in m)
            route = f"{self.name_of(str(m['From']))} → {self.name_of(str(m['Target']))}"
            lines.append(f"  {route}: {shown}" if shown else f"  {route}")
        if len(self.sent) > limit:
            lines.append(f"  … and {len(self.sent) - limit} more")
        return "\n".join(lines)

    def expect_sent(
        self, spec: Mapping[str, Any] | None = None, /, **fields: Any
    ) -> dict[str, Any]:
        """The first sent message matching; AssertionError listing what was sent if none."""
        want = {**(spec or {}), **fields}
        found = self.matching(want)
        if found:
            return found[0]
        raise AssertionError(self.no_match_text(want))

    def no_match_text(self, spec: Mapping[str, Any]) -> str:
        shown = ", ".join(f"{k} = {json.dumps(self._ref_id(spec[k]))}" for k in sorted(spec))
        if not self.sent:
            return f"no message matches {{{shown}}}: nothing was sent"
        return f"no message matches {{{shown}}}; sent ({len(self.sent)}):\n" + self.describe_sent(
            spec
        )

    def close(self) -> None:
        """Drop every process's Lua state."""
        for p in self.processes.values():
            p.close()
        self.processes.clear()


def _sent_record(item: Item, sender: str) -> dict[str, Any]:
    return lifted(
        {
            "Id": item.id,
            "From": sender,
            "Target": item.target or "",
            "Anchor": item.anchor or "",
            "Data": item.data.decode("utf-8", errors="replace"),
            "Tags": item.tags,
        }
    )
