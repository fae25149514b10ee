"""What the evaluator folds a log through: the runtime interface, and the one factory.

The node's compute unit and `aos verify` make runtimes with `default_runtime`, so a replay
runs with the very limits the compute unit used (an instruction-limit Error must replay as
the same Error). aos.runtime is imported inside the factory, not at the top: the node's HTTP
layer then starts without loading lupa until something is evaluated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from aos.limits import DEFAULT_MEMORY, MAX_MEMORY, MIN_MEMORY, watchdog_seconds

if TYPE_CHECKING:
    from aos.log.evaluator import ProcessInfo

_MEMORY_UNITS = {"b": 1, "kb": 1024, "mb": 2**20, "gb": 2**30}


class Runtime(Protocol):
    """What the evaluator needs from aos.runtime.LuaProcess."""

    def handle(self, msg: dict[str, Any], env: dict[str, Any]) -> dict[str, Any]: ...


RuntimeFactory = Callable[["ProcessInfo"], Runtime]


def memory_limit_of(info: ProcessInfo) -> int:
    """Bytes of Lua memory for a process: its Memory-Limit tag (`512-mb`, docs/protocol.md §2.1) if
    valid, clamped to what a local node gives; the default otherwise."""
    value = next((t["value"] for t in info.tags if t["name"] == "Memory-Limit"), None)
    if value is None:
        return DEFAULT_MEMORY
    number, _, unit = value.strip().lower().partition("-")
    if not number.isdigit() or unit.rstrip("s") not in _MEMORY_UNITS:
        return DEFAULT_MEMORY
    size = int(number) * _MEMORY_UNITS[unit.rstrip("s")]
    return max(MIN_MEMORY, min(size, MAX_MEMORY))


def default_runtime(info: ProcessInfo) -> Runtime:
    """A sandboxed Lua process for `info`, with the node's limits."""
    from aos.runtime import LuaProcess

    runtime: Runtime = LuaProcess(memory_limit=memory_limit_of(info), watchdog=watchdog_seconds())
    return runtime


RuntimeRestorer = Callable[["ProcessInfo", bytes], Runtime]


def restore_runtime(info: ProcessInfo, data: bytes) -> Runtime:
    """The process of `default_runtime`, in the state of a snapshot (SnapshotRefused for
    another build's, ValueError for bytes that are not a snapshot)."""
    from aos.runtime import LuaProcess

    runtime: Runtime = LuaProcess(memory_limit=memory_limit_of(info), restore=data)
    return runtime
