"""The local ao node: messenger, scheduler, compute unit and gateway over one SQLite log.

What runs where (docs/architecture.md has the picture):

    units   the four ao units and the crank, as Python objects over one store; they run
            in every mode: the embedded shell, a single-process `aos serve`, and each
            process of a multi-process `aos serve`
    store   the SQLite file: connections, the write transaction, upgrades, checkpoints
    http    the ao HTTP protocol over the units (an ASGI app); the embedded shell calls it
            through an in-process transport, `aos serve` through uvicorn
    serve   only in a multi-process `aos serve`: the supervisor that writes, the worker
            factory, the sequencer between them, the evaluating child, the lifeline

What a record of the log is, and how a log is evaluated, is not the node's: that is
aos.log, shared with `aos verify`, which never imports this package. This module is the
package's face and imports nothing, so that importing a sub-package stays cheap.
"""
