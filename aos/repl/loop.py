"""`Repl`: read a chunk, run a dot-command or evaluate it, show the result, repeat.

Nothing escapes the loop but an explicit way out (`.exit`, Ctrl-D, Ctrl-C twice), and every
way out goes through `run()`'s `finally`, which stops the live feed (history is written as
each line is accepted). Waiting for a result happens on a worker thread, so Ctrl-C cancels
the wait without tearing an HTTP request (or the embedded node) apart mid-way.
"""

from __future__ import annotations

import contextlib
import queue
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from typing import TypeVar, cast

from prompt_toolkit import PromptSession
from prompt_toolkit.application.current import get_app
from prompt_toolkit.filters import Condition
from prompt_toolkit.formatted_text import ANSI, AnyFormattedText
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.input import Input
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent, merge_key_bindings
from prompt_toolkit.output import Output
from prompt_toolkit.patch_stdout import patch_stdout
from rich.console import Console, RenderableType
from rich.text import Text

from aos.client import AoClient, Result
from aos.errors import AosError
from aos.render import Locate, lines_locator, show_result, strip_ansi
from aos.repl import commands
from aos.repl.completion import LuaCompleter, ProcessNames
from aos.repl.live import LiveFeed
from aos.repl.session import make_session
from aos.repl.state import ShellState

T = TypeVar("T")
DEFAULT_PROMPT = "aos> "


