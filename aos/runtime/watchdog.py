"""The watchdog's second hand: it makes a Lua state run its hook now, from another thread.

The watchdog itself is in lua/sandbox.lua: the count hook, every 1,000 instructions, stops
a message that has run longer than its wall-clock limit. One VM instruction can take long
(`..`, `==` or `<` on a 200 MiB string, a 2,000-table __index chain), and then a thousand
of them pass before the hook looks at the clock again. So while a message runs, its
state is registered here; one daemon thread wakes twice a second and, for a message past
its deadline, sets a *line* hook on the state with lua_sethook, which Lua allows from
another thread (lua.c does it from a signal handler). The sandbox never sets a line hook
itself, so the next line the state starts is where its hook stops the message. The poke
can only reach a message that is over its time already, and such a message is quarantined
whatever it does next (aos.errors.MessageStopped), so a replay never depends on it.

The threads poked are the state's main thread and the coroutine the message's handlers
run in (the sandbox makes it beforehand and keeps it alive until the next message, so its
address is valid whenever it is poked); any other coroutine is stopped by its own count
hook. If lupa's extension does not export the Lua C API, nothing is poked and the count
hook alone keeps the watchdog.
"""

from __future__ import annotations

import ctypes
import threading
import time
from typing import Any

_LUA_MASKLINE = 1 << 2
_PERIOD = 0.5  # seconds between two looks at the running messages


def _load_api(path: str) -> tuple[Any, Any] | None:
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


class Watchdog:
    """Running messages by key: (lua_State addresses, deadline on the monotonic clock)."""

    def __init__(self, library_path: str) -> None:
        self._api = _load_api(library_path)
        self._lock = threading.Lock()
        self._running: dict[int, tuple[tuple[int, ...], float]] = {}
        self._thread: threading.Thread | None = None

    def start(self, key: int, states: tuple[int, ...], seconds: float) -> None:
        """A message starts on the lua_States at `states`; it may run `seconds`."""
        if self._api is None:
            return
        with self._lock:
            self._running[key] = (states, time.monotonic() + seconds)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._watch, name="aos-lua-watchdog", daemon=True
                )
                self._thread.start()

    def finish(self, key: int) -> None:
        """The message ended: from here on it is never poked (the lock orders the two)."""
        if self._api is None:
            return
        with self._lock:
            self._running.pop(key, None)

    def _watch(self) -> None:
        while True:
            time.sleep(_PERIOD)
            now = time.monotonic()
            with self._lock:
                for states, deadline in self._running.values():
                    if now >= deadline:
                        for state in states:
                            if state:
                                self._poke(state)

    def _poke(self, state: int) -> None:
        assert self._api is not None
        gethook, sethook = self._api
        hook = gethook(state)
        if hook:  # the sandbox's hook is set while a message runs
            sethook(state, hook, _LUA_MASKLINE, 0)
