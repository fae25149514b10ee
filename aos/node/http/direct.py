"""The two requests of every line typed in the shell, answered on the caller's thread.

The embedded node (aos.node.http.embedded) runs its ASGI app on an event loop in a thread
of its own. A request there is a hand-off to that thread and back, and the result route
hands off once more, to a worker thread, because it may wait for an evaluation. Each
hand-off contends for the GIL with the evaluating thread. Posting a message and reading
its result took 7.6 ms that way, against 2.9 ms when the same calls run on the caller's
thread.

So `answer` takes `POST /mu` (no query) and `GET /cu/result/{id}?process-id=…` and runs
them on the caller's thread. It answers only their successes. Anything else (a bad item,
an unknown process, a busy node, a bug) is left to the app, which answers it as it answers
every client. Admitting is idempotent, and reading a result is read-only, so the second
try changes nothing.
"""

from __future__ import annotations

import httpx

from aos.ids import is_id
from aos.node.http.web import accepted_body, compact_json
from aos.node.units.node import Node
from aos.protocol import CU_PATH, MU_PATH

_POST_PATHS = frozenset({MU_PATH, MU_PATH + "/"})
_RESULT_PREFIX = CU_PATH + "/result/"

Answer = tuple[int, bytes]


def answer(node: Node, request: httpx.Request) -> Answer | None:
    """(200/202, JSON body) of one of the two hot requests when it succeeds, else None."""
    url = request.url
    path = url.path
    if request.method == "POST" and path in _POST_PATHS and not url.query:
        return _post(node, request.read())
    if request.method == "GET" and path.startswith(_RESULT_PREFIX):
        some_id = path[len(_RESULT_PREFIX) :]
        params = url.params.multi_items()  # a repeated key: the app takes the last one
        pid = params[0][1] if len(params) == 1 and params[0][0] == "process-id" else ""
        if is_id(some_id) and is_id(pid):
            return _result(node, pid, some_id)
    return None


def _post(node: Node, body: bytes) -> Answer | None:
    if not body or len(body) > node.settings.max_body:
        return None
    try:
        accepted = node.mu.admit(node.mu.check(body), body)
    except Exception:
        return None  # answered by the app (aos.node.http.mu.fast_post)
    return 202, accepted_body(accepted.item.id)


def _result(node: Node, pid: str, some_id: str) -> Answer | None:
    try:
        return 200, compact_json(node.cu.result(pid, some_id))
    except Exception:
        return None  # answered by the app (aos.node.http.cu.result)
