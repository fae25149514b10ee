"""The prompt_toolkit side of the shell: key bindings, Lua highlighting, history, completion.

Enter submits a finished Lua chunk and continues an unfinished one (aos.repl.chunk);
Esc-Enter always submits; Ctrl-C clears a typed line, and on an empty line asks the loop to
exit (the loop exits on the second one in a row). Input and output are injectable, so tests
drive a real session with `create_pipe_input()` and `DummyOutput()`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import Completer, ThreadedCompleter
from prompt_toolkit.filters import Condition
from prompt_toolkit.formatted_text import AnyFormattedText
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.input import Input
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.lexers import PygmentsLexer
from prompt_toolkit.output import Output

from aos.repl.chunk import is_complete


def _submit_now(text: str) -> bool:
    stripped = text.strip()
    if len(stripped) > 1 and stripped[0] == "." and stripped[1].isalpha():
        return True  # dot-commands are one line
    # two empty lines in a row end any chunk, so nobody is trapped in a continuation
    return text.endswith("\n\n") or is_complete(text)


def key_bindings(raw: Callable[[], bool]) -> KeyBindings:
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

    @kb.add("c-c")
    def _interrupt(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        if buffer.text:
            buffer.reset()
        else:
            event.app.exit(exception=KeyboardInterrupt())

    return kb


def make_session(
    *,
    history_path: Path | None,
    completer: Completer | None,
    raw: Callable[[], bool],
    color: bool,
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
        key_bindings=key_bindings(raw),
        prompt_continuation=continuation,
        enable_history_search=False,
        input=input,
        output=output,
        color_depth=None,
        erase_when_done=False,
        include_default_pygments_style=color,
    )
