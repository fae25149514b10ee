"""A small driver for aos.runtime.LuaProcess with the aos test fixture (docs/compat.md §4).

The fixture is aos's own: env Process {Id AOS, Owner FOOBAR, Tags Name=Thomas}, and a
first message (the process itself) with Id AOS, From/Owner FOOBAR, Block-Height 999 and
Module WOOPAWOOPA.
"""

from __future__ import annotations

from typing import Any

from aos.limits import DEFAULT_MEMORY, INSTRUCTION_LIMIT, WATCHDOG_SECONDS
from aos.runtime import LuaProcess

ENV: dict[str, Any] = {
    "Process": {
        "Id": "AOS",
        "Owner": "FOOBAR",
        "Tags": [{"name": "Name", "value": "Thomas"}],
    },
    "Module": {"Id": "WOOPAWOOPA", "Owner": "MODULE_OWNER", "Tags": []},
}

ESC = "\x1b"


def tags_of(tags: dict[str, str] | list[tuple[str, str]]) -> list[dict[str, str]]:
    items = tags.items() if isinstance(tags, dict) else tags
    return [{"name": k, "value": v} for k, v in items]


class Proc:
    """One process, spawned with the aos fixture; each message gets a fresh Id and time."""

    def __init__(
        self,
        env: dict[str, Any] | None = None,
        process_tags: dict[str, str] | None = None,
        process_data: str = "",
        *,
        memory_limit: int | None = None,
        instruction_limit: int | None = None,
        watchdog: int | None = None,
    ) -> None:
        self.process = LuaProcess(
            memory_limit=memory_limit or DEFAULT_MEMORY,
            instruction_limit=instruction_limit or INSTRUCTION_LIMIT,
            watchdog=WATCHDOG_SECONDS if watchdog is None else watchdog,
        )
        self.env = env or ENV
        self.count = 0
        self.timestamp = 1_700_000_000_000
        tags = {"Type": "Process", "Name": "Thomas", "Module": "WOOPAWOOPA"}
        tags.update(process_tags or {})
        self.spawn_result = self.process.handle(
            {
                "Id": self.env["Process"]["Id"],
                "Owner": "FOOBAR",
                "From": "FOOBAR",
                "Target": self.env["Process"]["Id"],
                "Block-Height": "999",
                "Module": "WOOPAWOOPA",
                "Timestamp": self.timestamp,
                "Tags": tags_of(tags),
                "Data": process_data,
            },
            self.env,
        )

    def message(
        self,
        tags: dict[str, str] | list[tuple[str, str]] | None = None,
        data: str = "",
        **fields: Any,
    ) -> dict[str, Any]:
        self.count += 1
        self.timestamp += 1000
        msg: dict[str, Any] = {
            "Id": f"MSG{self.count:040d}",
            "Owner": "FOOBAR",
            "From": "FOOBAR",
            "Target": self.env["Process"]["Id"],
            "Anchor": "",
            "Block-Height": 1000 + self.count,
            "Timestamp": self.timestamp,
            "Nonce": self.count,
            "Epoch": 0,
            "Cron": False,
            "Read-Only": False,
            "Module": "WOOPAWOOPA",
            "Data": data,
            "Tags": tags_of(tags or {}),
        }
        for key, value in fields.items():
            msg[key.replace("_", "-")] = value
        return msg

    def send(
        self,
        tags: dict[str, str] | list[tuple[str, str]] | None = None,
        data: str = "",
        **fields: Any,
    ) -> dict[str, Any]:
        return self.process.handle(self.message(tags, data, **fields), self.env)

    def eval(self, code: str, **fields: Any) -> dict[str, Any]:
        return self.send({"Action": "Eval"}, code, **fields)

    def value(self, code: str) -> str:
        """Output.data of an Eval that must succeed."""
        result = self.eval(code)
        assert "Error" not in result, result["Error"]
        data: str = result["Output"]["data"]
        return data


def data_of(result: dict[str, Any]) -> str:
    assert "Error" not in result, result.get("Error")
    out = result["Output"]
    return out["data"] if isinstance(out, dict) else str(out)
