"""The node's SQLite log on disk: connections, the tables' reads and writes, upgrades, checkpoints.

Runs in every mode: inside the embedded shell, in a single-process `aos serve`, and in
each process of a multi-process `aos serve` (the supervisor writes scheduled items, the
evaluating child writes results, the HTTP workers read). What a row means (its record
types, its column names) is the log model's, in aos.log; this package only stores it.

    store         Store: one data directory's database, thread-safe, shared by OS processes
    access        the typed protocol the table modules reach the database through
    items         items by id and their GraphQL index, written late in batches
    schedule      a process's slots by nonce, time or id, alone or with their items
    processes     a process's head, the crank's lists of processes, the monitors
    results       storing results and reading them by nonce, position or page
    pushes        results whose outbox is not delivered yet, and the push claims
    verdicts      the results the node decided, and the deaths that quarantine a message
    snapshots     stored snapshots of process states by nonce
    tx            Tx: the statements of one BEGIN IMMEDIATE write transaction
    migrate       bringing an older database to this build's schema, in place
    integrity     refusing a damaged or lost database file before it is opened
    checkpointer  WAL checkpoints on their own thread (multi-process `aos serve`)
"""

from __future__ import annotations

from aos.node.store.store import Store
from aos.node.store.tx import Tx

__all__ = ["Store", "Tx"]
