"""`.replay NONCE [EXPR]`: evaluate Lua against the process as it was after message NONCE.

The compute unit replays the log up to NONCE on a throw-away runtime and answers EXPR as a
read-only Eval (`POST /dry-run?to-nonce=N`), so this works against any aos node, embedded
or `aos serve`, and writes nothing. Without EXPR a short state summary is shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from aos.client import Result
from aos.errors import AosError
from aos.render import error_renderable, lines_locator

if TYPE_CHECKING:
    from aos.repl.loop import Repl

USAGE = ".replay NONCE [EXPR], e.g. .replay 3 return Balances"

# What a process looks like at a glance: the Inbox size and the handler names. Guarded,
# because a process may have replaced or removed Inbox and Handlers.
SUMMARY = """local names = {}
if type(Handlers) == "table" and type(Handlers.list) == "table" then
  for _, h in ipairs(Handlers.list) do names[#names + 1] = tostring(h.name) end
end
local inbox = type(Inbox) == "table" and #Inbox or 0
return "Inbox: " .. inbox .. " message(s); Handlers (" .. #names .. "): "
  .. (#names > 0 and table.concat(names, ", ") or "none")"""


def parse(arg: str) -> tuple[int, str]:
    """(nonce, Lua code) from the rest of the line; AosError naming the bad part."""
    word, _, rest = arg.strip().partition(" ")
    if not word:
        raise AosError(f".replay needs a nonce: {USAGE}")
    if not word.isdigit():
        raise AosError(
            f".replay: the nonce must be a whole number 0 or more, got {word!r} ({USAGE})"
        )
    return int(word), rest.strip() or SUMMARY


def replay(repl: Repl, arg: str) -> Result | None:
    """Run `.replay` in `repl`: show the result like any Eval, then a note of what it was."""
    nonce, code = parse(arg)
    result = repl.wait(
        f"[Replaying to nonce {nonce}...]",
        lambda: repl.client.dry_eval(repl.process, code, to_nonce=nonce),
    )
    if result is None:
        return None
    # Printed through repl.print (its lock keeps live-feed lines out of the middle); the
    # prompt of an old state is not adopted, the live process has moved on.
    if result.data:
        repl.print(Text.from_ansi(result.data))
    if result.error is not None:
        repl.print(error_renderable(result.error, lines_locator(code)))
    repl.info(f"(state after message {nonce}; nothing was written)")
    return result
