"""`write_through`: echoed queued input reaches the terminal, and a Ctrl-C landing in the
write reaches the shell (prompt_toolkit's own flush swallows it in a bare `except:`)."""

from __future__ import annotations

import io

import pytest
from prompt_toolkit.data_structures import Size
from prompt_toolkit.output.vt100 import Vt100_Output

from aos.repl.terminal import write_through


class _Terminal(io.TextIOWrapper):
    """A UTF-8 text stream over bytes; `interrupt` makes its next call raise as a SIGINT
    landing there would."""

    def __init__(self) -> None:
        self.raw_bytes = io.BytesIO()
        super().__init__(self.raw_bytes, encoding="utf-8", write_through=True)
        self.interrupt = False

    def _maybe_interrupt(self) -> None:
        if self.interrupt:
            self.interrupt = False
            raise KeyboardInterrupt

    def fileno(self) -> int:
        self._maybe_interrupt()
        return super().fileno()

    def flush(self) -> None:
        self._maybe_interrupt()
        super().flush()


def _output(stream: _Terminal) -> Vt100_Output:
    return Vt100_Output(stream, lambda: Size(rows=24, columns=80))


def test_the_text_reaches_the_stream_behind_the_output() -> None:
    stream = _Terminal()
    write_through(_output(stream), "paste@aos> return 'é'\n")
    assert stream.raw_bytes.getvalue() == "paste@aos> return 'é'\n".encode()


def test_prompt_toolkit_flush_loses_an_interrupt_and_write_through_does_not() -> None:
    swallowed = _Terminal()
    out = _output(swallowed)
    out.write_raw("x\n")
    swallowed.interrupt = True  # first call made is fileno(), inside the bare except
    out.flush()  # no KeyboardInterrupt: this is the loss write_through avoids
    assert not swallowed.interrupt

    stream = _Terminal()
    stream.interrupt = True
    with pytest.raises(KeyboardInterrupt):
        write_through(_output(stream), "x\n")


def test_an_output_without_a_stream_is_written_the_usual_way() -> None:
    written: list[str] = []

    class _Plain:
        def write_raw(self, data: str) -> None:
            written.append(data)

        def flush(self) -> None:
            written.append("<flush>")

    write_through(_Plain(), "abc")  # type: ignore[arg-type]
    assert written == ["abc", "<flush>"]
