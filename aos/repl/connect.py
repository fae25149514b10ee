"""Finding the wallet's process by name (or spawning it) and reading its prompt.

Lookup order: a process id is used as given; a name is looked up in the local registry,
which is validated against the units (stale entries are dropped, docs/compat.md §5 item 7), then by
GraphQL (docs/protocol.md §5.1 query 1); if nothing is found and spawning is allowed, the process is
spawned with the tags of docs/protocol.md §2.1.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aos import __version__
from aos.client import AoClient, TxInfo
from aos.cron import parse_interval
from aos.errors import AosError, ClientError
from aos.ids import is_id
from aos.protocol import AOS_LEGACY_AUTHORITY, AOS_MODULE_ID
from aos.repl.state import NameRegistry

# How long a registry entry is trusted while the gateway has not indexed the process yet.
INDEX_GRACE_SECONDS = 3600.0


def is_process_id(value: str) -> bool:
    return is_id(value)


def check_cron(value: str) -> str:
    """Validate a `--cron` value before any node work (aos: "Invalid cron flag!")."""
    try:
        parse_interval(value)
    except ValueError:
        raise AosError(
            f"--cron {value!r} is not an interval; write N-unit, e.g. 10-minutes or 1-block "
            "(units: millisecond, second, minute, hour, day, week, month, year, block)"
        ) from None
    return value


def pair_tags(names: Sequence[str], values: Sequence[str]) -> list[tuple[str, str]]:
    """Pair `--tag-name`/`--tag-value` flags by position, refusing unpaired ones."""
    if len(names) != len(values):
        raise AosError(
            f"{len(names)} --tag-name but {len(values)} --tag-value flags; give them in pairs"
        )
    for name in names:
        if not name.strip():
            raise AosError("--tag-name must not be empty")
    return list(zip(names, values, strict=True))


@dataclass
class SpawnOptions:
    module: str = AOS_MODULE_ID
    tags: list[tuple[str, str]] = field(default_factory=list)
    cron: str | None = None
    data: str = ""

    @classmethod
    def from_flags(
        cls,
        *,
        module: str | None,
        tag_names: Sequence[str],
        tag_values: Sequence[str],
        cron: str | None,
        data_file: str | None,
    ) -> SpawnOptions:
        """Validate the spawn flags (files, cron, tag pairs) before anything is sent."""
        data = ""
        if data_file is not None:
            path = Path(data_file)
            try:
                data = path.read_text(encoding="utf-8")
            except FileNotFoundError as err:
                raise AosError(f"--data {data_file}: no such file") from err
            except (OSError, UnicodeDecodeError) as err:
                raise AosError(f"--data {data_file}: cannot read it ({err})") from err
        if module is not None and not is_process_id(module):
            raise AosError(
                f"--module {module!r} is not a module id (43 characters of A-Z a-z 0-9 _ -)"
            )
        return cls(
            module=module or AOS_MODULE_ID,
            tags=pair_tags(tag_names, tag_values),
            cron=check_cron(cron) if cron is not None else None,
            data=data,
        )


Notice = Callable[[str], None]


def spawn_process(client: AoClient, name: str, options: SpawnOptions) -> str:
    """Spawn the wallet's process `name`; returns its id."""
    tags: list[tuple[str, str]] = [("App-Name", "aos"), ("Name", name), *options.tags]
    if options.cron:
        tags += [("Cron-Interval", options.cron), ("Cron-Tag-Action", "Cron")]
    # Trust the messages our node's MU pushes (signed by the node) and aos's legacy authority.
    node_address = client.cu_address()
    if node_address:
        tags.append(("Authority", node_address))
    tags += [("Authority", AOS_LEGACY_AUTHORITY), ("aos-Version", __version__)]
    return client.spawn(
        module=options.module,
        scheduler=client.scheduler_address(),
        tags=tags,
        data=options.data,
    )


def _registry_hit_valid(client: AoClient, process: str, saved: float) -> bool:
    known = client.process_known(process)
    if known is not None:
        return known
    found = [tx for tx in client.transactions([process]) if tx.id == process]
    if found:
        return found[0].owner in ("", client.wallet.address)
    return time.time() - saved < INDEX_GRACE_SECONDS  # the gateway may lag behind


def resolve_process(
    client: AoClient,
    target: str,
    *,
    registry: NameRegistry,
    units: str,
    spawn: SpawnOptions | None,
    notice: Notice,
    choose: Callable[[list[TxInfo]], TxInfo] | None = None,
) -> tuple[str, bool]:
    """(process id, whether it was spawned now) for a name or id.

    `spawn=None` forbids spawning; `choose` picks one when several processes share the name
    (docs/compat.md §5 item 6); without it the oldest is used and the others are named in a notice.
    """
    if is_process_id(target):
        return target, False
    key = registry.key(units, client.wallet.address, target)
    hit = registry.get(key)
    if hit is not None:
        if _registry_hit_valid(client, *hit):
            return hit[0], False
        registry.forget(key)
        notice(f"forgot the stale local entry {hit[0]} for {target!r}")
    found = client.find_processes(target)
    if len(found) > 1 and choose is not None:
        chosen = choose(found)
        registry.put(key, chosen.id)
        return chosen.id, False
    if found:
        if len(found) > 1:
            others = ", ".join(tx.id for tx in found[1:])
            notice(
                f"{len(found)} processes are called {target!r}; using the oldest, {found[0].id} "
                f"(others: {others}; pass an id to pick one)"
            )
        registry.put(key, found[0].id)
        return found[0].id, False
    if spawn is None:
        raise AosError(
            f"you have no process called {target!r}; start `aos {target}` once to spawn it"
        )
    process = spawn_process(client, target, spawn)
    registry.put(key, process)
    return process, True


def fetch_prompt(client: AoClient, process: str) -> str | None:
    """The process's prompt.

    Every stored result carries the prompt as it was after that message, so the latest one
    is read first: no evaluation, so attaching to a process with a long log is immediate
    (a dry-run would replay the whole log, and the compute unit then drops that state, so
    the first Eval would replay it again). A process with no stored result yet is asked
    with a dry-run Eval, which costs no slot in the log."""
    try:
        page = client.results(process, sort="DESC", limit=1)
    except ClientError:
        page = None
    if page is not None and page.edges and page.edges[0].result.prompt:
        return page.edges[0].result.prompt
    try:
        result = client.dry_eval(process, "")
    except ClientError:
        return None
    return result.prompt
