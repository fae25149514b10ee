"""The exception tree of aos. Every error a user can meet is one of these.

    AosError                      base; str(err) is a one-line, user-facing sentence
    ├── WalletError               a wallet file is missing, unreadable or not an RSA JWK
    ├── DataItemError             ANS-104 bytes are malformed (field, byte offset, expectation)
    ├── ClientError               talking to an ao unit failed
    │   ├── NodeUnreachable       no connection (carries the URL)
    │   └── NodeRejected          the unit answered 4xx/5xx (carries status and body)
    ├── ProcessError              the Lua process returned an Error
    ├── MessageStopped            the watchdog stopped a message (wall clock, not counted)
    ├── SnapshotRefused           a process state cannot be snapshotted at this point
    ├── NodeError                 the local node refused a request (carries an HTTP status)
    │   ├── NotFound              a process, message or page does not exist (404)
    │   └── Busy                  the node cannot take this now; retry after a moment (503)
    ├── StoreError                the SQLite log is unreadable or inconsistent
    └── VerifyError               a replay does not match what was stored or signed

This module imports nothing from aos, so every layer may import it.
"""

from __future__ import annotations


class AosError(Exception):
    """Base class; the message is meant to be shown to a user as is."""


class WalletError(AosError):
    """A wallet (JWK) file is missing, unreadable, or not an Arweave RSA key."""


class DataItemError(AosError, ValueError):
    """ANS-104 bytes are malformed.

    `field` names the part of the item, `offset` the byte position where the problem was
    found (or None), and the message says what was expected.
    """

    def __init__(self, message: str, *, field: str | None = None, offset: int | None = None):
        where = []
        if field is not None:
            where.append(f"field {field!r}")
        if offset is not None:
            where.append(f"at byte {offset}")
        full = f"{message} ({', '.join(where)})" if where else message
        super().__init__(full)
        self.field = field
        self.offset = offset


class ClientError(AosError):
    """A request to an ao unit (MU, SU, CU, gateway) failed."""

    def __init__(self, message: str, *, url: str | None = None):
        super().__init__(message)
        self.url = url


class NodeUnreachable(ClientError):
    """The unit could not be reached at all (connection refused, DNS, timeout)."""


class NodeRejected(ClientError):
    """The unit answered with an error status."""

    def __init__(self, message: str, *, url: str | None = None, status: int = 0, body: str = ""):
        super().__init__(message, url=url)
        self.status = status
        self.body = body


class ProcessError(AosError):
    """The Lua process answered with an Error; the text is what the process produced."""


class MessageStopped(AosError):
    """The runtime's watchdog stopped a message that ran longer than `seconds` of wall clock.

    Unlike the counted limits this depends on timing, so the state the message left behind
    is not a function of the log: whoever evaluates must drop that runtime, record the
    message as quarantined and rebuild without it (aos.log.evaluator).
    """

    def __init__(self, seconds: int):
        super().__init__(
            f"the message ran for more than {seconds} s of wall-clock time and was stopped"
        )
        self.seconds = seconds


class SnapshotRefused(AosError):
    """A process state holds what a snapshot cannot carry (a Receive that waits, a C
    iterator); the message says what. The caller keeps its older snapshot."""


class NodeError(AosError):
    """The local node refused a request; `status` is the HTTP status to answer with."""

    status = 400

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        if status is not None:
            self.status = status


class NotFound(NodeError):
    """A process, message or page that was asked for does not exist."""

    status = 404


class Busy(NodeError):
    """Too much of this kind of work is running, or it is not ready yet: 503, and the
    answer says `Retry-After: retry_after` (seconds)."""

    status = 503
    retry_after = 1


class StoreError(AosError):
    """The SQLite log could not be read or written, or is inconsistent."""


class VerifyError(AosError):
    """A replay, a signature or a hash chain does not match what was stored."""
