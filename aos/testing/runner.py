"""Running spec files: each in its own sandboxed Lua state, each test against a fresh net.

A spec file is loaded into a `LuaScript` whose host is lua/testing/runner.lua: loading
declares the tests, then each test runs in a coroutine that leaves the Lua state whenever
it calls `ao_test` (a spawn, a send, a delivery...). This module answers those calls from
a `Net` made for that test alone and thrown away after it, and turns what the runner
reports into `Outcome`s: passed, failed (with where, the spec line, expected and actual,
and the handler errors of the test with their tracebacks inside the process) or skipped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from aos.errors import AosError
from aos.luafiles import lua_dir
from aos.protocol import AOS_MODULE_ID
from aos.runtime.script import LuaScript
from aos.runtime.state import library_sources
from aos.testing.coverage import Coverage
from aos.testing.net import DEFAULT_OWNER, Net
from aos.testing.process import Process
from aos.testing.values import TestNetError, display_path, lifted

SPEC_PATTERNS = ("*_spec.lua", "test_*.lua")
DEFAULT_DIRS = ("spec", "test")
# Handler errors shown under one failed test (the first ones: later ones tend to follow).
MAX_HANDLER_ERRORS = 3


@dataclass(frozen=True)
class HandlerFailure:
    """A message of the test that ended in an Error, as a failure report shows it."""

    process: str
    summary: str
    message: str
    frames: list[str]


@dataclass
class Outcome:
    """One test's result."""

    file: str
    name: str
    line: int
    status: str  # passed | failed | skipped
    message: str = ""
    where: str = ""
    source: str = ""  # the spec line at `where`
    error: bool = False  # an error, not a failed assertion
    expected: str | None = None
    actual: str | None = None
    expected_block: str | None = None
    actual_block: str | None = None
    frames: list[str] = field(default_factory=list)
    handler_errors: list[HandlerFailure] = field(default_factory=list)
    output: str = ""  # what the test printed

    @property
    def failed(self) -> bool:
        return self.status == "failed"


@dataclass(frozen=True)
class Options:
    keyword: str | None = None  # -k: a case-insensitive part of the test's name
    exitfirst: bool = False  # -x
    coverage: bool = False  # --cov


@dataclass(frozen=True)
class SpecFile:
    path: Path
    root: Path  # the directory the user named (or the file's own), where files are found


def discover(paths: Sequence[str]) -> list[SpecFile]:
    """The spec files under `paths` (default ./spec and ./test), in path order."""
    if not paths:
        present = [d for d in DEFAULT_DIRS if Path(d).is_dir()]
        if not present:
            raise AosError(
                "aos test: no ./spec or ./test directory here; give the spec files or "
                "directories to run (aos test PATH ...)"
            )
        paths = present
    found: dict[Path, SpecFile] = {}
    for given in paths:
        path = Path(given)
        if path.is_file():
            found.setdefault(path.resolve(), SpecFile(path.resolve(), path.resolve().parent))
            continue
        if not path.is_dir():
            raise AosError(f"aos test: {given}: no such file or directory")
        root = path.resolve()
        for spec in sorted(_specs_under(root)):
            found.setdefault(spec, SpecFile(spec, root))
    if not found:
        where = ", ".join(paths)
        raise AosError(f"aos test: no spec files (*_spec.lua, test_*.lua) under {where}")
    return sorted(found.values(), key=lambda s: display_path(s.path))


def _specs_under(root: Path) -> Iterator[Path]:
    for pattern in SPEC_PATTERNS:
        for spec in root.rglob(pattern):
            parts = spec.relative_to(root).parts[:-1]
            if not any(p.startswith(".") or p == "node_modules" for p in parts):
                yield spec


@cache
def _runner_sources() -> tuple[str, dict[str, str]]:
    folder = lua_dir() / "testing"
    modules = library_sources()
    for path in sorted(folder.glob("*.lua")):
        if path.stem != "runner":
            modules[f"testing/{path.stem}"] = path.read_text(encoding="utf-8")
    return (folder / "runner.lua").read_text(encoding="utf-8"), modules


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return "" if value is None else str(value)


