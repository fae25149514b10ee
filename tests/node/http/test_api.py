"""The node's HTTP API, in-process: one embedded node per test, requests and asserts."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import httpx

from aos.dataitem import b64url_decode, create, parse
from aos.protocol import AOS_MODULE_ID
from aos.wallet import Ed25519Signer
from tests.support.ao import Ao, ao_tags


def test_eval_round_trip_and_state_persists_across_messages(ao: Ao) -> None:
    pid = ao.spawn()
    assert ao.value(pid, "x = 41") == ""
    assert ao.value(pid, "return x + 1") == "42"
    boot = ao.result(pid, pid)  # the process's own message is nonce 0 and has a result
    assert "Error" not in boot and "prompt" in boot["Output"]


def test_lua_error_is_a_result_with_error_and_no_state_loss(ao: Ao) -> None:
    pid = ao.spawn()
    ao.value(pid, "x = 2")
    bad = ao.eval(pid, "return 1 +")
    assert "Error" in bad and "unexpected symbol" in bad["Error"]
    assert ao.value(pid, "return x") == "2"


def test_state_is_rebuilt_from_the_log_after_restart(node_dir, ao: Ao) -> None:  # type: ignore[no-untyped-def]
    from aos.node.http.embedded import open_embedded

    pid = ao.spawn()
    ao.value(pid, "counter = 10")
    ao.value(pid, "counter = counter + 5")
    with open_embedded(node_dir) as other:  # a second node on the same directory
        again = Ao(other, ao.signer)
        assert again.value(pid, "return counter") == "15"


def test_post_to_bare_and_slashed_mu_prefix(ao: Ao) -> None:
    item = ao.process_item()
    r = ao.http.post("/mu", content=item.to_bytes())
    assert r.status_code == 202 and r.json() == {"message": "Processing DataItem", "id": item.id}
    m = ao.message_item(item.id, "return 1")
    assert ao.http.post("/mu/", content=m.to_bytes()).status_code == 202


def test_duplicate_post_is_acknowledged_once_and_scheduled_once(ao: Ao) -> None:
    pid = ao.spawn()
    m = ao.message_item(pid, "return 1")
    for _ in range(3):
        assert ao.http.post("/mu", content=m.to_bytes()).json()["id"] == m.id
    page = ao.http.get(f"/su/{pid}").json()
    ids = [e["node"]["message"]["id"] for e in page["edges"]]
    assert ids == [pid, m.id]
    # the SU itself refuses a duplicate, like the reference
    r = ao.http.post("/su", content=m.to_bytes())
    assert r.status_code == 400 and "already scheduled" in r.json()["error"]


def test_su_pages_hash_chain_and_signed_assignments(ao: Ao) -> None:
    pid = ao.spawn()
    mids = [ao.send(pid, f"return {i}") for i in range(5)]
    page = ao.http.get(f"/su/{pid}", params={"process-id": pid}).json()
    edges = page["edges"]
    assert page["page_info"]["has_next_page"] is False
    assert [e["node"]["message"]["id"] for e in edges] == [pid, *mids]
    import hashlib

    from aos.dataitem import b64url_encode

    prev_assignment = prev_chain = None
    timestamps = []
    for nonce, edge in enumerate(edges):
        tags = {t["name"]: t["value"] for t in edge["node"]["assignment"]["tags"]}
        assert tags["Nonce"] == str(nonce) and tags["Process"] == pid and tags["Epoch"] == "0"
        assert len(tags["Block-Height"]) == 12 and tags["Type"] == "Assignment"
        assert ("Message" in tags) == (nonce > 0)
        if nonce == 0:
            expect = b64url_encode(hashlib.sha256(b64url_decode(pid)).digest())
        else:
            assert prev_assignment is not None and prev_chain is not None
            expect = b64url_encode(
                hashlib.sha256(b64url_decode(prev_assignment) + b64url_decode(prev_chain)).digest()
            )
        assert tags["Hash-Chain"] == expect
        prev_assignment, prev_chain = edge["node"]["assignment"]["id"], tags["Hash-Chain"]
        timestamps.append(int(tags["Timestamp"]))
        assert edge["cursor"] == tags["Timestamp"]
    assert timestamps == sorted(set(timestamps))  # strictly increasing
    # the stored assignment item verifies under the scheduler's key
    node = ao.http.app.state.node  # type: ignore[attr-defined]
    raw = node.store.assignment_raw(edges[2]["node"]["assignment"]["id"])
    assert parse(raw).verify() and parse(raw).owner_address == ao.su_address


def test_su_paging_from_exclusive_to_inclusive_and_nonce_mode(ao: Ao) -> None:
    pid = ao.spawn()
    for i in range(6):
        ao.send(pid, f"return {i}")
    full = ao.http.get(f"/su/{pid}").json()["edges"]
    ts = [int(e["cursor"]) for e in full]
    first = ao.http.get(f"/su/{pid}", params={"limit": 3}).json()
    assert len(first["edges"]) == 3 and first["page_info"]["has_next_page"] is True
    rest = ao.http.get(f"/su/{pid}", params={"from": first["edges"][-1]["cursor"]}).json()
    assert [int(e["cursor"]) for e in rest["edges"]] == ts[3:]
    window = ao.http.get(f"/su/{pid}", params={"from": ts[1], "to": ts[4]}).json()["edges"]
    assert [int(e["cursor"]) for e in window] == ts[2:5]
    by_nonce = ao.http.get(f"/su/{pid}", params={"from-nonce": 2, "to-nonce": 4}).json()["edges"]
    assert [e["cursor"] for e in by_nonce] == ["3", "4"]
    with_process = ao.http.get(f"/su/{pid}", params={"from-nonce": -1, "limit": 1}).json()
    assert with_process["edges"][0]["node"]["message"]["id"] == pid


def test_su_single_entry_process_info_latest_timestamp(ao: Ao) -> None:
    pid = ao.spawn()
    mid = ao.send(pid, "return 1")
    one = ao.http.get(f"/su/{mid}", params={"process-id": pid}).json()
    assert one["message"]["id"] == mid
    tags = {t["name"]: t["value"] for t in one["assignment"]["tags"]}
    assert tags["Nonce"] == "1" and tags["Message"] == mid
    by_assignment = ao.http.get(f"/su/{one['assignment']['id']}", params={"process-id": pid})
    assert by_assignment.json()["message"]["id"] == mid
    info = ao.http.get(f"/su/processes/{pid}").json()
    assert info["process_id"] == pid and len(info["block"]) == 12
    assert {"name": "Module", "value": AOS_MODULE_ID} in info["tags"]
    assert ao.http.get(f"/su/{pid}/latest").json()["message"]["id"] == mid
    ts = ao.http.get("/su/timestamp").json()
    assert ts["timestamp"].isdigit() and len(ts["block_height"]) == 12
    root = ao.http.get("/su/").json()
    assert root["address"] == ao.su_address


def test_cu_results_paging_cursors_and_errors_excluded(ao: Ao) -> None:
    pid = ao.spawn()
    ao.value(pid, "return 1")
    ao.eval(pid, "error('boom')")
    for i in range(2, 6):
        ao.value(pid, f"return {i}")
    body = ao.http.get(f"/cu/results/{pid}", params={"limit": 3}).json()
    assert body["pageInfo"]["hasNextPage"] is True
    cursors = [e["cursor"] for e in body["edges"]]
    decoded = [json.loads(base64.b64decode(c)) for c in cursors]
    assert [d["ordinate"] for d in decoded] == ["0", "1", "3"]  # nonce 2 errored: excluded
    assert all(d["sort"] == "ASC" and isinstance(d["timestamp"], int) for d in decoded)
    nxt = ao.http.get(f"/cu/results/{pid}", params={"from": cursors[-1], "limit": 3}).json()
    assert [json.loads(base64.b64decode(e["cursor"]))["ordinate"] for e in nxt["edges"]] == [
        "4",
        "5",
        "6",
    ]
    assert nxt["pageInfo"]["hasNextPage"] is False
    desc = ao.http.get(f"/cu/results/{pid}", params={"sort": "DESC", "limit": 2}).json()
    assert [e["node"]["Output"]["data"] for e in desc["edges"]] == ["5", "4"]
    upto = ao.http.get(f"/cu/results/{pid}", params={"to": cursors[1]}).json()
    assert len(upto["edges"]) == 2
    bare = ao.http.get(f"/cu/results/{pid}", params={"from": decoded[2]["timestamp"]}).json()
    assert len(bare["edges"]) == 3
    # an aos node extension: with include-errors the failed evaluation is listed too
    every = ao.http.get(f"/cu/results/{pid}", params={"include-errors": "1"}).json()["edges"]
    assert [json.loads(base64.b64decode(e["cursor"]))["ordinate"] for e in every][:4] == [
        "0", "1", "2", "3"
    ]  # fmt: skip
    assert "boom" in every[2]["node"]["Error"]


def test_dry_run_reads_state_and_changes_nothing(ao: Ao) -> None:
    pid = ao.spawn()
    ao.value(pid, "x = 7")
    body = {
        "Id": "1234",
        "Owner": "1234",
        "Target": pid,
        "Data": "x = x + 100; return x",
        "Tags": [{"name": "Action", "value": "Eval"}, {"name": "Data-Protocol", "value": "ao"}],
    }
    # Eval is only run for the owner; a dry-run from the owner sees and "changes" x ...
    body["Owner"] = ao.signer.address
    r = ao.http.post("/cu/dry-run", params={"process-id": pid}, json=body)
    assert r.status_code == 200 and r.json()["Output"]["data"] == "107"
    before = len(ao.http.get(f"/cu/results/{pid}").json()["edges"])
    # ... but the change is not kept, and nothing is stored.
    assert ao.value(pid, "return x") == "7"
    assert len(ao.http.get(f"/cu/results/{pid}").json()["edges"]) == before + 1


def test_client_mistakes_are_4xx_json(ao: Ao) -> None:
    pid = ao.spawn()
    signer = Ed25519Signer.generate()
    cases: list[tuple[str, str, dict[str, object], int]] = [
        ("POST", "/mu", {"content": b"not a data item"}, 400),
        ("POST", "/mu", {"content": b""}, 400),
        ("POST", "/mu", {"params": {"process-id": pid}}, 400),
        ("POST", "/su", {"content": b"\x01\x00" + b"\x00" * 10}, 400),
        ("GET", "/cu/result/short", {"params": {"process-id": pid}}, 400),
        ("GET", f"/cu/result/{pid}", {}, 400),
        ("GET", f"/cu/result/{'A' * 43}", {"params": {"process-id": pid}}, 404),
        ("GET", f"/cu/results/{pid}", {"params": {"from": "@@@"}}, 400),
        ("GET", f"/cu/results/{pid}", {"params": {"limit": "ten"}}, 400),
        ("GET", f"/cu/results/{pid}", {"params": {"sort": "SIDEWAYS"}}, 400),
        ("GET", f"/cu/results/{'B' * 43}", {}, 404),
        ("POST", "/cu/dry-run", {"params": {"process-id": pid}, "content": b"{nope"}, 400),
        ("POST", "/cu/dry-run", {"params": {"process-id": pid}, "json": [1]}, 400),
        ("POST", "/cu/dry-run", {"params": {"process-id": pid}, "json": {"Tags": "x"}}, 400),
        ("GET", f"/su/{pid}", {"params": {"limit": "x"}}, 400),
        ("GET", "/su/processes/nope", {}, 400),
        ("GET", f"/su/processes/{'C' * 43}", {}, 404),
        ("POST", "/graphql", {"content": b"{"}, 400),
        ("POST", "/graphql", {"json": {"query": "{ nope }"}}, 400),
        ("GET", f"/raw/{'D' * 43}", {}, 404),
        ("GET", "/no/such/route", {}, 404),
        ("DELETE", "/graphql", {}, 405),
    ]
    for method, path, kwargs, status in cases:
        r = ao.http.request(method, path, **kwargs)  # type: ignore[arg-type]
        assert r.status_code == status, (method, path, r.status_code, r.text)
        assert isinstance(r.json()["error" if "errors" not in r.json() else "errors"], (str, list))
    # a bad signature
    m = ao.message_item(pid, "return 1")
    raw = bytearray(m.to_bytes())
    raw[5] ^= 1
    r = ao.http.post("/mu", content=bytes(raw))
    assert r.status_code == 400 and "signature" in r.json()["error"]
    # missing ao tags
    plain = create(signer=signer, data="x", target=pid, tags=[("Action", "Eval")])
    assert ao.http.post("/mu", content=plain.to_bytes()).status_code == 400
    # a message to a process this node does not have
    stray = create(signer=signer, data="x", target="E" * 43, tags=ao_tags("Message"))
    assert ao.http.post("/mu", content=stray.to_bytes()).status_code == 404
    # process without Module
    nomod = create(signer=signer, data="x", tags=ao_tags("Process", [("Scheduler", "x")]))
    assert ao.http.post("/mu", content=nomod.to_bytes()).status_code == 400


def test_body_size_limit_refused_with_413(node_dir) -> None:  # type: ignore[no-untyped-def]
    from aos.node.http.embedded import open_embedded

    with open_embedded(node_dir, max_body=1000) as c:
        r = c.post("/mu", content=b"x" * 1001)
        assert r.status_code == 413 and "limit" in r.json()["error"]

        def chunks() -> Iterator[bytes]:
            for _ in range(100):
                yield b"y" * 100

        r = c.post("/mu", content=chunks())  # streamed, no Content-Length
        assert r.status_code == 413


def test_graphql_queries_of_aos_and_aoconnect(ao: Ao) -> None:
    pid = ao.spawn()
    gql = ao.http.post
    by_name = gql(
        "/graphql",
        json={
            "query": """query ($owners: [String!]) {
            transactions(first: 10, owners: $owners, tags: [
            {name: "Data-Protocol", values: ["ao"]}, {name: "Type", values: ["Process"]},
            {name: "Name", values: ["test"]}]) { edges { node { id tags { name value } } } } }""",
            "variables": {"owners": [ao.signer.address, ""]},
        },
    ).json()
    assert [e["node"]["id"] for e in by_name["data"]["transactions"]["edges"]] == [pid]
    module = gql(
        "/graphql",
        json={
            "query": """query ($ids: [ID!]!) { transactions(ids: $ids) { edges { node {
            owner { address } tags { name value } block { id height timestamp } } } } }""",
            "variables": {"ids": [AOS_MODULE_ID]},
        },
    ).json()["data"]["transactions"]["edges"]
    tags = {t["name"]: t["value"] for t in module[0]["node"]["tags"]}
    for needed in ("Module-Format", "Input-Encoding", "Output-Encoding"):
        assert needed in tags
    assert tags["Type"] == "Module" and tags["Data-Protocol"] == "ao"
    loc = gql(
        "/graphql",
        json={
            "query": """query ($owner: String!) { transactions(owners: [$owner], tags: [
            {name: "Data-Protocol", values: ["ao"]},
            {name: "Type", values: ["Scheduler-Location"]}],
            sort: HEIGHT_DESC, first: 1) { edges { node { tags { name value } } } } }""",
            "variables": {"owner": ao.su_address},
        },
    ).json()["data"]["transactions"]["edges"]
    loc_tags = {t["name"]: t["value"] for t in loc[0]["node"]["tags"]}
    assert loc_tags["Url"] == "http://aos.local/su" and loc_tags["Time-To-Live"].isdigit()
    # paging with cursors over all processes
    ao.spawn(tags=[("Second", "yes")])
    page1 = gql(
        "/graphql",
        json={
            "query": """{ transactions(first: 1, tags: [{name: "Type",
        values: ["Process"]}]) { pageInfo { hasNextPage } edges { cursor node { id
        recipient anchor signature data { size type } owner { address key } } } } }"""
        },
    ).json()
    conn = page1["data"]["transactions"]
    assert conn["pageInfo"]["hasNextPage"] is True
    after = conn["edges"][0]["cursor"]
    page2 = gql(
        "/graphql",
        json={
            "query": """query ($a: String) { transactions(first: 5,
        after: $a, tags: [{name: "Type", values: ["Process"]}]) { pageInfo { hasNextPage }
        edges { node { id } } } }""",
            "variables": {"a": after},
        },
    ).json()
    assert [e["node"]["id"] for e in page2["data"]["transactions"]["edges"]] == [pid]
    blocks = gql(
        "/graphql",
        json={
            "query": """{ blocks(height: {min: 1}, first: 2,
        sort: HEIGHT_ASC) { pageInfo { hasNextPage } edges { node { timestamp height } } } }"""
        },
    )
    assert [e["node"]["height"] for e in blocks.json()["data"]["blocks"]["edges"]] == [1, 2]


def test_gateway_raw_info_head_status_upload(ao: Ao) -> None:
    pid = ao.spawn(data="print('booted')")
    assert ao.http.get(f"/raw/{pid}").content == b"print('booted')"
    assert ao.http.head(f"/{pid}").status_code == 200
    assert ao.http.get(f"/{pid}").content == b"print('booted')"
    info = ao.http.get("/info").json()
    assert info["height"] > 0 and info == ao.http.get("/").json() | {"height": info["height"]}
    assert ao.http.get(f"/tx/{pid}/status").json()["number_of_confirmations"] >= 20
    up = create(signer=ao.signer, data="hello", tags=[("Content-Type", "text/plain")])
    r = ao.http.post("/tx/arweave", content=up.to_bytes())
    assert r.status_code == 200 and r.json()["id"] == up.id
    raw = ao.http.get(f"/raw/{up.id}")
    assert raw.content == b"hello" and raw.headers["content-type"].startswith("text/plain")


def test_assignment_of_an_uploaded_item(ao: Ao) -> None:
    pid = ao.spawn()
    ao.value(
        pid,
        "Handlers.add('seen', function(m) return m.Action == 'Note' end,"
        " function(m) Seen = m.Data end)",
    )
    note = create(signer=ao.signer, data="assigned!", tags=ao_tags("Message", [("Action", "Note")]))
    ao.http.post("/tx/arweave", content=note.to_bytes())
    # An upload is scheduled nowhere: only the owner may assign it, with a signed request.
    r = ao.http.post("/mu", params={"process-id": pid, "assign": note.id})
    assert r.status_code == 403 and "owner" in r.json()["error"]
    signed = create(signer=ao.signer, data=" ", target=pid, tags=[("Assign", note.id)])
    r = ao.http.post(
        "/mu", params={"process-id": pid, "assign": note.id}, content=signed.to_bytes()
    )
    assert r.status_code == 202 and r.json()["message"] == "Processing Assignment"
    aid = r.json()["id"]
    assert "Error" not in ao.result(pid, aid)
    assert ao.value(pid, "return Seen") == "assigned!"
    entry = ao.http.get(f"/su/{aid}", params={"process-id": pid}).json()
    assert entry["message"] is None


def test_monitor_routes_and_cu_root(ao: Ao) -> None:
    pid = ao.spawn()
    mon = create(signer=ao.signer, data=" ", target=pid)
    assert ao.http.post(f"/mu/monitor/{pid}", content=mon.to_bytes()).text == "Monitoring process"
    unmon = create(signer=ao.signer, data=" ", target=pid, anchor="u" * 32)
    gone = ao.http.request("DELETE", f"/mu/monitor/{pid}", content=unmon.to_bytes())
    assert gone.text == "Process deleted"
    assert ao.http.post(f"/mu/monitor/{pid}").status_code == 400
    root = ao.http.get("/cu/").json()
    assert root["address"] == ao.node_address and isinstance(root["timestamp"], int)
    assert ao.http.get("/mu/").text == "ao messenger unit"
    state = ao.http.get(f"/cu/state/{pid}")
    assert state.status_code == 200 and state.headers["Last-Ordinate"] == "0"


def test_cors_is_open(client: httpx.Client) -> None:
    r = client.options(
        "/mu",
        headers={"Origin": "http://example.com", "Access-Control-Request-Method": "POST"},
    )
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] in (
        "*",
        "http://example.com",
    )
