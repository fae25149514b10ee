"""The ao units of the node, as Python objects over one store, and what wires them.

Runs in every mode: inside the embedded shell, in a single-process `aos serve`, and in each
process of a multi-process `aos serve` (there the supervisor uses the messenger and the
scheduler to write, the evaluating child the compute unit and the crank, the HTTP workers
all of them to check items and answer reads).

    node   Node: one data directory's store, keys and units, wired together
    mu     the messenger: admits signed items, pushes every result's outbox
    su     the scheduler: nonces, timestamps, hash chain, signed assignments
    cu     the compute unit: evaluates logs in order, stores results, dry-runs
    states the compute unit's live process states: a memory budget, snapshots saved and
           restored
    crank  the one worker per data directory that evaluates eagerly and pushes
    keys   the node wallet and the scheduler key, created once per directory
"""
