"""`Repl`: read a chunk, run a dot-command or evaluate it, show the result, repeat.

Nothing escapes the loop but an explicit way out (`.exit`, Ctrl-D, Ctrl-C twice), and every
way out goes through `run()`'s `finally`, which stops the live feed (history is written as
each line is accepted). Waiting for a result happens on a worker thread, so Ctrl-C cancels
the wait without tearing an HTTP request (or the embedded node) apart mid-way.

Chunks that arrived together (a paste, type-ahead; aos.repl.paste) wait in `pending` and are
taken one by one, each echoed under its own prompt line before it is evaluated, so the
screen reads as if each had been typed in turn. While one is computed the next Lua chunk is
already signed and sent (it was typed, so it is going to be sent anyway, and the log keeps
them in order): signing is most of what a line costs, and it overlaps the node's work. A
typed chunk is sent the same way the moment its prompt accepts it, overlapping the prompt's
last frame (aos.repl.early). All
output is written on this thread (aos.repl.screen), in order; keys typed during an
evaluation are held, not echoed (aos.repl.terminal).
"""

from __future__ import annotations

import collections
import sys
import time
import traceback
from collections.abc import Callable
from typing import TypeVar

from prompt_toolkit import PromptSession
from prompt_toolkit.application.current import get_app
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.formatted_text import ANSI, AnyFormattedText
from prompt_toolkit.input import Input
from prompt_toolkit.output import Output
from rich.console import Console, RenderableType
from rich.text import Text

from aos.client import AoClient, Result
from aos.errors import AosError
from aos.render import (
    Locate,
    error_renderable,
    handler_error_renderable,
    lines_locator,
    strip_ansi,
)
from aos.repl import commands, utf8
from aos.repl.completion import LuaCompleter, ProcessNames
from aos.repl.earlier import EarlierChunks
from aos.repl.early import EarlySend
from aos.repl.live import HandlerError, LiveFeed
from aos.repl.more import DEFAULT_MAX_LINES, cut, describe
from aos.repl.screen import Screen
from aos.repl.session import line_session, make_session
from aos.repl.state import ShellState
from aos.repl.targets import Targets
from aos.repl.terminal import KeyHold, write_through
from aos.repl.waiting import on_worker

T = TypeVar("T")
DEFAULT_PROMPT = "aos> "
# A second Ctrl-C on an empty line leaves the shell only this soon after the first.
EXIT_WINDOW_SECONDS = 3.0


