"""Malformed requests against a real `aos serve`: never a 500, never a hang, nothing stored.

Issue 12, points 8 and 10. A generator (hypothesis) sends hundreds of requests to every route
with what a careless or hostile client sends: numbers beyond 64 bits in cursors and query
parameters, JSON nested 100,000 deep, NaN, integers of thousands of digits, bodies that are
no data item, GraphQL documents too deep or too wide. Then the cases that need a raw socket:
bytes that are not HTTP, a stalled body (dropped after the body timeout), an aborted body
(no traceback in the log), headers without end.
"""

from __future__ import annotations

import base64
import json
import socket
import sqlite3
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aos.wallet import Ed25519Signer
from tests.support.ao import Ao
from tests.support.serving import Served, serving

pytestmark = pytest.mark.e2e

BODY_TIMEOUT = 2.0
TABLES = ("items", "processes", "schedule", "results", "claims", "monitors")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data = tmp_path_factory.mktemp("malformed") / "node"
    with serving(data, args=["--body-timeout", str(BODY_TIMEOUT)]) as server:
        yield server


OWNER = Ed25519Signer.generate()


@pytest.fixture(scope="module")
def pid(served: Served) -> str:
    with httpx.Client(base_url=served.url, timeout=30) as http:
        ao = Ao(http, OWNER)
        process = ao.spawn()
        assert ao.value(process, "return 1 + 1") == "2"
        return process


def counts(served: Served) -> dict[str, int]:
    assert served.data_dir is not None
    conn = sqlite3.connect(f"file:{served.data_dir / 'node.sqlite3'}?mode=ro", uri=True)
    try:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        conn.close()


def answered_well(r: httpx.Response, what: Any) -> None:
    assert r.status_code < 500, (what, r.status_code, r.text[:300])
    if r.status_code >= 400 and r.request.method != "HEAD":
        assert r.headers["content-type"].startswith("application/json"), (what, r.text[:200])
        body = r.json()
        assert isinstance(body.get("error", body.get("errors")), (str, list)), (what, body)


def _cursor(fields: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(fields).encode()).decode()