def _fields(flat: Sequence[Any]) -> dict[str, Any]:
    """The fields of a message from the flat list ao_test sends (the count of fields, their
    names and values, then tag names and values)."""
    if not flat:
        return {}
    n = int(flat[0])
    values = [_text(v) for v in flat[1:]]
    fields: dict[str, Any] = {values[i]: values[i + 1] for i in range(0, 2 * n, 2)}
    rest = values[2 * n :]
    if rest:
        fields["Tags"] = [{"name": rest[i], "value": rest[i + 1]} for i in range(0, len(rest), 2)]
    return fields


def _for_lua(result: dict[str, Any]) -> dict[str, Any]:
    out = dict(result)
    for key in ("Messages", "Spawns"):
        out[key] = [lifted(m) if isinstance(m, dict) else m for m in result.get(key) or []]
    return out


class _Bridge:
    """Answers the calls of one test's spec code from its net. Each `do_kind` takes the
    scalars ao_test sent (lua/testing/ao_test.lua says which)."""

    def __init__(self, net: Net) -> None:
        self.net = net

    def process(self, ref: Any) -> Process:
        p = self.net.processes.get(_text(ref))
        if p is None:
            raise TestNetError("this process is not part of the running test")
        return p

    def answer(self, kind: str, args: Sequence[Any]) -> Any:
        handler: Callable[..., Any] | None = getattr(self, f"do_{kind}", None)
        if handler is None:
            raise TestNetError(f"ao_test has no call {kind!r}")
        return handler(*args)

    def do_spawn(self, options: Any) -> dict[str, Any]:
        a = json.loads(_text(options))
        a = a if isinstance(a, dict) else {}
        p = self.net.spawn(
            files=[str(f) for f in a.get("files") or []],
            blueprints=[str(b) for b in a.get("blueprints") or []],
            tags=a.get("tags") or None,
            owner=a.get("owner", DEFAULT_OWNER),
            module=str(a["module"]) if "module" in a else AOS_MODULE_ID,
            data=str(a.get("data") or ""),
            name=str(a["name"]) if "name" in a else None,
        )
        return {"id": p.id, "name": p.name, "owner": p.owner}

    def do_send(self, process: Any, *flat: Any) -> dict[str, Any]:
        return _for_lua(self.process(process).send(_fields(flat)))

    def do_dryrun(self, process: Any, *flat: Any) -> dict[str, Any]:
        return _for_lua(self.process(process).dryrun(_fields(flat)))

    def do_eval(self, process: Any, code: Any) -> str:
        return self.process(process).eval(_text(code))

    def do_get(self, process: Any, expression: Any) -> Any:
        return self.process(process).get(_text(expression))

    def do_deliver(self, limit: Any = None) -> int:
        return self.net.deliver(limit if isinstance(limit, int) else None)

    def do_clock(self, ms: Any = None) -> int:
        if isinstance(ms, int):
            self.net.set_clock(ms)
        return self.net.now

    def do_advance(self, by: Any) -> list[dict[str, Any]]:
        by = _text(by) if isinstance(by, bytes) else by
        return [_for_lua(r) for r in self.net.advance(by if isinstance(by, (int, str)) else 0)]

    def do_height(self, height: Any = None) -> int:
        if isinstance(height, int):
            self.net.set_height(height)
        return self.net.height

    def do_sent(self, *flat: Any) -> list[dict[str, Any]]:
        return self.net.matching(_fields(flat))

    def do_expect_sent(self, *flat: Any) -> dict[str, Any]:
        spec = _fields(flat)
        found = self.net.matching(spec)
        return {"found": found[0]} if found else {"message": self.net.no_match_text(spec)}


