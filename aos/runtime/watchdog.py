"""The watchdog's second hand: it makes a Lua state run its hook now, from another thread.

The watchdog itself is in lua/sandbox.lua: the count hook, every 1,000 instructions, stops
a message that has run longer than its wall-clock limit. One VM instruction can take long
(`..`, `==` or `<` on a 200 MiB string, a 2,000-table __index chain), and then a thousand
of them pass before the hook looks at the clock again. So while a message runs, its
state is registered here; one daemon thread wakes twice a second and, for a message past
its time, sets a *line* hook on the state with lua_sethook, which Lua allows from
another thread (lua.c does it from a signal handler). The sandbox never sets a line hook
itself, so the next line the state starts is where its hook stops the message. The poke
can only reach a message that is over its time already, and such a message is quarantined
whatever it does next (aos.errors.MessageStopped), so a replay never depends on it.

A message whose state the watchdog has seen running under the same number for `seconds`
is poked; the threads poked are the state's main thread and the coroutine its handlers
run in (the sandbox makes it beforehand and keeps it alive until the next message, so its
address is valid whenever it is poked); any other coroutine is stopped by its own count
hook. If lupa's extension does not export the Lua C API, nothing is poked and the count
hook alone keeps the watchdog.
"""

from __future__ import annotations

import ctypes
import threading
import time
import weakref
from typing import Any

_LUA_MASKLINE = 1 << 2
_PERIOD = 0.5  # seconds between two looks at the running messages


def _load_api(path: str | None) -> tuple[Any, Any] | None:
    if path is None:
        return None
    try:
        lib = ctypes.CDLL(path)
        gethook, sethook = lib.lua_gethook, lib.lua_sethook
    except (OSError, AttributeError):
        return None
    gethook.restype = ctypes.c_void_p
    gethook.argtypes = [ctypes.c_void_p]
    sethook.restype = None
    sethook.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
    return gethook, sethook


def state_address(text: str) -> int:
    """The lua_State address in tostring's "thread: 0x55…" (0 if it is not there)."""
    _, _, hex_part = str(text).partition("0x")
    try:
        return int(hex_part, 16)
    except ValueError:
        return 0


class Watch:
    """What one Lua state runs now: `slot` is (message number, its lua_State texts), or None
    between messages.

    The evaluating thread sets the slot before a message and clears it after, and then,
    only if the watchdog is in a round (`busy`), waits for the round to end (`lock`). The
    watchdog sets `busy` (holding `lock`) before it reads any slot, and pokes only states it
    read from a slot. Under the GIL these steps are seen in order, so a poke reaches either
    the message it was read for or no message (between two messages, where the next one's
    start replaces the hook anyway), and a message never waits unless the watchdog is
    poking at that very moment."""

    __slots__ = ("slot", "__weakref__")

    def __init__(self) -> None:
        self.slot: tuple[int, tuple[str, ...]] | None = None


class Watchdog:
    """One thread watching Watches: a message seen running under the same number for
    `seconds` (it notes when it first sees one, so between `seconds` and `seconds` + 0.5 s)
    is poked."""

    def __init__(self, library_path: str | None, seconds: float) -> None:
        """`library_path`: lupa's extension, which exports the Lua C API (None: a watchdog
        that never pokes)."""
        self._api = _load_api(library_path)
        self.seconds = seconds
        self.lock = threading.Lock()
        self.busy = False
        self._watches: weakref.WeakSet[Watch] = weakref.WeakSet()
        self._seen: dict[int, tuple[int, float]] = {}
        if self._api is not None:
            threading.Thread(target=self._watch, name="aos-lua-watchdog", daemon=True).start()

    def watch(self) -> Watch:
        """A Watch for one more state (dropped when the caller drops it)."""
        watch = Watch()
        with self.lock:
            self._watches.add(watch)
        return watch

    def _watch(self) -> None:
        while True:
            time.sleep(_PERIOD)
            now = time.monotonic()
            with self.lock:
                self.busy = True
                seen = {}
                for watch in list(self._watches):
                    slot = watch.slot
                    if slot is None:
                        continue
                    first = self._seen.get(id(watch))
                    started = first[1] if first is not None and first[0] == slot[0] else now
                    seen[id(watch)] = (slot[0], started)
                    if now - started >= self.seconds:
                        for state in slot[1]:
                            self._poke(state_address(state))
                self._seen = seen
                self.busy = False

    def _poke(self, state: int) -> None:
        assert self._api is not None
        if not state:
            return
        gethook, sethook = self._api
        hook = gethook(state)
        if hook:  # the sandbox's hook is set while a message runs
            sethook(state, hook, _LUA_MASKLINE, 0)