DEEP_LIST = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
HUGE = [
    "9" * 40,
    "-" + "9" * 40,
    "1" * 5000,
    "1e400",
    "-1e400",
    "NaN",
    "Infinity",
    "\u00b2",
    "\u0661\u0662",
    " 5",
    "+5",
    "0x10",
    "1.5",
    "",
    "-1",
    "-2",
    "18446744073709551616",
]
JSON_NUMBER = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=False),
    st.sampled_from(HUGE),
)
CURSOR = st.builds(
    _cursor,
    st.fixed_dictionaries(
        {"timestamp": JSON_NUMBER, "ordinate": JSON_NUMBER},
        optional={"cron": st.text(max_size=5), "sort": st.sampled_from(["ASC", "DESC", "x"])},
    ),
)
NUMBER_TEXT = st.one_of(st.integers(-(10**30), 10**30).map(str), st.sampled_from(HUGE))
ID = st.sampled_from(["P", "A" * 43, "short", "é" * 43, "x" * 300, "A" * 42 + "=", "..", "%00"])
QUERY_NAMES = [
    "process-id",
    "from",
    "to",
    "limit",
    "sort",
    "from-nonce",
    "to-nonce",
    "assign",
    "show-anchor",
    "base-layer",
    "exclude",
    "no-busy",
    "x",
]
QUERY = st.dictionaries(
    st.sampled_from(QUERY_NAMES),
    st.one_of(NUMBER_TEXT, ID, CURSOR, st.text(max_size=30)),
    max_size=4,
)
ROUTES = [
    ("POST", "/mu"),
    ("POST", "/mu/"),
    ("POST", "/mu/monitor/{id}"),
    ("DELETE", "/mu/monitor/{id}"),
    ("GET", "/mu"),
    ("POST", "/su"),
    ("GET", "/su/{id}"),
    ("GET", "/su/processes/{id}"),
    ("GET", "/su/{id}/latest"),
    ("GET", "/su/timestamp"),
    ("GET", "/cu/result/{id}"),
    ("GET", "/cu/results/{id}"),
    ("POST", "/cu/dry-run"),
    ("GET", "/cu/state/{id}"),
    ("GET", "/cu/cron/{id}"),
    ("POST", "/graphql"),
    ("GET", "/raw/{id}"),
    ("POST", "/tx/arweave"),
    ("GET", "/tx/{id}/status"),
    ("GET", "/{id}"),
    ("HEAD", "/{id}"),
    ("PUT", "/mu"),
    ("PATCH", "/cu/dry-run"),
    ("DELETE", "/graphql"),
    ("GET", "/no/such/{id}"),
    ("OPTIONS", "/su"),
]
GQL_DOCS = [
    "{" * 5000 + "}" * 5000,
    "{ "
    + " ".join(f"a{i}: transactions(first: 1000) {{ edges {{ cursor }} }}" for i in range(50))
    + " }",
    '{ transactions(after: "' + "9" * 60 + '") { edges { cursor } } }',
    '{ transactions(after: "OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5") { edges { cursor } } }',
    "{ transactions(first: 99999999999) { edges { cursor } } }",
    '{ blocks(height: {min: -5, max: 2147483647}, after: "'
    + "9" * 30
    + '") { edges { cursor } } }',
    "query ($n: Int) { transactions(first: $n) { edges { cursor } } }",
    "# " * 40_000,
    "{ transactions { edges { node { id } } } }",
]
DRY_RUN = st.fixed_dictionaries(
    {},
    optional={
        "Tags": st.one_of(
            st.lists(
                st.fixed_dictionaries({"name": st.text(max_size=8), "value": st.text(max_size=8)}),
                max_size=3,
            ),
            st.sampled_from([[{"name": "from-process", "value": "x"}], "x", [1], [{"name": 1}]]),
        ),
        "Timestamp": JSON_NUMBER,
        "Nonce": JSON_NUMBER,
        "Block-Height": JSON_NUMBER,
        "Owner": st.one_of(st.text(max_size=5), JSON_NUMBER),
        "Data": st.one_of(st.text(max_size=20), JSON_NUMBER),
        "Id": JSON_NUMBER,
        "Extra": st.recursive(st.none() | JSON_NUMBER, st.lists, max_leaves=5),
    },
)


BODY = st.one_of(
    st.none(),
    st.binary(max_size=600),
    st.sampled_from(
        [
            DEEP_LIST,
            DEEP_OBJECT,
            b"{",
            b"NaN",
            b'{"a": NaN}',
            b"[1e400]",
            b"1" * 5000,
            b"\x01\x00" + b"\x00" * 600,
            b"\x02\x00" + b"\xff" * 200,
            b'"\xff"',
        ]
    ),
    DRY_RUN.map(lambda body: json.dumps(body).encode()),
    st.builds(
        lambda q, v: json.dumps({"query": q, "variables": v}).encode(),
        st.sampled_from(GQL_DOCS),
        st.one_of(st.none(), st.just({"n": 10**30}), st.just([1]), st.just({"n": "x"})),
    ),
)


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(route=st.sampled_from(ROUTES), some_id=ID, query=QUERY, body=BODY, use_pid=st.booleans())
def test_generated_malformed_requests_never_get_a_500(
    served: Served,
    pid: str,
    route: tuple[str, str],
    some_id: str,
    query: dict[str, str],
    body: bytes | None,
    use_pid: bool,
) -> None:
    method, template = route
    target = pid if use_pid else some_id
    path = template.replace("{id}", target)
    if use_pid and "process-id" in query:
        query["process-id"] = pid
    before = counts(served)
    with httpx.Client(base_url=served.url, timeout=20) as http:
        try:
            r = http.request(method, path, params=query, content=body)
        except httpx.TimeoutException:
            raise AssertionError(f"{method} {path} {query} hung") from None
    answered_well(r, (method, path, query, (body or b"")[:80]))
    assert counts(served) == before, (method, path, query)


