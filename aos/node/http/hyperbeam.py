"""The HyperBEAM ("mainnet") surface of the node: what the aos console's default mode and
aoconnect's `MODE: 'mainnet'` send, answered over the same messenger, scheduler and compute
unit as the legacy routes (docs/hyperbeam.md).

So one process can be used from either protocol and its log stays one hash-chained log:
a slot here is a nonce there, a pushed item goes through `Messenger.check` and `admit`
(in an `aos serve` worker, through the supervisor's sequencer) exactly like `POST /mu`,
and results are the compute unit's stored rows. Every body that is present must be a
signed ANS-104 item whose signature verifies (reads included: the console signs them);
anything wrong is a 4xx `{"error": …}` and nothing is stored. Answered as raw ASGI, like
the messenger's fast path, because a push is on the path of every line typed.

The node's rules hold here as on the legacy routes (docs/threat-model.md): a push is
checked by the same authority, starting and stopping a process's crons needs an item its
owner signed for it (each item once), and the reads that evaluate (a dry-run, `now`) go
through the same EvaluationGate (and, in `aos serve`, the same dry-run process) as
`/cu/dry-run` and `/cu/cron`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

from aos.dataitem import DataItem
from aos.errors import AosError, NodeError, NotFound
from aos.ids import is_id
from aos.node.http import hbpath
from aos.node.http.bounds import EvaluationGate
from aos.node.http.hbpath import HbPath
from aos.node.http.replica import Replica
from aos.node.http.web import JSON, Admitter, error, error_status, receive_body
from aos.node.units.node import Node
from aos.node.units.su import parse_signed
from aos.protocol import ao_tags

log = logging.getLogger("aos.node.http.hyperbeam")

PROCESS_DEVICE = "process@1.0"
# Bodies are ANS-104 only: the console and aoconnect sign with it (Content-Type
# application/ans104, codec-device ans104@1.0); RFC 9421 signed requests are not served.
_ANS104_TYPES = ("application/ans104", "application/octet-stream")
_SERVED = (
    "this node serves /~meta@1.0/info[/address], /push, /~cron@1.0/every|stop and, under "
    "/<process id>[~process@1.0]/: push, schedule, compute/results=<slot|id>, "
    "compute&slot=<n>, now, slot, slot/current, as=execution/compute"
)


def _text(value: str, headers: dict[str, str] | None = None) -> Response:
    return PlainTextResponse(value, headers=headers)


class HyperBeamApp:
    """The ASGI app for HyperBEAM paths (hbpath.claims says which requests are its own).

    `sequencer` gives the Admitter of a multi-process `aos serve` worker at call time (the
    worker sets it after the app is built), or None in a single-process node. `gate` and
    `replica` are the app's (aos.node.http.bounds, aos.node.http.replica)."""

    def __init__(
        self,
        node: Node,
        sequencer: Callable[[], Admitter | None],
        gate: EvaluationGate | None = None,
        replica: Replica | None = None,
    ) -> None:
        self.node = node
        self.sequencer = sequencer
        self.gate = gate or EvaluationGate()
        self.replica = replica

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            response = await self._answer(scope, receive)
        except AosError as err:
            response = error(str(err), error_status(err))
        except Exception as err:  # a bug must still be an answer, never a hang
            log.exception("internal error on %s %s", scope.get("method"), scope.get("path"))
            response = error(f"internal error: {type(err).__name__}: {err}", 500)
        if response is not None:
            await response(scope, receive, send)

    async def _answer(self, scope: Scope, receive: Receive) -> Response | None:
        raw_path = scope.get("raw_path")
        path_text = raw_path.decode("latin-1") if raw_path else scope["path"]
        path = hbpath.parse(path_text, scope.get("query_string", b"").decode("latin-1"))
        method = scope["method"]
        if method not in ("GET", "POST"):
            raise NodeError(
                f"{method} is not served here; HyperBEAM requests are POST or GET", status=405
            )
        body = await receive_body(
            scope, receive, self.node.settings.max_body, self.node.settings.body_timeout
        )
        if body is None:
            return None  # the client went away
        if body:
            _check_content_type(scope)
        if path.pid is None:
            return await self._node_key(method, path, body)
        if path.device not in (None, PROCESS_DEVICE):
            raise NotFound(f"device {path.device!r} is not served for processes; {_SERVED}")
        return await self._process_key(method, path, path.pid, body)

    # -- keys of the node itself ---------------------------------------------------------
    async def _node_key(self, method: str, path: HbPath, body: bytes) -> Response:
        names = path.names
        if path.device == "meta@1.0" and names in (("info",), ("info", "address")):
            _signed_or_none(body)
            address = self.node.wallet.address
            if names == ("info", "address"):
                return _text(address)
            # `scheduler`: the key that signs this node's assignments (any Scheduler tag on a
            # spawn is scheduled here; aoconnect's default is `address`)
            return JSON({"address": address, "scheduler": self.node.su.address, "node": "aos"})
        if path.device is None and names == ("push",):
            return await self._push(method, body, None)
        if path.device == "cron@1.0" and names in (("every",), ("stop",)):
            return await self._cron(method, path, names[0], body)
        raise NotFound(f"no such path; {_SERVED}")

    # -- keys of a process ------------------------------------------------------------------
    async def _process_key(self, method: str, path: HbPath, pid: str, body: bytes) -> Response:
        names = path.names
        if names in (("push",), ("schedule",)):
            return await self._push(method, body, pid)
        if names and names[0] == "as" and path.keys[0].value == "execution":
            if names[1:] == ("compute",):
                return await self._dry_run(path, pid, body)
            raise NotFound(f"as=execution is served only before compute; {_SERVED}")
        if names and names[0] == "compute":
            _signed_or_none(body)
            return await self._compute(path, pid)
        if names in (("now",), ("now", "results")):
            _signed_or_none(body)
            # It evaluates (crons up to now): gated as /cu/cron is.
            return JSON(await self.gate.run(pid, "now read", partial(self._now, pid)))
        if names in (("slot",), ("slot", "current")):
            _signed_or_none(body)
            current = await run_in_threadpool(self._current_slot, pid)
            if names == ("slot", "current"):
                return _text(str(current))
            return JSON({"process": pid, "current": current})
        raise NotFound(f"no such key {'/'.join(names) or '(none)'} of process {pid}; {_SERVED}")

    # -- writes ---------------------------------------------------------------------------------
    async def _push(self, method: str, body: bytes, pid: str | None) -> Response:
        """`/push` (a Process, or a Message to its target) and `/<pid>/push` (a Message to
        `pid`): the messenger's checks, then the scheduler; answered once durable."""
        if method != "POST":
            raise NodeError("push takes a signed ANS-104 item: POST it", status=405)
        if not body:
            raise NodeError("the body must be a signed ANS-104 data item (it is empty)")
        item = self.node.mu.check(body)
        kind = item.tag("Type")
        if pid is not None:
            if kind != "Message":
                raise NodeError(
                    f"item {item.id}: only a Type=Message item is pushed to a process; "
                    "spawn a Type=Process item with POST /push"
                )
            if item.target_id != pid:
                raise NodeError(
                    f"item {item.id}: its target is {item.target_id or 'missing'}, not the "
                    f"process {pid} of the path"
                )
        process, slot = await self._admit(item, body)
        headers = {"process": process, "slot": str(slot)}
        return JSON({"process": process, "slot": slot, "id": item.id}, headers=headers)

    async def _admit(self, item: DataItem, raw: bytes) -> tuple[str, int]:
        """(process, slot) of a checked item, scheduled as `POST /mu` schedules it."""
        sequencer = self.sequencer()
        if sequencer is None:
            accepted = self.node.mu.admit(item, raw)
            return accepted.process, accepted.entry.nonce
        status, answer = await sequencer.admit(raw)
        if status >= 300:
            raise NodeError(_reason(answer), status=status)
        process = item.id if item.tag("Type") == "Process" else item.target_id
        assert process is not None  # Messenger.check and admit refused a Message without one
        # One indexed read, inline like the fast path's write: a thread-pool hop would cost
        # more than the read on the path of every line typed.
        entry = self.node.store.entry_by_id(process, item.id)
        if entry is None:  # the supervisor acknowledged it, so its commit is visible here
            raise NodeError(f"item {item.id} was acknowledged but is not in the log", status=503)
        return process, entry.nonce

    async def _cron(self, method: str, path: HbPath, key: str, body: bytes) -> Response:
        """`~cron@1.0/every` with `cron-path=/<pid>~process@1.0/now` asks the node to run the
        process's crons on its own (the legacy monitor); `stop` with `task=<pid>` ends it.
        The task id is the process id, so a later session can stop what an earlier began."""
        if method != "POST":
            raise NodeError(f"~cron@1.0/{key} takes a signed ANS-104 item: POST it", status=405)
        if not body:
            raise NodeError(f"~cron@1.0/{key} needs a signed ANS-104 data item as the body")
        if key == "every":
            pid = _cron_target(path.param("cron-path"))
            if not path.param("interval"):
                raise NodeError("~cron@1.0/every needs an interval parameter, e.g. 10-minutes")
        else:
            task = path.param("task") or ""
            if not is_id(task):
                raise NodeError(f"~cron@1.0/stop needs task=<process id>, got {task[:80]!r}")
            pid = task
        # Only the owner, with an item signed for this process and used once (authority
        # rule 4, as POST and DELETE /mu/monitor).
        action = "monitor" if key == "every" else "unmonitor"
        await run_in_threadpool(self.node.authority.signed_by_owner, pid, body, action)
        await run_in_threadpool(self.node.store.set_monitor, pid, key == "every")
        return _text(pid)

    # -- reads ------------------------------------------------------------------------------------
    async def _compute(self, path: HbPath, pid: str) -> Response:
        """`compute/results=<slot|id>`, `compute=<slot>`, `compute&slot=<n>`: the legacy
        result of that slot as `raw` (what aoconnect's normalizeOutput reads)."""
        keys = path.keys
        if len(keys) > 2 or (len(keys) == 2 and keys[1].name != "results"):
            raise NotFound(f"compute takes /results=<slot> after it; {_SERVED}")
        wanted = keys[1].value if len(keys) == 2 and keys[1].value is not None else None
        wanted = wanted or keys[0].value or path.param("slot")
        if wanted is None:
            raise NodeError("compute needs a slot: compute/results=<slot> or compute&slot=<n>")
        if wanted.isascii() and wanted.isdigit():
            slot = self._slot_of(pid, wanted)  # no store access: not worth a thread
        else:
            slot = await run_in_threadpool(self._slot_of, pid, wanted)
        result = await run_in_threadpool(self.node.cu.result_at, pid, slot)
        return JSON({"process": pid, "slot": slot, "raw": result})

    def _slot_of(self, pid: str, wanted: str) -> int:
        if wanted.isascii() and wanted.isdigit():
            if len(wanted) > 18:
                raise NodeError(f"slot {wanted[:30]}… is out of range")
            return int(wanted)
        if is_id(wanted):
            return self.node.cu.nonce_of(pid, wanted)
        raise NodeError(f"a slot is a number or a message id, got {wanted[:80]!r}")

    def _current_slot(self, pid: str) -> int:
        row = self.node.store.process(pid)
        if row is None:
            raise NotFound(f"process {pid} is not on this node")
        return row.head.nonce

    def _now(self, pid: str) -> dict[str, Any]:
        """The latest state's results: everything scheduled evaluated, crons up to now."""
        slot = self._current_slot(pid)
        self.node.cu.tick(pid)
        last = self.node.store.last_result(pid)
        if last is None:
            raise NotFound(f"process {pid} has no evaluation yet")
        return {"process": pid, "slot": slot, "raw": last.result}

    async def _dry_run(self, path: HbPath, pid: str, body: bytes) -> Response:
        """`as=execution/compute&Tag=Value…` with the message as a signed body: evaluated on
        the latest state (or, with the aos extension `?to-nonce=N`, the state after slot N)
        and never stored. The signer is the message's Owner and From."""
        if not body:
            raise NodeError("a dry-run needs the message as a signed ANS-104 item body")
        item = parse_signed(body)
        try:
            data = item.data.decode("utf-8")
        except UnicodeDecodeError:
            raise NodeError(f"item {item.id}: dry-run data must be UTF-8 text") from None
        owner = item.eth_address or item.owner_address
        tags = [
            {"name": name, "value": value}
            for name, value in path.keys[-1].params
            if name not in ("From", "Owner", "From-Process")  # the signer is who it is
        ]
        tags += [{"name": n, "value": v} for n, v in ao_tags("Message")]
        message = {
            "Id": item.id,
            "Owner": owner,
            "From": owner,
            "Target": pid,
            "Data": data,
            "Anchor": "0",
            "Tags": tags,
        }
        to_nonce = path.param("to-nonce")
        nonce: int | None = None
        if to_nonce is not None:
            if not (to_nonce.isascii() and to_nonce.isdigit() and len(to_nonce) <= 18):
                raise NodeError(f"to-nonce must be a slot number, got {to_nonce[:80]!r}")
            nonce = int(to_nonce)
        else:
            await run_in_threadpool(self._current_slot, pid)  # 404 for an unknown process
        # Bounded as /cu/dry-run is (aos.node.http.bounds): anyone may ask for one.
        if self.replica is not None:
            with self.gate.admitted(pid, "dry-run"):
                result = await self.replica.run(pid, message, nonce)
        elif nonce is not None:
            result = await self.gate.run(
                pid, "dry-run", partial(self.node.cu.dry_run_at, pid, message, nonce)
            )
        else:
            result = await self.gate.run(
                pid, "dry-run", partial(self.node.cu.dry_run, pid, message)
            )
        return JSON({"process": pid, "raw": result})


