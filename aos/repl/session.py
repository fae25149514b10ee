"""The prompt_toolkit side of the shell: key bindings, Lua highlighting, history, completion.

Enter submits a finished Lua chunk and continues an unfinished one (aos.repl.chunk);
Esc-Enter always submits; Ctrl-C clears a typed line, and on an empty line asks the loop to
exit (the loop exits on a second one soon after). A bracketed paste that holds a line break
and leaves a finished chunk is submitted as it is, as one chunk; text that arrives in a
burst (a paste without bracketed paste, type-ahead) is typed line by line at once
(aos.repl.paste), the first finished chunk submitted and the others handed to the loop.
Input and output are injectable, so tests drive a real session with `create_pipe_input()`
and `DummyOutput()`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.application.current import get_app
from prompt_toolkit.completion import Completer, ThreadedCompleter
from prompt_toolkit.document import Document
from prompt_toolkit.filters import Condition
from prompt_toolkit.formatted_text import AnyFormattedText
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.input import Input, create_input
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent, merge_key_bindings
from prompt_toolkit.keys import Keys
from prompt_toolkit.lexers import PygmentsLexer
from prompt_toolkit.output import Output

from aos.repl.chunk import is_complete
from aos.repl.commands import LineBack, is_command
from aos.repl.paste import Burst, BurstInput, split_chunks

# What the session hands the loop from a burst: the chunks after the one it submitted, and
# the unfinished text after them (the start of the next prompt).
OnBurst = Callable[[list[str], str], None]


def _submit_now(text: str) -> bool:
    if is_command(text.strip()):
        return True  # dot-commands are one line
    # two empty lines in a row end any chunk, so nobody is trapped in a continuation
    return text.endswith("\n\n") or is_complete(text)


def _always(text: str) -> bool:
    return True


def _paste_submits(text: str) -> bool:
    stripped = text.strip()
    return bool(stripped) and (is_command(stripped) or is_complete(text))


def key_bindings(
    raw: Callable[[], bool],
    on_burst: OnBurst | None = None,
    on_clear: Callable[[], None] | None = None,
) -> KeyBindings:
    kb = KeyBindings()

    @kb.add("enter")
    def _enter(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        if buffer.complete_state is not None and buffer.complete_state.current_completion:
            buffer.apply_completion(buffer.complete_state.current_completion)
            return
        if raw() or _submit_now(buffer.text):
            buffer.validate_and_handle()
        else:
            buffer.insert_text("\n")

    @kb.add("escape", "enter")
    def _submit(event: KeyPressEvent) -> None:
        event.current_buffer.validate_and_handle()

    @kb.add(Keys.BracketedPaste)
    def _paste(event: KeyPressEvent) -> None:
        press = event.key_sequence[0]
        buffer = event.current_buffer
        if isinstance(press, Burst) and on_burst is not None:
            before, after = buffer.document.text_before_cursor, buffer.document.text_after_cursor
            chunks, rest = split_chunks(before, press.data, _always if raw() else _submit_now)
            if not chunks:
                buffer.document = Document(rest + after, len(rest))
                return
            on_burst(chunks[1:], rest + after)
            buffer.document = Document(chunks[0], len(chunks[0]))
            buffer.validate_and_handle()
            return
        data = press.data.replace("\r\n", "\n").replace("\r", "\n")
        buffer.insert_text(data)
        if not raw() and "\n" in data and _paste_submits(buffer.text):
            # the trailing line break of a copied block must not become an empty line
            text = buffer.text.rstrip()
            buffer.document = Document(text, len(text))
            buffer.validate_and_handle()

    @kb.add("c-c")
    def _interrupt(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        if buffer.text:
            buffer.reset()
            if on_clear is not None:
                on_clear()
        else:
            event.app.exit(exception=KeyboardInterrupt())

    return kb


def make_session(
    *,
    history_path: Path | None,
    completer: Completer | None,
    raw: Callable[[], bool],
    color: bool,
    on_burst: OnBurst | None = None,
    on_clear: Callable[[], None] | None = None,
    input: Input | None = None,
    output: Output | None = None,
) -> PromptSession[str]:
    history: History = FileHistory(str(history_path)) if history_path else InMemoryHistory()

    def continuation(width: int, line_number: int, wrap_count: int) -> AnyFormattedText:
        return "." * max(0, width - 1) + " "

    return PromptSession(
        history=history,
        lexer=PygmentsLexer.from_filename("chunk.lua") if color else None,
        completer=ThreadedCompleter(completer) if completer else None,
        complete_while_typing=False,
        multiline=Condition(lambda: not raw()),
        key_bindings=key_bindings(raw, on_burst, on_clear),
        prompt_continuation=continuation,
        enable_history_search=False,
        input=BurstInput(input if input is not None else create_input()),
        output=output,
        color_depth=None,
        erase_when_done=False,
        include_default_pygments_style=color,
    )


def line_session(main: PromptSession[str]) -> PromptSession[str]:
    """The prompt of `.editor`'s lines, on `main`'s terminal: one line (Enter always
    submits), a history of its own (the whole chunk goes into `main`'s once submitted),
    and Backspace on an empty line raises `LineBack`, so the editor can hand back the
    previous line (as aos)."""
    back = KeyBindings()

    @back.add("backspace", filter=Condition(lambda: not get_app().current_buffer.text))
    def _back(event: KeyPressEvent) -> None:
        event.app.exit(exception=LineBack())

    return PromptSession(
        input=main.input,
        output=main.output,
        history=InMemoryHistory(),
        lexer=main.lexer,
        key_bindings=merge_key_bindings([main.key_bindings or KeyBindings(), back]),
        multiline=False,
    )
