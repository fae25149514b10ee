"""`.replay NONCE|ID [EXPR]`: evaluate Lua against the process as it was after one message.

The message is named by its nonce (the Nonce column of `.inbox`) or by its id (what `.trace`
shows). The compute unit replays the log up to it on a throw-away runtime and answers EXPR
as a read-only Eval (`POST /dry-run?to-nonce=N`, or `?to=ID` as the reference CU), so this
works against any aos node, embedded or `aos serve`, and writes nothing. Without EXPR a
short state summary is shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from aos.client import Result
from aos.errors import AosError
from aos.ids import is_id
from aos.render import error_renderable, lines_locator
from aos.repl.connect import check_id, looks_like_id

if TYPE_CHECKING:
    from aos.repl.loop import Repl

USAGE = ".replay NONCE|MESSAGE_ID [EXPR], e.g. .replay 3 return Balances"

# What a process looks like at a glance: the Inbox size and the handler names. Guarded,
# because a process may have replaced or removed Inbox and Handlers.
SUMMARY = """local names = {}
if type(Handlers) == "table" and type(Handlers.list) == "table" then
  for _, h in ipairs(Handlers.list) do names[#names + 1] = tostring(h.name) end
end
local inbox = type(Inbox) == "table" and #Inbox or 0
return "Inbox: " .. inbox .. " message(s); Handlers (" .. #names .. "): "
  .. (#names > 0 and table.concat(names, ", ") or "none")"""


def parse(arg: str) -> tuple[int | str, str]:
    """(nonce or message id, Lua code) from the rest of the line; AosError naming the bad
    part."""
    word, _, rest = arg.strip().partition(" ")
    if not word:
        raise AosError(f".replay needs a nonce or a message id: {USAGE}")
    code = rest.strip() or SUMMARY
    if word.isdigit():
        return int(word), code
    if is_id(word) or looks_like_id(word):
        return check_id(word, "message id"), code
    raise AosError(
        f".replay: {word!r} is neither a nonce (a whole number 0 or more, the Nonce of .inbox) "
        f"nor a message id (what .trace shows) ({USAGE})"
    )


def replay(repl: Repl, arg: str) -> Result | None:
    """Run `.replay` in `repl`: show the result like any Eval, then a note of what it was."""
    point, code = parse(arg)
    nonce = point if isinstance(point, int) else None
    message = point if isinstance(point, str) else None
    label = f"nonce {nonce}" if message is None else f"message {message}"

    def work() -> Result:
        return repl.client.dry_eval(repl.process, code, to_nonce=nonce, to_message=message)

    result = repl.wait(f"[Replaying to {label}...]", work)
    if result is None:
        return None
    # Printed through repl.print (its lock keeps live-feed lines out of the middle); the
    # prompt of an old state is not adopted, the live process has moved on.
    if result.data:
        repl.print(Text.from_ansi(result.data))
    if result.error is not None:
        repl.print(error_renderable(result.error, lines_locator(code)))
    repl.info(f"(state after {label}; nothing was written)")
    return result