class Repl:
    """The interactive shell for one process.

    **Parameters:**
    * `client`, `process`: where chunks are evaluated.
    * `console`: where results go (a terminal console, or a StringIO one in tests).
    * `state`: history, cursors and pads on disk.
    * `input`, `output`: prompt_toolkit streams (pipe input and DummyOutput in tests).
    * `live`: start the live feed.
    * `max_lines`: the terminal lines one result may take; `.more` shows the rest (0: all).
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
        max_lines: int = DEFAULT_MAX_LINES,
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
        self.max_lines = max_lines
        self.more: tuple[str, int] | None = None  # a result's text and where its rest starts
        self.spinner = spinner
        self.prompt_text = prompt or DEFAULT_PROMPT
        self.dryrun = False
        self.raw_input = False
        self._line_session: PromptSession[str] | None = None
        self.last_message: str | None = None
        self.names = ProcessNames.for_process(client, process)
        self.screen = Screen()
        # Only the real terminal is held; a test's pipe input has nothing to echo.
        self.keys = KeyHold.for_stdin() if input is None else KeyHold(None)
        self.pending: collections.deque[str] = collections.deque()  # chunks that came together
        self.pending_rest = ""  # and the unfinished text after them
        # the next pending chunk, signed and sent while the one before it computed
        self._ahead: tuple[str, str | AosError] | None = None
        self._interrupted_at: float | None = None
        self.session: PromptSession[str] = make_session(
            history_path=state.history_path(process),
            completer=LuaCompleter(self.names),
            raw=lambda: self.raw_input,
            color=color,
            on_burst=self._queue_burst,
            on_clear=self._forget_interrupt,
            input=input,
            output=output,
        )
        self.early = EarlySend(lambda chunk: self.client.send_eval(self.process, chunk))
        self._send_on_accept()
        self.feed = LiveFeed(
            client,
            process,
            state,
            lambda result: self.screen.post(lambda: self._on_live(result)),
            on_error=lambda text: self.screen.post(lambda: self.warn(text)),
            on_failure=lambda failure: self.screen.post(lambda: self._on_failure(failure)),
        )
        self.targets = Targets(client)
        self.earlier = EarlierChunks(lambda: self.session.history.get_strings())
        self.live_wanted = live
        self._exit = False

    def _send_on_accept(self) -> None:
        """Start sending a chunk as the prompt accepts it (aos.repl.early)."""
        buffer = self.session.default_buffer
        accept = buffer.accept_handler

        def accepted(buff: Buffer) -> bool:
            if self.sends_early(buff.text):
                self.early.start(buff.text)
            return accept(buff) if accept is not None else False

        buffer.accept_handler = accepted

    def sends_early(self, chunk: str) -> bool:
        """Whether `chunk` is certain to be evaluated as a message, so it may be sent before
        its turn: Lua (not a dot-command, not empty, valid UTF-8), not in dry-run mode."""
        stripped = chunk.strip()
        return (
            bool(stripped)
            and not self.dryrun
            and not self.raw_input
            and not commands.is_command(stripped)
            and utf8.problem(chunk) is None
        )

    # -- output ---------------------------------------------------------------------------

    def print(self, renderable: RenderableType) -> None:
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

    def prompt_string(self) -> str:
        text = self.prompt_text if self.color else strip_ansi(self.prompt_text)
        if self.dryrun:
            text = ("\x1b[31m*\x1b[0m" if self.color else "*") + text
        return text

    def prompt_message(self) -> AnyFormattedText:
        return ANSI(self.prompt_string())

    def _on_live(self, result: Result) -> None:
        if result.data:
            self.console.print(Text.from_ansi(result.data))
        self.adopt_prompt(result.prompt)

    def _on_failure(self, failure: HandlerError) -> None:
        self.print(
            handler_error_renderable(
                failure.error, nonce=failure.nonce, action=failure.action, sender=failure.sender
            )
        )

    # -- evaluation ------------------------------------------------------------------------

    def wait(self, label: str, work: Callable[[], T]) -> T | None:
        """Run `work` on a worker thread (aos.repl.waiting), live lines still written;
        Ctrl-C stops waiting (None) and drops what was queued."""
        try:
            return on_worker(work, label=label, spinner=self.spinner, drain=self.screen.drain)
        except KeyboardInterrupt:
            self.warn("cancelled: stopped waiting (the message may still be evaluated)")
            self._drop_pending()
            return None

    def evaluate(self, code: str, locate: Locate | None = None) -> Result | None:
        """Evaluate `code` (as a message, or a dry-run in dry-run mode) and show the result."""
        if not code.strip():
            return None
        locate = locate or lines_locator(code)
        # Claimed here, before the worker starts: a Ctrl-C before it claims must not leave
        # the send to be forgotten and the chunk sent again.
        early = None if self.dryrun else self.early.claim(code)

        def work() -> Result:
            if self.dryrun:
                return self.client.dry_eval(self.process, code)
            ahead, self._ahead = self._ahead, None
            if early is not None:  # sent as the prompt accepted it
                message = early.message()
            elif ahead is not None and ahead[0] == code:
                if isinstance(ahead[1], AosError):
                    raise ahead[1]
                message = ahead[1]
            else:
                message = self.client.send_eval(self.process, code)
            self.last_message = message
            self._send_ahead()
            return self.client.result(message, self.process)

        try:
            result = self.wait("[Computing...]", work)
        except AosError as err:
            self._report(err)
            return None
        if result is None:
            return None
        if result.error is not None:
            locate = self.earlier.locator(code, locate, result.error)
        if not self.dryrun:
            self.earlier.remember(code)
        self.show(result, locate)
        self.adopt_prompt(result.prompt)
        self.names.invalidate()
        if result.messages and not self.dryrun:
            problems = self.wait("[Checking targets...]", lambda: self.targets.problems(result))
            for problem in problems or []:
                self.warn(problem)
        return result

    def _send_ahead(self) -> None:
        """(On the worker.) Sign and send the next pending chunk if it is Lua."""
        chunk = self.pending[0] if self.pending else ""
        if not self.sends_early(chunk):
            return
        try:
            self._ahead = (chunk, self.client.send_eval(self.process, chunk))
        except AosError as err:  # reported when that chunk's turn comes
            self._ahead = (chunk, err)

    def show(self, result: Result, locate: Locate | None = None) -> None:
        """What an evaluation produced: its output (up to `max_lines`), its error, or
        nothing at all (`x = 1` prints nothing, unlike aos, which dumps the Output table)."""
        self.more = None
        if result.data:
            self.show_text(result.data)
        if result.error is not None:
            self.print(error_renderable(result.error, locate))

    def show_text(self, text: str, start: int = 0, rows: int | None = None) -> None:
        """`text[start:]` up to `rows` terminal lines (default `max_lines`); the rest is
        kept for `.more`, and a dim line says how much it is."""
        rows = self.max_lines if rows is None else rows
        shown, rest = cut(text, rows, self.console.width, start)
        self.print(Text.from_ansi(shown))
        if rest < len(text):
            self.more = (text, rest)
            self.info(f"... {describe(text, rest)}: .more shows {rows} more, .more all the rest")
        else:
            self.more = None

    def _report(self, err: BaseException) -> None:
        if self.debug:
            self.print(Text("".join(traceback.format_exception(err)), style="dim"))
        self.error(str(err))

    # -- the loop --------------------------------------------------------------------------

    def _queue_burst(self, chunks: list[str], rest: str) -> None:
        """From the session: chunks that came together after the one it submitted."""
        self.pending.extend(chunks)
        self.pending_rest = rest

    def _drop_pending(self) -> None:
        sent = self._ahead is not None and not isinstance(self._ahead[1], AosError)
        dropped = len(self.pending) + bool(self.pending_rest.strip()) - sent
        self.pending.clear()
        self.pending_rest = ""
        self._ahead = None
        if self.early.waiting:  # cancelled between its accept and its evaluation
            self.early.forget()
            self.info("(this chunk had been sent as it was accepted, and is evaluated)")
        if dropped:
            self.info(f"({dropped} chunk(s) typed ahead or pasted were dropped)")
        if sent:
            self.info("(the chunk after this one had been sent already and is evaluated)")

    def _forget_interrupt(self) -> None:
        self._interrupted_at = None

    def _echo(self, text: str, prompt: str) -> None:
        """Show queued input as the prompt would have: the prompt, then the text. Written
        raw to the prompt's terminal (prompt_toolkit's printing costs tens of ms a line)."""
        write_through(self.session.output, prompt + text + "\n")

    def _continuation(self) -> str:
        width = len(strip_ansi(self.prompt_text)) + (1 if self.dryrun else 0)
        return "." * max(0, width - 1) + " "

    def take_pending(self) -> str:
        """The next queued chunk, echoed under its own prompt line and kept in history."""
        chunk = self.pending.popleft()
        self._echo(chunk.replace("\n", "\n" + self._continuation()), self.prompt_string())
        if chunk.strip():
            self.session.history.append_string(chunk)
        return chunk

    def read(self) -> str:
        """The next chunk from a prompt (what was typed after queued input starts it)."""
        self.screen.drain()
        default, self.pending_rest = self.pending_rest, ""
        return self.session.prompt(self.prompt_message, default=default, pre_run=self._pump)

    def _pump(self) -> None:
        get_app().create_background_task(self.screen.pump())

    def read_line(self, default: str = "") -> str:
        """One raw line for `.editor`: Enter always submits, and it is kept out of history
        (the whole chunk goes into history once it is submitted). Backspace on an empty
        line raises `LineBack`, so the editor can hand back the previous line (as aos).
        Lines that came together are taken from the queue first."""
        if self.pending:
            line, newline, more = self.pending.popleft().partition("\n")
            if newline:
                self.pending.appendleft(more)
            self._echo(line, "")
            return line
        if self.pending_rest:
            default, self.pending_rest = self.pending_rest + default, ""
        if self._line_session is None:
            self._line_session = line_session(self.session)
        self.raw_input = True
        try:
            return self._line_session.prompt("", default=default, pre_run=self._pump)
        finally:
            self.raw_input = False

    def handle(self, text: str) -> None:
        """One accepted input: a dot-command or a Lua chunk."""
        stripped = text.strip()
        if not stripped:
            return
        bad = utf8.problem(text)
        if bad is not None:
            self.error(bad)
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

    def _leave_on_interrupt(self) -> bool:
        """A Ctrl-C on an empty line: leave if it is the second soon after the first."""
        now = time.monotonic()
        if self._interrupted_at is not None and now - self._interrupted_at <= EXIT_WINDOW_SECONDS:
            return True
        self._interrupted_at = now
        self.info(f"(Ctrl-C again within {EXIT_WINDOW_SECONDS:g} s, Ctrl-D or .exit to leave)")
        return False

    def run(self) -> int:
        try:
            if self.live_wanted:
                self.feed.start()
            while not self._exit:
                try:
                    if not self._turn():
                        break
                except KeyboardInterrupt:
                    # A Ctrl-C between two prompts (a result shown, the next prompt not yet
                    # reading keys) is a SIGINT outside any wait: it cancels what is
                    # queued if anything is, and is the prompt's interrupt otherwise.
                    if self.pending or self.pending_rest.strip() or self.early.waiting:
                        self.warn("cancelled")
                        self._drop_pending()
                    elif self._leave_on_interrupt():
                        break
        finally:
            self.close()
        return 0

    def _turn(self) -> bool:
        """Run the queued chunks, or read and handle one; False when the user left."""
        if self.pending:
            # the keys stay held across the whole queue: a Ctrl-C here is a SIGINT,
            # which cancels the queue, never a prompt's interrupt
            with self.keys.hold():
                while self.pending and not self._exit:
                    self._step(self.take_pending)
            return True
        try:
            text = self.read()
        except KeyboardInterrupt:
            if self.early.waiting:  # after the chunk was accepted (and sent)
                self.warn("cancelled")
                self._drop_pending()
                return True
            return not self._leave_on_interrupt()
        except EOFError:
            return False
        self._interrupted_at = None
        # what came queued behind this chunk runs under the same hold: no moment between
        # the two where a Ctrl-C would reach the prompt instead of cancelling the queue
        with self.keys.hold():
            self._step(lambda text=text: text)  # type: ignore[misc]
            while self.pending and not self._exit:
                self._step(self.take_pending)
        return True

    def _step(self, take: Callable[[], str]) -> None:
        """Handle one chunk; Ctrl-C while at it cancels it and what was queued after it."""
        try:
            self.handle(take())
        except KeyboardInterrupt:
            self.warn("cancelled")
            self._drop_pending()

    def close(self) -> None:
        self.feed.close()
        self.screen.drain()
        sys.stdout.flush()
