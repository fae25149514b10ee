"""uvicorn's HTTP protocol (httptools) with the node's JSON errors, for `aos serve`.

Bytes that are not HTTP never reach the app: uvicorn answers them itself, and its answer
is plain text ("Invalid HTTP request received."). Every other error of the node is
`{"error": "<sentence>"}` (docs/protocol.md §3), so clients that parse error bodies as JSON
would fail on exactly the requests that need the clearest answer. This subclass keeps
uvicorn's behaviour (answer, then close the connection) and changes only the body.

It also caps the request line and headers at MAX_HEAD bytes: the httptools parser has no
limit of its own, so a client could otherwise stream headers until the worker runs out
of memory.
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from aos.node.http.web import error_body

MAX_HEAD = 64 * 1024


class HeadTooLarge(Exception):
    """Raised from a parser callback: httptools turns it into a parse error."""


class JsonErrorsProtocol(HttpToolsProtocol):
    """Pass as uvicorn's `http=`: malformed requests get a JSON 400."""

    _head = 0
    _too_large = False

    def on_message_begin(self) -> None:
        self._head = 0
        super().on_message_begin()

    def _count(self, size: int) -> None:
        self._head += size
        if self._head > MAX_HEAD:
            self._too_large = True
            raise HeadTooLarge

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def send_400_response(self, msg: str) -> None:
        if self._too_large:
            text = f"the request line and headers are over {MAX_HEAD} bytes"
        else:
            text = f"malformed HTTP request ({msg.rstrip('.')})"
        body = error_body(
            f"{text}: send an HTTP/1.1 request line, headers and a body matching its Content-Length"
        )
        head = [b"HTTP/1.1 400 Bad Request\r\n"]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [
            b"content-type: application/json\r\n",
            b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        self.transport.close()