def _signed_or_none(body: bytes) -> DataItem | None:
    """A read's optional body: absent, or a signed item whose signature verifies."""
    return parse_signed(body) if body else None


def _check_content_type(scope: Scope) -> None:
    content_type = codec = ""
    for name, value in scope["headers"]:
        if name == b"content-type":
            content_type = value.decode("latin-1").split(";", 1)[0].strip().lower()
        elif name == b"codec-device":
            codec = value.decode("latin-1").strip().lower()
    if codec and codec != "ans104@1.0":
        raise NodeError(
            f"codec-device {codec!r} is not served; send ANS-104 (codec-device: ans104@1.0)",
            status=415,
        )
    if content_type and content_type not in _ANS104_TYPES and codec != "ans104@1.0":
        raise NodeError(
            f"Content-Type {content_type!r} is not served; the body must be a signed ANS-104 "
            "item (Content-Type: application/ans104)",
            status=415,
        )


def _cron_target(cron_path: str | None) -> str:
    """The process of a `cron-path`, which must be `/<pid>[~process@1.0]/now`."""
    if not cron_path:
        raise NodeError("~cron@1.0/every needs cron-path=/<process id>~process@1.0/now")
    parsed = hbpath.parse(cron_path)
    if (
        parsed.pid is None
        or parsed.device not in (None, PROCESS_DEVICE)
        or parsed.names not in (("now",), ("now", "results"))
    ):
        raise NodeError(
            f"cron-path {cron_path[:120]!r} is not served; this node runs crons of "
            "/<process id>~process@1.0/now only"
        )
    return parsed.pid


def _reason(answer: bytes) -> str:
    try:
        body = json.loads(answer)
    except ValueError:
        return answer.decode("utf-8", errors="replace")[:300]
    return str(body.get("error", body)) if isinstance(body, dict) else str(body)
