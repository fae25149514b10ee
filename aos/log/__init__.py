"""The log model: what a process's log holds, and the fold that turns it into results.

"The log is the truth" (docs/architecture.md): everything here is shared by the node, which
writes and evaluates the log, and by `aos verify`, which checks and replays it without the
node. It depends on the byte layer (aos.dataitem) and the leaves, and on aos.runtime only
through the runtime factory.

    records     Item, Entry, Head, results: the one way to build each, from a store row,
                a data item or a signed assignment
    schema      the SQLite schema and the column names every reader uses
    reader      a data directory's log read-only: the SQL of `aos verify`, `replay`, `export`
    hashchain   the docs/protocol.md §3.2.6 hash chain of a schedule
    resulthash  result hashes and their per-process chain
    runtimes    the runtime interface and the factory, with the node's limits
    evaluator   the fold of a process over its log; read-only messages
    keeper      rollback on Error: a checkpoint inside the VM, the messages since it
    snapshots   stored snapshots sealed with the data directory's key, and checked
    outbox      the messenger's rules for the items it pushes from a result's outbox
"""