class _Spec:
    """One spec file loaded in its runner state."""

    def __init__(self, spec: SpecFile) -> None:
        self.spec = spec
        self.display = display_path(spec.path)
        self.lines = _read_spec(spec.path).splitlines()
        host, modules = _runner_sources()
        self.script = LuaScript(host, "aos-test-runner", modules)
        self.evaluations = 0

    def source_at(self, where: str) -> str:
        path, _, line = where.rpartition(":")
        if path == self.display and line.isdigit() and 0 < int(line) <= len(self.lines):
            return self.lines[int(line) - 1].strip()
        return ""

    def load(self) -> list[dict[str, Any]] | Outcome:
        ok, payload = self.script.call("load", "\n".join(self.lines) + "\n", "@" + self.display)
        data = json.loads(_text(payload))
        if ok:
            return data if isinstance(data, list) else []
        message = _text(data.get("message"))
        where = _text(data.get("where")) or _position(message)
        return Outcome(
            self.display,
            "(loading the file)",
            0,
            "failed",
            message=_without_position(message, where),
            where=where,
            source=self.source_at(where),
            error=True,
        )

    def run(
        self, index: int, test: dict[str, Any], options: Options, cov: Coverage | None
    ) -> Outcome:
        net = Net(search=_search_dirs(self.spec))
        bridge = _Bridge(net)
        try:
            reply = self.script.call("start", index, net.now)
            while reply[0] == "call":
                try:
                    value, ok = bridge.answer(_text(reply[1]), reply[2:]), True
                except TestNetError as err:
                    value, ok = str(err), False
                reply = self.script.call("resume", net.now, ok, value)
            outcome = self._outcome(test, json.loads(_text(reply[1])))
            if outcome.failed:
                outcome.handler_errors = [
                    HandlerFailure(e.process.name, e.summary, e.message, net.traceback(e))
                    for e in net.errors[:MAX_HANDLER_ERRORS]
                ]
            if cov is not None:
                for p in net.processes.values():
                    cov.add(p.chunks, net.lines_run(p))
            self.evaluations += net.evaluations
            return outcome
        finally:
            net.close()

    def _outcome(self, test: dict[str, Any], raw: dict[str, Any]) -> Outcome:
        status = _text(raw.get("status")) or "failed"
        message = _text(raw.get("message"))
        where = _text(raw.get("where")) or ""
        out = Outcome(
            self.display,
            _text(test.get("name")),
            int(test.get("line") or 0),
            status,
            message=_without_position(message, where) if status == "failed" else message,
            where=where,
            source=self.source_at(where) if where else "",
            error=bool(raw.get("error")),
            frames=[_text(f) for f in raw.get("frames") or []],
        )
        out.output = _text(raw.get("output"))
        for key in ("expected", "actual", "expected_block", "actual_block"):
            if raw.get(key) is not None:
                setattr(out, key, _text(raw[key]))
        return out

    def close(self) -> None:
        self.script.close()


def _read_spec(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise AosError(f"aos test: cannot read {display_path(path)}: {err}") from None


def _search_dirs(spec: SpecFile) -> list[Path]:
    return list(dict.fromkeys([spec.path.parent, spec.root]))


def _position(message: str) -> str:
    head = message.split(": ", 1)[0]
    path, _, line = head.rpartition(":")
    return head if path and line.isdigit() else ""


def _without_position(message: str, where: str) -> str:
    if where and message.startswith(where + ": "):
        return message[len(where) + 2 :]
    return message


def matches(name: str, keyword: str | None) -> bool:
    return keyword is None or keyword.lower() in name.lower()


@dataclass
class Run:
    """All outcomes of a run, in order, and the coverage when it was asked for."""

    outcomes: list[Outcome] = field(default_factory=list)
    files: int = 0
    coverage: Coverage | None = None
    stopped: bool = False  # -x stopped it at a failure
    evaluations: int = 0  # messages and cron ticks the processes evaluated (for aos bench)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def ok(self) -> bool:
        return self.count("failed") == 0


def run(
    specs: Sequence[SpecFile], options: Options, emit: Callable[[Outcome], None] | None = None
) -> Run:
    """Run the tests of `specs` that match `options`; `emit` sees each outcome as it comes."""
    result = Run(files=len(specs), coverage=Coverage() if options.coverage else None)

    def record(outcome: Outcome) -> bool:
        result.outcomes.append(outcome)
        if emit is not None:
            emit(outcome)
        return outcome.failed and options.exitfirst

    for spec in specs:
        loaded = _Spec(spec)
        try:
            tests = loaded.load()
            if isinstance(tests, Outcome):
                if record(tests):
                    result.stopped = True
                    return result
                continue
            for i, test in enumerate(tests, start=1):
                if not matches(_text(test.get("name")), options.keyword):
                    continue
                if record(loaded.run(i, test, options, result.coverage)):
                    result.stopped = True
                    return result
        finally:
            result.evaluations += loaded.evaluations
            loaded.close()
    return result
