"""AoClient against httpx.MockTransport handlers: what it sends, what it reads, its errors."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from aos import dataitem
from aos.client import AoClient, Result
from aos.client.ao import ascending
from aos.errors import NodeRejected, NodeUnreachable
from aos.protocol import AOS_LEGACY_SCHEDULER
from aos.wallet import Wallet

Handler = Callable[[httpx.Request], httpx.Response]
PID = dataitem.b64url_encode(bytes(range(32)))


@pytest.fixture(scope="session")
def wallet() -> Wallet:
    return Wallet.generate()


def make(handler: Handler, wallet: Wallet, **kw: object) -> AoClient:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return AoClient(
        http,
        mu_url="http://mu.test",
        cu_url="http://cu.test",
        gateway_url="http://gw.test",
        wallet=wallet,
        retry_delay=0,
        **kw,  # type: ignore[arg-type]
    )


def test_spawn_sends_a_signed_item_with_user_tags_then_the_ao_block(wallet: Wallet) -> None:
    seen: list[dataitem.DataItem] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url == "http://mu.test/"
        assert request.headers["content-type"] == "application/octet-stream"
        seen.append(dataitem.parse(request.content))
        return httpx.Response(202, json={"message": "Processing DataItem", "id": seen[-1].id})

    client = make(handler, wallet)
    pid = client.spawn(module="M" * 43, scheduler="S" * 43, tags=[("Name", "demo")])
    item = seen[0]
    assert item.verify() and item.id == pid and item.target is None
    names = [k for k, _ in item.tags]
    assert names[:2] == ["Name", "Content-Type"]
    assert names[2:7] == ["Data-Protocol", "Variant", "Type", "Module", "Scheduler"]
    assert item.tag("Type") == "Process" and item.tag("Module") == "M" * 43
    assert item.data == b" "


def test_eval_posts_a_message_and_reads_its_result(wallet: Wallet) -> None:
    sent: dict[str, dataitem.DataItem] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            item = dataitem.parse(request.content)
            sent[item.id] = item
            return httpx.Response(202, json={"id": item.id})
        assert request.url.path.startswith("/result/")
        assert request.url.params["process-id"] == PID
        return httpx.Response(200, json={"Output": {"data": "42", "prompt": "p> "}, "Messages": []})

    message, result = make(handler, wallet).eval(PID, "1 + 41")
    item = sent[message]
    assert item.data == b"1 + 41" and item.target_id == PID
    assert [k for k, _ in item.tags] == ["Action", "Data-Protocol", "Variant", "Type"]
    assert item.tag("Action") == "Eval" and item.tag("Type") == "Message"
    assert (result.data, result.prompt, result.error) == ("42", "p> ", None)


def test_an_empty_result_is_read_again(wallet: Wallet) -> None:
    answers = [{}, {}, {"Output": {"data": "ok"}}]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=answers.pop(0))

    result = make(handler, wallet).result("m", "p")
    assert result.data == "ok" and answers == []


def test_connection_failures_name_the_url(wallet: Wallet) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(NodeUnreachable) as err:
        make(handler, wallet).result("m", "p")
    assert err.value.url == "http://cu.test/result/m"
    assert "http://cu.test/result/m" in str(err.value) and "refused" in str(err.value)


def test_error_statuses_carry_status_body_and_the_units_reason(wallet: Wallet) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"error": "Process xyz not found"})

    with pytest.raises(NodeRejected) as err:
        make(handler, wallet).dry_eval("xyz", "1")
    assert err.value.status == 400 and "Process xyz not found" in err.value.body
    assert "answered 400: Process xyz not found" in str(err.value)


def test_non_json_answers_are_rejected_clearly(wallet: Wallet) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>proxy</html>")

    with pytest.raises(NodeRejected, match="non-JSON"):
        make(handler, wallet).result("m", "p")


def test_dryrun_sends_aoconnect_shaped_json_with_our_owner(wallet: Wallet) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        assert request.url.path == "/dry-run" and request.url.params["process-id"] == "P"
        assert body["Owner"] == wallet.address and body["Target"] == "P"
        assert body["Data"] == "return 1"
        assert {"name": "Action", "value": "Eval"} in body["Tags"]
        assert {"name": "Data-Protocol", "value": "ao"} in body["Tags"]
        return httpx.Response(200, json={"Output": {"data": "1"}})

    assert make(handler, wallet).dry_eval("P", "return 1").data == "1"


def _cursor(n: int) -> str:
    return base64.b64encode(json.dumps({"timestamp": n, "ordinate": str(n)}).encode()).decode()


def test_iter_results_follows_pages_from_the_cursor(wallet: Wallet) -> None:
    calls: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        calls.append(params)
        start = (
            int(json.loads(base64.b64decode(params["from"]))["timestamp"])
            if "from" in params
            else 0
        )
        edges = [
            {"cursor": _cursor(n), "node": {"Output": {"data": str(n), "print": True}}}
            for n in range(start + 1, min(start + 3, 6))
        ]
        return httpx.Response(
            200, json={"pageInfo": {"hasNextPage": start + 3 < 6}, "edges": edges}
        )

    edges = list(make(handler, wallet).iter_results("P"))
    assert [e.result.data for e in edges] == ["1", "2", "3", "4", "5"]
    assert all(c["sort"] == "ASC" for c in calls) and "from" not in calls[0]


def test_find_processes_passes_the_name_as_a_variable_and_keeps_exact_matches(
    wallet: Wallet,
) -> None:
    name = 'we"ird'

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        assert request.url == "http://gw.test/graphql"
        assert name not in body["query"] and body["variables"]["name"] == name
        assert body["variables"]["owners"] == [wallet.address]

        def node(i: str, n: str) -> dict[str, object]:
            tags = [{"name": "Name", "value": n}]
            return {"id": i, "owner": {"address": wallet.address}, "tags": tags}

        edges = [
            {"node": node("new", name)},
            {"node": node("x", "other")},
            {"node": node("old", name)},
        ]
        return httpx.Response(200, json={"data": {"transactions": {"edges": edges}}})

    found = make(handler, wallet).find_processes(name)
    assert [p.id for p in found] == ["old", "new"]


def test_graphql_errors_become_node_rejected(wallet: Wallet) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": None, "errors": [{"message": "bad field"}]})

    with pytest.raises(NodeRejected, match="bad field"):
        make(handler, wallet).list_processes()


def test_scheduler_address_falls_back_to_aos_legacy_without_su(wallet: Wallet) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"address": "SU-ADDR", "timestamp": "1"})

    assert make(handler, wallet).scheduler_address() == AOS_LEGACY_SCHEDULER
    assert make(handler, wallet, su_url="http://su.test").scheduler_address() == "SU-ADDR"


@pytest.mark.parametrize(
    ("raw", "data", "prompt", "error"),
    [
        ({"Output": {"data": "2", "prompt": "> "}}, "2", "> ", None),
        ({"Output": {"data": {"output": "old", "prompt": "o> "}}}, "old", "o> ", None),
        ({"Output": "bare"}, "bare", None, None),
        ({"Output": {"data": ""}, "Error": "boom"}, "", None, "boom"),
        ({"Output": {"data": {"a": 1}}}, '{"a": 1}', None, None),
        ({"error": "lower"}, "", None, "lower"),
    ],
)
def test_result_shapes(
    raw: dict[str, object], data: str, prompt: str | None, error: str | None
) -> None:
    result = Result.from_json(raw)
    assert (result.data, result.prompt, result.error) == (data, prompt, error)


def test_latest_cursor_is_turned_ascending(wallet: Wallet) -> None:
    # A sort inside a cursor overrides the query's sort (docs/protocol.md §3.3.3): a DESC cursor
    # would make the live feed read backwards, repeating and reordering results.
    desc = base64.b64encode(b'{"timestamp":5,"ordinate":"2","sort":"DESC"}').decode()

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.params["sort"] == "DESC" and request.url.params["limit"] == "1"
        return httpx.Response(200, json={"edges": [{"cursor": desc, "node": {}}]})

    cursor = make(handler, wallet).latest_cursor("P")
    assert cursor is not None
    assert json.loads(base64.b64decode(cursor)) == {"timestamp": 5, "ordinate": "2", "sort": "ASC"}
    assert ascending("not-base64-json") == "not-base64-json"


def test_a_send_is_retried_when_the_mu_is_unreachable(wallet: Wallet) -> None:
    posts: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        posts.append(request.content)
        if len(posts) < 3:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(202, json={"id": "x"})

    client = make(handler, wallet)
    message = client.message(PID, data="hi")
    assert len(posts) == 3 and len(set(posts)) == 1  # the very same signed bytes
    assert dataitem.parse(posts[0]).id == message
    posts.clear()

    def down(request: httpx.Request) -> httpx.Response:
        posts.append(request.content)
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(NodeUnreachable):
        make(down, wallet).message(PID, data="hi")
    assert len(posts) == 3


def test_assign_and_monitor_requests(wallet: Wallet) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/" and request.method == "POST":
            return httpx.Response(202, json={"message": "Processing Assignment", "id": "ASSIGN"})
        return httpx.Response(200, text="Monitoring process")

    client = make(handler, wallet)
    assert client.assign(PID, "MSG") == "ASSIGN"
    assert dict(seen[0].url.params) == {"process-id": PID, "assign": "MSG"}
    signed = dataitem.parse(seen[0].content)
    assert signed.verify() and signed.target_id == PID and list(signed.tags) == [("Assign", "MSG")]
    client.monitor(PID)
    client.unmonitor(PID)
    assert [(r.method, r.url.path) for r in seen[1:]] == [
        ("POST", f"/monitor/{PID}"),
        ("DELETE", f"/monitor/{PID}"),
    ]
    item = dataitem.parse(seen[1].content)
    assert item.verify() and item.target_id == PID and item.data == b" " and not item.tags
    again = dataitem.parse(seen[2].content)
    assert again.id != item.id and len(again.anchor or b"") == 32  # each request is new


def test_identical_ed25519_messages_are_distinct_items_and_all_evaluated(tmp_path: Path) -> None:
    """Ed25519 signatures are deterministic: without a fresh anchor per item, the same line
    sent twice was one item, and the second was taken for a retry and never evaluated."""
    from aos.node.http.embedded import open_embedded
    from aos.protocol import AOS_MODULE_ID, CU_PATH, EMBEDDED_BASE_URL, MU_PATH, SU_PATH
    from aos.wallet import Ed25519Signer

    base = EMBEDDED_BASE_URL
    with open_embedded(tmp_path) as http:
        client = AoClient(http, mu_url=base + MU_PATH, cu_url=base + CU_PATH,
                          su_url=base + SU_PATH, gateway_url=base,
                          wallet=Ed25519Signer.generate(), result_tries=5)  # fmt: skip
        pid = client.spawn(module=AOS_MODULE_ID, scheduler=client.scheduler_address(), tags=[])
        client.eval(pid, "Count = 0; Handlers.add('inc', 'Inc', function() Count = Count + 1 end)")
        ids = {client.message(pid, tags=[("Action", "Inc")]) for _ in range(20)}
        assert len(ids) == 20
        for mid in ids:
            client.result(mid, pid)
        assert client.eval(pid, "return Count")[1].data == "20"
