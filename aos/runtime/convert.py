"""Python ↔ Lua conversions at the process boundary, kept cheap and free of Python objects.

A message goes into Lua as a flat argument list (root keys and values, then tag names and
values), never as a Python object: nothing Lua receives can reach back into Python. The
result comes back as one JSON text, built in Lua with sorted keys.
"""

from __future__ import annotations

import json
from typing import Any

_SCALARS = (str, int, float, bool)


def _scalar(value: Any, where: str) -> str | int | float | bool:
    if isinstance(value, _SCALARS):
        return value
    # Nested values are unusual on a message; they travel as JSON text.
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"msg field {where} is not JSON-serialisable: {exc}") from None


def flatten_message(msg: dict[str, Any]) -> list[Any]:
    """[nroot, k1, v1, …, tagname1, tagvalue1, …] for the Lua bridge (None values dropped)."""
    if not isinstance(msg, dict):
        raise ValueError(f"msg must be a dict, got {type(msg).__name__}")
    # One list, the root count patched in afterwards: this runs once per message.
    args: list[Any] = [0]
    append = args.append
    scalars = _SCALARS
    for key, value in msg.items():
        if value is None or key == "Tags":
            continue
        if type(key) is not str and not isinstance(key, str):
            raise ValueError(f"msg keys must be strings, got {key!r}")
        append(key)
        append(value if type(value) in scalars else _scalar(value, key))
    args[0] = (len(args) - 1) // 2
    tags = msg.get("Tags") or []
    if not isinstance(tags, list):
        raise ValueError(f"msg Tags must be a list of {{name, value}}, got {type(tags).__name__}")
    for i, tag in enumerate(tags):
        try:
            name, value = tag["name"], tag["value"]
        except (TypeError, KeyError):
            raise ValueError(
                f"msg Tags[{i}] must be {{'name': str, 'value': str}}, got {tag!r}"
            ) from None
        if type(name) is not str and not isinstance(name, str):
            raise ValueError(f"msg Tags[{i}] name must be a string, got {name!r}")
        append(name)
        append(value if type(value) is str else _scalar(value, f"Tags[{i}]"))
    return args


_decode = json.JSONDecoder().raw_decode


def decode_result(text: str) -> dict[str, Any]:
    """The result dict from the bridge's JSON text (one object, no surrounding space, so
    the decoder's own whitespace skipping is not needed)."""
    result: dict[str, Any] = _decode(text)[0]
    return result
