"""The libraries as a process sees them: required by name inside the sandbox."""

from __future__ import annotations

from typing import Any

from aos.runtime import LuaProcess

# The fixture of aos's own process tests (docs/compat.md §4).
ENV = {
    "Process": {"Id": "AOS", "Owner": "FOOBAR", "Tags": [{"name": "Name", "value": "Thomas"}]},
    "Module": {"Id": "WOOPAWOOPA", "Owner": "FOOBAR", "Tags": []},
}


def first(proc: LuaProcess) -> None:
    proc.handle(
        {
            "Id": "AOS",
            "Target": "AOS",
            "Owner": "FOOBAR",
            "From": "FOOBAR",
            "Block-Height": "999",
            "Module": "WOOPAWOOPA",
            "Timestamp": 1,
            "Data": "",
            "Tags": [{"name": "Type", "value": "Process"}],
        },
        ENV,
    )


def evaluate(proc: LuaProcess, code: str, n: int) -> Any:
    result = proc.handle(
        {
            "Id": f"m{n}",
            "Target": "AOS",
            "Owner": "FOOBAR",
            "From": "FOOBAR",
            "Block-Height": "1000",
            "Module": "WOOPAWOOPA",
            "Timestamp": 2,
            "Data": code,
            "Tags": [{"name": "Action", "value": "Eval"}],
        },
        ENV,
    )
    assert "Error" not in result, result["Error"]
    return result["Output"]["data"]


def test_libraries_load_by_name_in_the_sandbox() -> None:
    proc = LuaProcess()
    first(proc)
    code = (
        'local crypto = require(".crypto")\n'
        'return crypto.digest.md5(crypto.utils.stream.fromString("ao")).asHex()'
    )
    assert evaluate(proc, code, 1) == "adac5e63f80f8629e9573527b25891d3"
    assert evaluate(proc, 'return require(".crypto").random()', 2) == "532713800"
    assert evaluate(proc, 'return tostring(require(".bint")(256)("7") * 6)', 3) == "42"
    assert evaluate(proc, 'return require("json").encode({b = 1, a = {2}})', 4) == '{"a":[2],"b":1}'
    assert evaluate(proc, 'return require(".base64").encode("ao")', 5) == "YW8="
    assert evaluate(proc, 'return require(".dump")({1, x = "y"})', 6) == (
        '{\n    [1] = 1,\n    x = "y"\n}'
    )
    assert evaluate(proc, 'return require(".pretty").tprint({a = 1})', 7) == "a: 1\n"