def test_the_named_cases_are_4xx_naming_the_field(served: Served, pid: str) -> None:
    cases: list[tuple[str, str, dict[str, Any], str]] = [
        ("GET", f"/su/{pid}", {"params": {"from": "9" * 30}}, "'from'"),
        ("GET", f"/su/{pid}", {"params": {"to": "9" * 20}}, "'to'"),
        ("GET", f"/su/{pid}", {"params": {"from-nonce": str(2**63)}}, "'from-nonce'"),
        ("GET", f"/cu/results/{pid}", {"params": {"from": "9" * 30}}, "'from'"),
        (
            "GET",
            f"/cu/results/{pid}",
            {"params": {"from": _cursor({"timestamp": 10**30, "ordinate": 1})}},
            "timestamp",
        ),
        (
            "GET",
            f"/cu/results/{pid}",
            {"params": {"to": _cursor({"timestamp": 1, "ordinate": "1e400"})}},
            "to",
        ),
        (
            "POST",
            "/cu/dry-run",
            {"params": {"process-id": pid}, "content": b'{"Timestamp": ' + b"9" * 30 + b"}"},
            "'Timestamp'",
        ),
        (
            "POST",
            "/cu/dry-run",
            {"params": {"process-id": pid}, "content": b'{"Nonce": 1e400}'},
            "'Nonce'",
        ),
        (
            "POST",
            "/cu/dry-run",
            {"params": {"process-id": pid}, "content": DEEP_LIST},
            "nests deeper",
        ),
        (
            "POST",
            "/cu/dry-run",
            {"params": {"process-id": pid}, "content": DEEP_OBJECT},
            "nests deeper",
        ),
        ("POST", "/graphql", {"content": DEEP_LIST}, "nests deeper"),
        (
            "POST",
            "/cu/dry-run",
            {"params": {"process-id": pid, "to-nonce": "9" * 25}, "json": {}},
            "'to-nonce'",
        ),
    ]
    with httpx.Client(base_url=served.url, timeout=20) as http:
        for method, path, kwargs, named in cases:
            r = http.request(method, path, **kwargs)
            assert 400 <= r.status_code < 500 and named in r.json()["error"], (path, kwargs, r.text)
        deep_query = http.post("/graphql", json={"query": "{" * 100_000 + "}" * 100_000})
        assert deep_query.status_code == 400 and deep_query.json()["errors"]
        wide = http.post("/graphql", json={"query": GQL_DOCS[1]})
        assert wide.status_code == 400 and "root fields" in wide.text


def _raw(
    served: Served, data: bytes, wait: float = 10.0, close_after: float | None = None
) -> bytes:
    sock = socket.create_connection(("127.0.0.1", served.port))
    try:
        sock.sendall(data)
        if close_after is not None:
            time.sleep(close_after)
            return b""
        sock.settimeout(wait)
        out = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return out
            out += chunk
    finally:
        sock.close()


def test_bytes_that_are_not_http_get_a_json_400(served: Served) -> None:
    for junk in (
        b"GARBAGE\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
        b"\x16\x03\x01\x02\x00" + b"\x00" * 50,
        b"GET /info HTTP/1.1\r\nX: " + b"a" * 200_000 + b"\r\n\r\n",
    ):
        answer = _raw(served, junk)
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400") and b"application/json" in head, answer[:300]
        assert "error" in json.loads(body)


@pytest.mark.parametrize("path", ["/mu", f"/cu/dry-run?process-id={'A' * 43}", "/graphql", "/su"])
def test_a_stalled_body_is_dropped_after_the_timeout(served: Served, path: str) -> None:
    start = time.monotonic()
    answer = _raw(
        served, f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc".encode()
    )
    took = time.monotonic() - start
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"connection: close" in answer.lower()  # and the server closed it (recv saw the end)
    assert BODY_TIMEOUT - 0.5 < took < BODY_TIMEOUT + 5


def test_an_aborted_body_logs_no_traceback_and_the_node_goes_on(served: Served, pid: str) -> None:
    for path in ("/mu", f"/cu/dry-run?process-id={pid}", "/graphql", "/tx/arweave", "/su"):
        head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n".encode()
        _raw(served, head + b"x" * 5000, close_after=0.2)
    time.sleep(0.5)
    with httpx.Client(base_url=served.url, timeout=20) as http:
        assert Ao(http, OWNER).value(pid, "return 2 + 2") == "4"
    assert "Traceback" not in served.log.read_text()
