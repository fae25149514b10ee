"""Input that arrives faster than anyone types: pastes and type-ahead, as whole texts.

prompt_toolkit runs every key through its key bindings, about a millisecond a key; a pasted
line of 30 characters costs 30 ms before it is even sent, and a 200-line paste takes
seconds. `BurstInput` wraps the terminal's input and folds each run of plain text keys that
arrive in one read (characters, Tab, Enter) into one `Burst` key press, which the session
handles in one step: `split_chunks` applies the Enter rule line by line, the first finished
chunk is accepted and the others queue up in the shell, exactly as if each had been typed
and submitted in turn. A single key per read (typing) passes through untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager

from prompt_toolkit.input import Input
from prompt_toolkit.key_binding import KeyPress
from prompt_toolkit.keys import Keys

_ENTER = (Keys.ControlM, Keys.ControlJ)
_TEXT_KEYS = (*_ENTER, Keys.ControlI)


class Burst(KeyPress):
    """Several text keys read at once, as one key press with their text (Enter as "\\n").

    It travels as a bracketed paste (the only key prompt_toolkit delivers with arbitrary
    text); the session tells the two apart by this class and can hand the original keys
    back (`keys`) where text must be typed key by key."""

    def __init__(self, keys: Sequence[KeyPress]) -> None:
        super().__init__(Keys.BracketedPaste, "".join(_text(k) for k in keys))
        self.keys = list(keys)


def _text(key: KeyPress) -> str:
    return "\n" if key.key in _ENTER else key.data


def is_text_key(key: KeyPress) -> bool:
    if key.key in _TEXT_KEYS:
        return True
    # a character key is the character itself (Keys members are str too: rule them out)
    return (
        not isinstance(key.key, Keys)
        and len(key.data) == 1
        and key.key == key.data
        and key.data.isprintable()
    )


def fold(keys: list[KeyPress]) -> list[KeyPress]:
    """`keys` with every run of two or more text keys replaced by one `Burst`."""
    out: list[KeyPress] = []
    run: list[KeyPress] = []

    def flush() -> None:
        # a Tab that ends a run asks for completion; inside one it was pasted
        tail: list[KeyPress] = []
        while run and run[-1].key == Keys.ControlI:
            tail.insert(0, run.pop())
        if len(run) >= 2:
            out.append(Burst(run))
        else:
            out.extend(run)
        out.extend(tail)
        run.clear()

    for key in keys:
        if is_text_key(key):
            run.append(key)
        else:
            flush()
            out.append(key)
    flush()
    return out


def split_chunks(
    before: str, text: str, submit_now: Callable[[str], bool]
) -> tuple[list[str], str]:
    """What typing `text` after `before` submits: (finished chunks, text still being typed).

    Each newline in `text` is an Enter: it submits what was typed so far when `submit_now`
    says so, and continues the chunk on a new line otherwise (the session's Enter rule)."""
    lines = text.split("\n")
    current = before + lines[0]
    chunks: list[str] = []
    for line in lines[1:]:
        if submit_now(current):
            chunks.append(current)
            current = line
        else:
            current += "\n" + line
    return chunks, current


class BurstInput(Input):
    """An `Input` that folds text bursts (see `fold`); everything else is delegated."""

    def __init__(self, inner: Input) -> None:
        self.inner = inner

    def fileno(self) -> int:
        return self.inner.fileno()

    def typeahead_hash(self) -> str:
        return self.inner.typeahead_hash()

    def read_keys(self) -> list[KeyPress]:
        return fold(self.inner.read_keys())

    def flush_keys(self) -> list[KeyPress]:
        return fold(self.inner.flush_keys())

    def flush(self) -> None:
        self.inner.flush()

    @property
    def closed(self) -> bool:
        return self.inner.closed

    def raw_mode(self) -> AbstractContextManager[None]:
        return self.inner.raw_mode()

    def cooked_mode(self) -> AbstractContextManager[None]:
        return self.inner.cooked_mode()

    def attach(self, input_ready_callback: Callable[[], None]) -> AbstractContextManager[None]:
        return self.inner.attach(input_ready_callback)

    def detach(self) -> AbstractContextManager[None]:
        return self.inner.detach()

    def close(self) -> None:
        self.inner.close()
