"""HyperBEAM paths as aos.node.http.hbpath reads them: bases, keys, parameters, limits."""

from __future__ import annotations

import pytest

from aos.errors import NodeError
from aos.node.http.hbpath import claims, parse

PID = "P" * 43


@pytest.mark.parametrize(
    ("path", "claimed"),
    [
        ("/push", True),
        ("/push/", True),
        ("/~meta@1.0/info/address", True),
        (f"/{PID}~process@1.0/compute/results=1", True),
        (f"/{PID}/slot/current", True),
        (f"/{PID}", False),  # one segment: the gateway's data route
        ("/graphql", False),
        ("/raw/" + PID, False),
        ("/tx/" + PID + "/status", False),
        ("/info", False),
        ("pushed", False),
    ],
)
def test_which_requests_are_hyperbeams(path: str, claimed: bool) -> None:
    assert claims(path) is claimed


def test_a_process_path_with_segment_and_query_parameters() -> None:
    path = parse(f"/{PID}~process@1.0/as=execution/compute&Action=Eval&Odd=a%2Fb%26c", "to-nonce=3")
    assert (path.pid, path.device) == (PID, "process@1.0")
    assert path.names == ("as", "compute")
    assert path.keys[0].value == "execution"
    assert path.keys[1].params == (("Action", "Eval"), ("Odd", "a/b&c"))
    assert path.param("Odd") == "a/b&c" and path.param("to-nonce") == "3"
    assert path.param("missing") is None


def test_results_equals_a_slot_and_bare_bases() -> None:
    path = parse(f"/{PID}/compute/results=12")
    assert path.device is None and path.keys[1].name == "results"
    assert path.keys[1].value == "12"
    meta = parse("/~meta@1.0/info/address")
    assert (meta.pid, meta.device, meta.names) == (None, "meta@1.0", ("info", "address"))
    push = parse("/push")
    assert (push.pid, push.device, push.names) == (None, None, ("push",))


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/", 404, "names no base"),
        ("/nope/x", 404, "not a 43-character"),
        ("/push/more", 404, "not a 43-character"),
        (f"/{PID}~/now", 400, "empty device"),
        (f"/{PID}=1/now", 400, "cannot take a value"),
        ("/" + "a/" * 20, 400, "segments"),
        ("/" + "x" * 9000, 414, "over 8192 bytes"),
        (f"/{PID}/now&" + "&".join(f"k{i}=v" for i in range(70)), 400, "parameters"),
    ],
)
def test_bad_paths_name_what_is_wrong(path: str, status: int, words: str) -> None:
    with pytest.raises(NodeError, match=words) as err:
        parse(path)
    assert err.value.status == status


def test_too_many_query_parameters() -> None:
    with pytest.raises(NodeError, match="query string has over 64"):
        parse(f"/{PID}/now", "&".join(f"k{i}=v" for i in range(80)))
