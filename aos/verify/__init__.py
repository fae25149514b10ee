"""Verifiable compute: anyone can check a process's log and recompute every result.

    logcheck     signatures, gap-free nonces and the hash chain of a signed log
    source       a node data directory read-only: the signed bytes, the store's columns
                 compared against them, the stored results
    resultcheck  stored result hashes and their chain, recomputed from the stored JSON
    replay       the node's own evaluator fed from the signed bytes, in a fresh runtime
    worker       `python -m aos.verify.worker`: the replay of a bundle in its own process
    protocol     the line protocol between the worker and `aos verify`
    runner       starting the worker and reading its events
    verifier     the three checks together, and the report (`aos verify`)
    bundlefile   a whole log as one ANS-104 bundle (`aos export`, `aos verify --bundle`)
    diff         stored and replayed results side by side

    segments     a data directory verified as units of work on every core, a range at a
                 time; with --snapshots the replay cut at stored snapshots, each checked
                 (docs/snapshots.md)

Nothing here imports the node: a verifier that depended on the node it checks would be
weaker than it needs to be (tests/verify/test_without_the_node.py).
"""
