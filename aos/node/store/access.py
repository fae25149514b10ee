"""What the store's table modules read and write through: the typed protocol of Store.

Each of the modules beside this one (items, schedule, processes, results, pushes,
verdicts, snapshots) holds the statements of one part of the log as a mixin of Store.
They reach the database only through the three members named here, which Store supplies
(aos.node.store.store): so none of them opens a connection, holds the writer lock or
knows about the read pool.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from aos.node.store.tx import Tx


class Access(Protocol):
    """Reads on a pooled connection and the one write transaction (see Store)."""

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Every row of a read, the cursor closed at once."""
        ...

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first row of a read (None if there is none), the cursor closed at once."""
        ...

    def write(self) -> AbstractContextManager[Tx]:
        """One BEGIN IMMEDIATE write transaction, committed when the block ends."""
        ...
