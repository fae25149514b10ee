"""HyperBEAM paths, read: which base a request names, its key path and its parameters.

A HyperBEAM path is `/<base>/<key>/<key>…`. The base is a message id, optionally with the
device that should read it (`<pid>~process@1.0`), or a bare device (`~meta@1.0`). Each
segment may carry parameters: `compute&slot=3` (key `compute`, slot=3), and a segment
`results=3` is the key `results` with the value 3. The query string adds parameters too
(docs/hyperbeam.md §2 lists what this node serves).

Parsing works on the raw (still percent-encoded) path, so a `/` or `&` inside an encoded
tag value stays part of the value. Sizes are bounded before anything is split: a path is
at most `MAX_PATH` bytes, `MAX_SEGMENTS` segments and `MAX_PARAMS` parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote

from aos.errors import NodeError
from aos.ids import is_id

MAX_PATH = 8192
MAX_SEGMENTS = 16
MAX_PARAMS = 64


@dataclass(frozen=True)
class Segment:
    """One key of the path: `name`, the value after `=` if any, and its `&` parameters."""

    name: str
    value: str | None = None
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class HbPath:
    """A parsed path: the base (`pid`, or `device` for `~meta@1.0`-style bases, or both for
    `<pid>~process@1.0`), the keys after it and every parameter (segments', then query's)."""

    pid: str | None
    device: str | None
    keys: tuple[Segment, ...]
    params: tuple[tuple[str, str], ...] = field(default=())

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(k.name for k in self.keys)

    def param(self, name: str) -> str | None:
        """The first parameter called `name`, from any segment or the query string."""
        for key, value in self.params:
            if key == name:
                return value
        return None


def _split_params(text: str) -> tuple[Segment, list[tuple[str, str]]]:
    head, *rest = text.split("&")
    name, eq, value = head.partition("=")
    params: list[tuple[str, str]] = []
    for part in rest:
        key, _, val = part.partition("=")
        if key:
            params.append((unquote(key), unquote(val)))
    return Segment(unquote(name), unquote(value) if eq else None, tuple(params)), params


def claims(path: str) -> bool:
    """Whether a (decoded) request path is a HyperBEAM path this node answers: a device base
    (`/~meta@1.0/…`, `/<id>~process@1.0/…`), `/push`, or `/<id>/<key>…`. Cheap: it is asked
    for every request that is not the messenger's fast path."""
    if not path.startswith("/"):
        return False
    first, slash, _ = path[1:].partition("/")
    if "~" in first or first == "push":
        return True
    return bool(slash) and len(first) == 43 and is_id(first)


def parse(raw_path: str, query: str = "") -> HbPath:
    """Parse a raw request path (and query string); NodeError (400/414) names what is wrong."""
    if len(raw_path) > MAX_PATH or len(query) > MAX_PATH:
        raise NodeError(f"the path is over {MAX_PATH} bytes", status=414)
    parts = [p for p in raw_path.split("/") if p]
    if not parts:
        raise NodeError("the path names no base (a process id or a device)", status=404)
    if len(parts) > MAX_SEGMENTS:
        raise NodeError(f"the path has over {MAX_SEGMENTS} segments")
    base, base_params = _split_params(parts[0])
    if base.value is not None:
        raise NodeError(f"the path's base {base.name!r} cannot take a value")
    params = list(base_params)
    keys: list[Segment] = []
    if base.name == "push" and len(parts) == 1:  # `/push`: a key of the node, not an id
        keys.append(base)
        pid, device = "", ""
    else:
        pid, tilde, device = base.name.partition("~")
        if tilde and not device:
            raise NodeError(f"the path's base {base.name!r} names an empty device")
        if pid and not is_id(pid):
            raise NodeError(f"{pid[:80]!r} is not a 43-character base64url id", status=404)
    for part in parts[1:]:
        segment, seg_params = _split_params(part)
        keys.append(segment)
        params += seg_params
    if query:
        try:
            params += parse_qsl(query, keep_blank_values=True, max_num_fields=MAX_PARAMS)
        except ValueError:
            raise NodeError(f"the query string has over {MAX_PARAMS} parameters") from None
    if len(params) > MAX_PARAMS:
        raise NodeError(f"the path has over {MAX_PARAMS} parameters")
    return HbPath(pid or None, device or None, tuple(keys), tuple(params))
