"""Drive a real aos.runtime.LuaProcess with message dicts, for the blueprint tests.

A `Proc` spawns a process (its own message first, as the CU does), then `send` builds
the next message with a fresh Id, a rising Timestamp and Block-Height, and From = Owner =
the sender unless told otherwise (so the trust gate lets it in).
"""

from __future__ import annotations

import json
from typing import Any

from aos.luafiles import blueprint_dir
from aos.runtime import LuaProcess

PID = "PROCESS_ID_0000000000000000000000000000000000"
OWNER = "OWNER_WALLET_00000000000000000000000000000000"
MODULE = "MODULE_ID_000000000000000000000000000000000000"


class Proc:
    def __init__(self, name: str = "Thomas") -> None:
        self.process = LuaProcess()
        self.env = {
            "Process": {"Id": PID, "Owner": OWNER, "Tags": [{"name": "Name", "value": name}]},
            "Module": {"Id": MODULE, "Owner": OWNER, "Tags": []},
        }
        self.count = 0
        self.height = 1000
        spawn = self.message(OWNER, {"Type": "Process", "Name": name})
        spawn["Id"] = PID
        self.handle(spawn)

    def message(self, sender: str, tags: dict[str, str], data: str = "") -> dict[str, Any]:
        self.count += 1
        self.height += 1
        return {
            "Id": f"MSG_{self.count:040d}",
            "Owner": sender,
            "From": sender,
            "Target": PID,
            "Data": data,
            "Tags": [{"name": k, "value": v} for k, v in tags.items()],
            "Timestamp": 1_700_000_000_000 + self.count,
            "Block-Height": self.height,
            "Module": MODULE,
        }

    def handle(self, msg: dict[str, Any]) -> dict[str, Any]:
        return self.process.handle(msg, self.env)

    def send(
        self, sender: str, data: str = "", height: int | None = None, **tags: str
    ) -> dict[str, Any]:
        msg = self.message(sender, {k.replace("_", "-"): v for k, v in tags.items()}, data)
        if height is not None:
            self.height = height
            msg["Block-Height"] = height
        return self.handle(msg)

    def eval(self, code: str) -> dict[str, Any]:
        result = self.send(OWNER, code, Action="Eval")
        assert "Error" not in result, result.get("Error")
        return result

    def load_blueprint(self, name: str) -> None:
        self.eval((blueprint_dir() / f"{name}.lua").read_text(encoding="utf-8"))

    def value(self, expr: str) -> Any:
        """A Lua expression's value, through json.encode in an Eval."""
        out = self.eval(f'return require("json").encode({expr})')["Output"]["data"]
        return json.loads(out)


def tags_of(message: dict[str, Any]) -> dict[str, str]:
    """An outgoing message's tags as a dict (names are unique in what blueprints send)."""
    return {t["name"]: t["value"] for t in message["Tags"]}


def output_text(result: dict[str, Any]) -> str:
    out = result.get("Output")
    if isinstance(out, dict):
        return str(out.get("data", ""))
    return str(out or "")
