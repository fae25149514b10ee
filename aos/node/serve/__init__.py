"""The process topology of a multi-process `aos serve` (the default; not --single-process).

Runs only there. The supervisor process writes every admitted item and checkpoints the
WAL; one child evaluates and pushes outboxes; `--workers N` children speak HTTP, parse and
verify, and hand items to the supervisor over a Unix socket.

    supervisor     starts and stops the others around uvicorn's process supervisor
    worker         the uvicorn factory of an HTTP worker
    sequencer      the Unix-socket hand-off from the workers to the one writer
    crank_process  the evaluating child
    lifeline       every child ends when the supervisor is gone
"""