class Repl:
    """The interactive shell for one process.

    **Parameters:**
    * `client`, `process`: where chunks are evaluated.
    * `console`: where results go (a terminal console, or a StringIO one in tests).
    * `state`: history, cursors and pads on disk.
    * `input`, `output`: prompt_toolkit streams (pipe input and DummyOutput in tests).
    * `live`: start the live feed; `patch`: print through `patch_stdout` (real terminals).
    """

    def __init__(
        self,
        client: AoClient,
        process: str,
        *,
        console: Console,
        state: ShellState,
        prompt: str | None = None,
        name: str = "",
        color: bool = True,
        debug: bool = False,
        live: bool = True,
        patch: bool = False,
        spinner: Console | None = None,
        input: Input | None = None,
        output: Output | None = None,
    ) -> None:
        self.client = client
        self.process = process
        self.name = name
        self.console = console
        self.state = state
        self.color = color
        self.debug = debug
        self.patch = patch
        self.spinner = spinner
        self.prompt_text = prompt or DEFAULT_PROMPT
        self.dryrun = False
        self.raw_input = False
        self._line_session: PromptSession[str] | None = None
        self.last_message: str | None = None
        self.names = ProcessNames.for_process(client, process)
        self._print_lock = threading.RLock()
        self.session: PromptSession[str] = make_session(
            history_path=state.history_path(process),
            completer=LuaCompleter(self.names),
            raw=lambda: self.raw_input,
            color=color,
            input=input,
            output=output,
        )
        self.feed = LiveFeed(client, process, state, self._on_live, on_error=self.warn)
        self.live_wanted = live
        self._exit = False

    # -- output ---------------------------------------------------------------------------

    def print(self, renderable: RenderableType) -> None:
        with self._print_lock:
            self.console.print(renderable)

    def info(self, text: str) -> None:
        self.print(Text(text, style="dim"))

    def warn(self, text: str) -> None:
        self.print(Text(text, style="yellow"))

    def error(self, text: str) -> None:
        self.print(Text(f"error: {text}", style="red"))

    def adopt_prompt(self, prompt: str | None) -> None:
        if prompt:
            self.prompt_text = prompt
            app = self.session.app
            if app.is_running:
                app.invalidate()

    def prompt_message(self) -> AnyFormattedText:
        text = self.prompt_text if self.color else strip_ansi(self.prompt_text)
        if self.dryrun:
            text = ("\x1b[31m*\x1b[0m" if self.color else "*") + text
        return ANSI(text)

    def _on_live(self, result: Result) -> None:
        with self._print_lock:
            if result.data:
                self.console.print(Text.from_ansi(result.data))
            self.adopt_prompt(result.prompt)

    # -- evaluation ------------------------------------------------------------------------

    def wait(self, label: str, work: Callable[[], T]) -> T | None:
        """Run `work` on a daemon thread with a spinner; Ctrl-C stops waiting (None).

        A daemon thread, not an executor: an abandoned request must not hold up the exit.
        """
        done: queue.Queue[tuple[bool, object]] = queue.Queue(maxsize=1)

        def target() -> None:
            try:
                done.put((True, work()))
            except BaseException as err:  # handed to the waiting thread, raised there
                done.put((False, err))

        threading.Thread(target=target, name="aos-wait", daemon=True).start()
        status = (
            self.spinner.status(label, spinner="dots")
            if self.spinner is not None and self.spinner.is_terminal
            else contextlib.nullcontext()
        )
        try:
            with status:
                while True:
                    try:
                        ok, value = done.get(timeout=0.05)
                        break
                    except queue.Empty:
                        continue
        except KeyboardInterrupt:
            self.warn("cancelled: stopped waiting (the message may still be evaluated)")
            return None
        if not ok:
            assert isinstance(value, BaseException)
            raise value
        return cast(T, value)

    def evaluate(self, code: str, locate: Locate | None = None) -> Result | None:
        """Evaluate `code` (as a message, or a dry-run in dry-run mode) and show the result."""
        if not code.strip():
            return None
        locate = locate or lines_locator(code)

        def work() -> Result:
            if self.dryrun:
                return self.client.dry_eval(self.process, code)
            message, result = self.client.eval(self.process, code)
            self.last_message = message
            return result

        try:
            result = self.wait("[Computing...]", work)
        except AosError as err:
            self._report(err)
            return None
        if result is None:
            return None
        with self._print_lock:
            show_result(self.console, result, locate)
            self.adopt_prompt(result.prompt)
        self.names.invalidate()
        return result

    def _report(self, err: BaseException) -> None:
        if self.debug:
            self.print(Text("".join(traceback.format_exception(err)), style="dim"))
        self.error(str(err))

    # -- the loop --------------------------------------------------------------------------

    def read(self) -> str:
        return self.session.prompt(self.prompt_message)

    def read_line(self, default: str = "") -> str:
        """One raw line for `.editor`: Enter always submits, and it is kept out of history
        (the whole chunk goes into history once it is submitted). Backspace on an empty
        line raises `LineBack`, so the editor can hand back the previous line (as aos)."""
        if self._line_session is None:
            back = KeyBindings()

            @back.add("backspace", filter=Condition(lambda: not get_app().current_buffer.text))
            def _back(event: KeyPressEvent) -> None:
                event.app.exit(exception=commands.LineBack())

            self._line_session = PromptSession(
                input=self.session.input,
                output=self.session.output,
                history=InMemoryHistory(),
                lexer=self.session.lexer,
                key_bindings=merge_key_bindings([self.session.key_bindings or KeyBindings(), back]),
                multiline=False,
            )
        self.raw_input = True
        try:
            return self._line_session.prompt("", default=default)
        finally:
            self.raw_input = False

    def handle(self, text: str) -> None:
        """One accepted input: a dot-command or a Lua chunk."""
        stripped = text.strip()
        if not stripped:
            return
        try:
            if commands.is_command(stripped):
                commands.dispatch(self, stripped)
            else:
                self.evaluate(text)
        except AosError as err:
            self._report(err)
        except Exception as err:  # a bug of ours must not end the user's session
            if self.debug:
                self.print(Text("".join(traceback.format_exception(err)), style="dim"))
            self.error(f"internal error: {type(err).__name__}: {err} (--debug shows more)")

    def request_exit(self) -> None:
        self._exit = True

    @contextlib.contextmanager
    def _output(self) -> Iterator[None]:
        if self.patch:
            with patch_stdout(raw=True):
                yield
        else:
            yield

    def run(self) -> int:
        interrupted = False
        try:
            with self._output():
                if self.live_wanted:
                    self.feed.start()
                while not self._exit:
                    try:
                        text = self.read()
                    except KeyboardInterrupt:
                        if interrupted:
                            break
                        interrupted = True
                        self.info("(Ctrl-C again, Ctrl-D or .exit to leave)")
                        continue
                    except EOFError:
                        break
                    interrupted = False
                    try:
                        self.handle(text)
                    except KeyboardInterrupt:
                        self.warn("cancelled")
        finally:
            self.close()
        return 0

    def close(self) -> None:
        self.feed.stop()
        sys.stdout.flush()
