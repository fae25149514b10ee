"""Input that is not UTF-8: found before it is signed, and named in a sentence.

A terminal (or an argument, or a pipe) in another encoding delivers bytes that Python keeps
as lone surrogates; a data item cannot carry them, and encoding them later fails deep in
the client. `problem` says what is wrong, and where, while nothing has been sent yet.
"""

from __future__ import annotations


def problem(text: str, what: str = "the input") -> str | None:
    """None for text that encodes as UTF-8, else a sentence naming the first bad byte."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        try:
            byte = f"byte 0x{text[err.start].encode('utf-8', 'surrogateescape')[0]:02x}"
        except UnicodeEncodeError:
            byte = f"character U+{ord(text[err.start]):04X}"
        line = text.count("\n", 0, err.start) + 1
        column = err.start - (text.rfind("\n", 0, err.start) + 1) + 1
        return (
            f"{what} is not UTF-8 text ({byte} at line {line}, column {column}); nothing was "
            "sent: set the terminal (or the file) to UTF-8 and try again"
        )
    return None
