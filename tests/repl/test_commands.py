"""Dot-commands beyond the basics (.trace, .pad, .load-blueprint, .monitor), the live feed's
cursor across restarts, and the name registry's validation, against a real embedded node."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import pytest

from aos.client import AoClient, Result, TxInfo
from aos.repl.commands import REGISTRY, blueprint_names, help_table
from aos.repl.connect import SpawnOptions, resolve_process
from aos.repl.live import LiveFeed
from aos.repl.state import NameRegistry, ShellState
from tests.support.repl import Driver, spawn


def _after_a_second(_: str) -> bool:
    """A wait that lets the crank deliver the reply before `.trace` reads the tree."""
    time.sleep(1.0)
    return True


def test_every_command_has_help_ending_with_a_period() -> None:
    expected = ".help .load .load-blueprint .editor .pad .dryrun .inbox .monitor .unmonitor"
    assert set(expected.split()) | {".live", ".pause", ".trace", ".exit"} <= set(REGISTRY)
    for cmd in REGISTRY.values():
        assert cmd.help.endswith("."), cmd.name
    assert help_table().row_count == len(REGISTRY)


def test_trace_shows_the_messages_and_spawns_a_message_caused(
    client: AoClient, state_dir: Path
) -> None:
    ours, peer = spawn(client, state_dir), spawn(client, state_dir)
    _, setup = client.eval(
        peer,
        'Handlers.add("Ping", "Ping", function(m) print("got ping"); '
        'm.reply({Action = "Pong", Data = "pong"}) end)',
    )
    assert setup.error is None, setup.error
    driver = Driver(client, ours, state_dir, live=False)

    def replied(_: str) -> bool:
        return (
            driver.repl is not None
            and driver.repl.last_message is not None
            and bool(client.pushed_for(driver.repl.last_message))
        )

    out = driver.run(
        [
            (None, f'Send({{Target = "{peer}", Action = "Ping"}})\r'),
            (replied, ""),
            (_after_a_second, ".trace\r"),
            ("Action=Pong", ".exit\r"),
        ]
    )
    lines = out.splitlines()
    ping = next(i for i, line in enumerate(lines) if "Action=Ping" in line)
    pong = next(i for i, line in enumerate(lines) if "Action=Pong" in line)
    assert lines[ping - 1].startswith("message ")  # the root: our Eval
    assert "got ping" in lines[ping] and pong > ping


def test_trace_without_a_message_is_a_clear_error(driver: Driver) -> None:
    out = driver.run([(None, ".trace\r"), ("error", ".exit\r")])
    assert "error: .trace needs a message id" in out


def test_pad_evaluates_the_file_when_the_editor_saved_a_change(
    driver: Driver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = tmp_path / "fake-editor"
    editor.write_text('#!/bin/sh\necho "return 40 + 2" > "$1"\n')
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("EDITOR", str(editor))
    out = driver.run([(None, ".pad\r"), ("42", ".pad\r"), ("unchanged", ".exit\r")])
    assert out.count("42") == 1  # the second, unchanged save evaluates nothing


def test_pad_with_a_failing_editor_evaluates_nothing(
    driver: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDITOR", "false")
    out = driver.run([(None, ".pad\r"), ("nothing evaluated", ".exit\r")])
    assert "exited with status 1" in out


def test_load_blueprint_validates_the_name(driver: Driver) -> None:
    names = blueprint_names()
    steps: list[tuple[object, str]] = [(None, ".load-blueprint nope\r"), ("valid blueprint", "")]
    if "chatroom" in names:
        steps += [(None, ".load-blueprint chatroom\r"), ("Loading blueprint", ""),
                  (None, "return type(Members)\r"), ("table", "")]  # fmt: skip
    steps.append((None, ".exit\r"))
    out = driver.run(steps)  # type: ignore[arg-type]
    assert "error: .load-blueprint needs a valid blueprint name (got 'nope'" in out


def test_monitor_and_unmonitor_are_accepted(driver: Driver) -> None:
    out = driver.run([(None, ".monitor\r"), ("monitoring", ".unmonitor\r"),
                      ("stopped", ".exit\r")])  # fmt: skip
    assert "error" not in out


def test_the_live_cursor_survives_restarts_nothing_twice_nothing_lost(
    client: AoClient, state_dir: Path
) -> None:
    ours, other = spawn(client, state_dir), spawn(client, state_dir)
    state = ShellState(state_dir)
    seen: list[str] = []

    def feed() -> LiveFeed:
        return LiveFeed(client, ours, state, lambda r: seen.append(r.data), interval=0.05)

    def ping(n: int) -> None:
        _, result = client.eval(other, f'Send({{Target = "{ours}", Action = "P{n}"}})')
        assert result.error is None

    def wait_for(count: int, live: LiveFeed) -> None:
        deadline = time.monotonic() + 20
        while len(seen) < count and time.monotonic() < deadline:
            live.poll()
            time.sleep(0.05)

    first = feed()
    first.poll()  # takes the starting cursor
    ping(1)
    wait_for(1, first)
    first.close()  # the shell ends
    ping(2)  # arrives while no shell is running
    ping(3)
    second = feed()  # a restart: same state directory
    wait_for(3, second)
    time.sleep(0.3)
    second.poll()
    second.close()
    actions = [next(a for a in ("P1", "P2", "P3") if a in text) for text in seen]
    assert actions == ["P1", "P2", "P3"]


def test_a_stale_registry_entry_is_forgotten(client: AoClient, state_dir: Path) -> None:
    registry = NameRegistry(state_dir / "processes.json")
    key = registry.key("units", client.wallet.address, "ghost")
    registry.put(key, "A" * 43)  # a process the node never saw
    notices: list[str] = []
    pid, spawned = resolve_process(
        client, "ghost", registry=registry, units="units", spawn=SpawnOptions(),
        notice=notices.append,
    )  # fmt: skip
    assert spawned and pid != "A" * 43
    assert any("stale" in n for n in notices)
    assert registry.get(key) is not None and registry.get(key)[0] == pid  # type: ignore[index]
    again, spawned_again = resolve_process(
        client, "ghost", registry=registry, units="units", spawn=None, notice=notices.append
    )
    assert (again, spawned_again) == (pid, False)


def test_a_missing_name_without_spawn_is_a_clear_error(client: AoClient, state_dir: Path) -> None:
    from aos.errors import AosError

    with pytest.raises(AosError, match="no process called 'nobody'"):
        resolve_process(
            client, "nobody", registry=NameRegistry(state_dir / "r.json"), units="u",
            spawn=None, notice=lambda _: None,
        )  # fmt: skip


def test_result_type_is_exported() -> None:
    assert Result().empty


def test_several_processes_with_one_name_can_be_chosen(client: AoClient, state_dir: Path) -> None:
    from aos.repl.connect import spawn_process

    first = spawn_process(client, "twin", SpawnOptions())
    second = spawn_process(client, "twin", SpawnOptions())
    offered: list[list[str]] = []

    def choose(found: list[TxInfo]) -> TxInfo:
        offered.append([tx.id for tx in found])
        return found[1]

    registry = NameRegistry(state_dir / "twins.json")
    pid, spawned = resolve_process(
        client, "twin", registry=registry, units="u", spawn=None, notice=lambda _: None,
        choose=choose,
    )  # fmt: skip
    assert offered == [[first, second]] and (pid, spawned) == (second, False)
    notices: list[str] = []
    oldest, _ = resolve_process(
        client, "twin", registry=NameRegistry(state_dir / "other.json"), units="u", spawn=None,
        notice=notices.append,
    )  # fmt: skip
    assert oldest == first and second in notices[0]
