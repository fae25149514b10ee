"""What replays of a process's log tell without touching the process: the lines its files
ran (coverage), and the stack of a handler error (tracebacks).

Both need a process's state at some point of its log: a new runtime replays the log up to
there, runs what is asked and is thrown away, so the process's own runtime and results never
change.
"""

from __future__ import annotations

import json
import re

from aos.runtime import LuaProcess
from aos.testing.lua_source import long_string
from aos.testing.process import HandlerError, Process
from aos.testing.values import error_message, strip_ansi

# Installed in a diagnostic replay only: every handler added from then on runs under an
# xpcall that keeps the traceback of an error escaping it (the error itself passes on
# unchanged), so the report can show the stack inside the process.
_TRACE = r"""
local traceback, resolve = debug.traceback, Handlers.generateResolver
AOS_TEST_TRACEBACKS = {}
Handlers.generateResolver = function(spec)
  local handle = resolve(spec)
  return function(msg)
    local function keep(e)
      local list = AOS_TEST_TRACEBACKS
      list[#list + 1] = { error = tostring(e), traceback = traceback("", 2) }
      return e
    end
    local result = table.pack(xpcall(handle, keep, msg))
    if not result[1] then error(result[2], 0) end
    return table.unpack(result, 2, result.n)
  end
end
"""
_TRACE_CODE = f"assert(load({long_string(_TRACE)}, '=aos-test', 't'))()"
_READ_TRACES = "return require('json').encode(AOS_TEST_TRACEBACKS or {})"


def lines_run(p: Process) -> dict[str, set[int]]:
    """The lines of `p`'s files that its log ran, dry-runs included, from replays in a
    covering runtime (never from `p.runtime`, whose results must stay a process's)."""
    if not p.chunks:
        return {}
    lines: dict[str, set[int]] = {c: set() for c in p.chunks}

    def collect(runtime: LuaProcess) -> None:
        for chunk, run in runtime.lines_run().items():
            lines[chunk] |= run
        runtime.close()

    runtime = p.new_runtime(p.chunks)
    p.replay(len(p.log), runtime)
    collect(runtime)
    for i, event in enumerate(p.log):
        if event[0] == "dryrun":
            runtime = p.new_runtime(p.chunks)
            ev = p.replay(i, runtime)
            ev.dry_run(ev.read_only_message(event[1]))
            collect(runtime)
    return lines


def handler_traceback(err: HandlerError) -> list[str]:
    """The frames of the user's code on the stack when `err` was raised (innermost
    first), from a replay that keeps tracebacks; [] when none is known."""
    p = err.process
    runtime = p.new_runtime()
    try:
        ev = p.replay(err.event + 1, runtime, after_spawn=_TRACE_CODE, keep_last=True)
        out = runtime.handle(p.injected_eval(ev, _READ_TRACES), ev.env).get("Output")
        text = strip_ansi(str(out.get("data", "") if isinstance(out, dict) else ""))
        kept = json.loads(text) if text else []
    except (ValueError, TypeError):
        return []
    finally:
        runtime.close()
    message = error_message(err.error)
    for entry in reversed(kept if isinstance(kept, list) else []):
        if isinstance(entry, dict) and message.endswith(str(entry.get("error", ""))):
            return _user_frames(str(entry.get("traceback", "")))
    return []


_FRAME = re.compile(r"^\s*(.+?):(\d+): in (.*)$")


def _user_frames(traceback: str) -> list[str]:
    """Frames of a Lua traceback in the user's code (`path:line: in …`, or an Eval's
    `[string "aos"]`), not in the runtime's chunks (`[string ".handlers"]`, the sandbox's
    `[string "<python>"]`), C, or the tracer itself."""
    frames = []
    for line in traceback.splitlines():
        m = _FRAME.match(line)
        if m is None:
            continue
        where = m.group(1)
        if where in ("[C]", "aos-test") or where.startswith(('[string ".', '[string "<')):
            continue
        frames.append(f"{where}:{m.group(2)}: in {m.group(3)}")
    return frames
