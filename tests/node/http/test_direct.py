"""The embedded node's two hot requests, answered on the caller's thread (direct.py).

They must answer exactly as the app does: the same bodies on success, and on any failure
the app's own answer (the lane steps aside)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aos.dataitem import DataItem, create
from aos.node.http.embedded import EmbeddedClient, open_embedded
from aos.protocol import AOS_MODULE_ID
from aos.wallet import Ed25519Signer
from tests.support.ao import ao_tags


@pytest.fixture
def node(tmp_path: Path) -> Iterator[tuple[EmbeddedClient, Ed25519Signer, str]]:
    signer = Ed25519Signer.generate()
    with open_embedded(tmp_path / "node") as http:
        tags = [("Module", AOS_MODULE_ID), ("Scheduler", http.get("/su/").json()["address"])]
        spawn = create(signer=signer, data=" ", tags=ao_tags("Process", tags))
        assert http.post("/mu", content=spawn.to_bytes()).status_code == 202
        yield http, signer, spawn.id


def eval_item(signer: Ed25519Signer, pid: str, code: str) -> DataItem:
    return create(
        signer=signer, data=code, target=pid, tags=ao_tags("Message", [("Action", "Eval")])
    )


def test_a_message_and_its_result_are_answered_on_the_callers_thread(
    node: tuple[EmbeddedClient, Ed25519Signer, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    http, signer, pid = node
    units = http.app.node
    threads: list[str] = []
    for unit, name in ((units.mu, "admit"), (units.cu, "result")):
        inner = getattr(unit, name)

        def seen(*args: Any, inner: Any = inner) -> Any:
            threads.append(threading.current_thread().name)
            return inner(*args)

        monkeypatch.setattr(unit, name, seen)
    item = eval_item(signer, pid, "return 6 * 7")
    posted = http.post("/mu", content=item.to_bytes())
    got = http.get(f"/cu/result/{item.id}", params={"process-id": pid})
    assert threads == [threading.current_thread().name] * 2
    assert posted.status_code == 202
    assert posted.json() == {"message": "Processing DataItem", "id": item.id}
    assert got.status_code == 200 and got.json()["Output"]["data"] == "42"
    # the app's own answer (an extra query parameter keeps the lane out of it) is the same
    routed = http.get(f"/cu/result/{item.id}", params={"process-id": pid, "x": "1"})
    assert routed.content == got.content
    assert routed.headers["content-type"] == got.headers["content-type"]


def test_failures_are_the_apps_answers(node: tuple[EmbeddedClient, Ed25519Signer, str]) -> None:
    http, signer, pid = node
    garbage = http.post("/mu", content=b"\x01\x00not an item")
    assert garbage.status_code == 400 and "error" in garbage.json()
    empty = http.post("/mu", content=b"")
    assert empty.status_code == 400 and "empty" in empty.json()["error"]
    stray = eval_item(signer, "x" * 43, "return 1")
    assert http.post("/mu", content=stray.to_bytes()).status_code == 404
    unknown = http.get(f"/cu/result/{'y' * 43}", params={"process-id": pid})
    assert unknown.status_code == 404 and "error" in unknown.json()
    bad_pid = http.get(f"/cu/result/{'y' * 43}", params={"process-id": "nope"})
    assert bad_pid.status_code == 400 and "process-id" in bad_pid.json()["error"]


def test_a_bug_under_the_lane_is_the_apps_json_500_not_an_exception_here(
    node: tuple[EmbeddedClient, Ed25519Signer, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    http, signer, pid = node

    def broken(*args: Any) -> Any:
        raise RuntimeError("a bug in the result path")

    monkeypatch.setattr(http.app.node.cu, "result", broken)
    item = eval_item(signer, pid, "return 1")
    assert http.post("/mu", content=item.to_bytes()).status_code == 202
    answer = http.get(f"/cu/result/{item.id}", params={"process-id": pid})
    assert answer.status_code == 500
    assert "a bug in the result path" in answer.json()["error"]


def test_an_item_over_the_size_limit_is_refused_by_the_app(tmp_path: Path) -> None:
    signer = Ed25519Signer.generate()
    with open_embedded(tmp_path / "node", max_body=2048) as http:
        big = create(signer=signer, data="x" * 4096, target="z" * 43, tags=ao_tags("Message"))
        answer = http.post("/mu", content=big.to_bytes())
        assert answer.status_code == 413


def test_a_repeated_parameter_is_answered_as_the_app_answers_it(
    node: tuple[EmbeddedClient, Ed25519Signer, str],
) -> None:
    http, signer, pid = node
    item = eval_item(signer, pid, "return 1")
    assert http.post("/mu", content=item.to_bytes()).status_code == 202
    twice = http.get(f"/cu/result/{item.id}?process-id={pid}&process-id={'q' * 43}")
    assert twice.status_code == 404  # the app takes the last value, as Starlette does
