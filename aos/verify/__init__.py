"""Verifiable compute: anyone can check a process's log and recompute every result.

    logcheck     signatures, gap-free nonces and the hash chain of a signed log
    source       a node data directory read-only: the signed bytes, the store's columns
                 compared against them, the stored results
    resultcheck  stored result hashes and their chain, recomputed from the stored JSON
    replay       the node's own evaluator fed from the signed bytes, in a fresh runtime
    worker       `python -m aos.verify.worker`: the replay in its own OS process
    protocol     the line protocol between the worker and `aos verify`
    runner       starting the worker and reading its events
    verifier     the three checks together, and the report (`aos verify`)
    bundlefile   a whole log as one ANS-104 bundle (`aos export`, `aos verify --bundle`)
    diff         stored and replayed results side by side

Snapshots. A persisted snapshot of a process's Lua state is not implemented, because it
cannot be made faithful: an aos process holds closures (every handler), their shared
upvalues, and suspended coroutines (`Send(...).receive()`), and Lua 5.3 offers no way to
serialise a suspended coroutine, while `string.dump` and the debug upvalue functions are
(rightly) outside the sandbox. The compute unit's only snapshot is its in-memory runtime;
tests check that results computed warm, and after a cold rebuild, match a replay from
nothing. Attaching fast therefore rests on cold replay speed (`aos bench verify`).
"""
