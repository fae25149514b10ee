"""Finding the wallet's process by name (or spawning it) and reading its prompt.

Lookup order: a process id is used as given; a name is looked up in the local registry,
which is validated against the units (stale entries are dropped, docs/compat.md §5 item 7), then by
GraphQL (docs/protocol.md §5.1 query 1); if nothing is found and spawning is allowed, the process is
spawned with the tags of docs/protocol.md §2.1.

Ids are checked before anything is spawned or sent (`check_id_or_name`): a word that looks
like an id but is one character short or long, or an id in a spelling no node uses, is an
error with a sentence, never a new process of that name.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aos import __version__
from aos.client import AoClient, TxInfo
from aos.cron import parse_interval
from aos.errors import AosError, ClientError, NodeRejected
from aos.ids import canonical, is_id
from aos.protocol import AOS_LEGACY_AUTHORITY, AOS_MODULE_ID
from aos.repl.state import NameRegistry

# How long a registry entry is trusted while the gateway has not indexed the process yet.
INDEX_GRACE_SECONDS = 3600.0


def is_process_id(value: str) -> bool:
    return is_id(value)


def looks_like_id(value: str) -> bool:
    """A word an id was probably copied into: of the id alphabet, about as long, and with
    the upper- and lower-case letters and digits that a random id has (a name rarely does)."""
    return (
        30 <= len(value) <= 60
        and all(c.isascii() and (c.isalnum() or c in "-_") for c in value)
        and any(c.isupper() for c in value)
        and any(c.islower() for c in value)
        and any(c.isdigit() for c in value)
    )


def check_id(value: str, what: str = "process id") -> str:
    """`value` if it is an id in its canonical spelling; else AosError saying what is wrong."""
    if is_id(value):
        spelled = canonical(value)
        if spelled != value:
            raise AosError(
                f"{value} is not a {what} as nodes spell it: its last character {value[-1]!r} "
                f"carries bits an id never sets; the same 32 bytes are {spelled}. Copy the id "
                "again (`aos --list` lists your processes)"
            )
        return value
    raise AosError(
        f"{value!r} is not a {what}: an id has exactly 43 characters of A-Z a-z 0-9 _ - and "
        f"this has {len(value)}; copy it again (`aos --list` lists your processes)"
    )


def check_id_or_name(value: str) -> str:
    """A process id (canonical) or a process name; AosError for an id copied wrong."""
    if is_id(value) or looks_like_id(value):
        return check_id(value)
    return value


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
    module_name: str | None = None  # --module NAME: looked up on the gateway at spawn time

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
        module_id, module_name = None, None
        if module is not None:
            if is_id(module) or looks_like_id(module):
                module_id = check_id(module, "module id")
            elif not module.strip():
                raise AosError("--module needs a module id or a module name, e.g. aos-lua")
            else:
                module_name = module
        return cls(
            module=module_id or AOS_MODULE_ID,
            tags=pair_tags(tag_names, tag_values),
            cron=check_cron(cron) if cron is not None else None,
            data=data,
            module_name=module_name,
        )


Notice = Callable[[str], None]


def find_module(client: AoClient, name: str) -> str:
    """The id of the one module the gateway knows by the Name tag `name`."""
    try:
        found = client.find_modules(name)
    except NodeRejected as err:
        if err.status not in (404, 405):
            raise
        raise AosError(  # most HyperBEAM nodes answer no GraphQL
            f"--module {name!r}: the gateway ({client.shown(client.gateway_url)}) has no "
            "GraphQL to look a module up by Name; pass the module id (43 characters), or "
            "name a gateway with --gateway-url"
        ) from None
    if not found:
        raise AosError(
            f"--module {name!r}: the gateway ({client.shown(client.gateway_url + '/graphql')}) "
            "knows no module with that Name; pass a module id (43 characters), or the Name of "
            "a module it has (this node's own is aos-lua)"
        )
    if len(found) > 1:
        ids = ", ".join(tx.id for tx in found[:5])
        raise AosError(
            f"--module {name!r}: {len(found)} modules have that Name ({ids}); pass the id of "
            "the one you want"
        )
    return found[0].id


def spawn_process(client: AoClient, name: str, options: SpawnOptions) -> str:
    """Spawn the wallet's process `name`; returns its id."""
    module = find_module(client, options.module_name) if options.module_name else options.module
    tags: list[tuple[str, str]] = [("App-Name", "aos"), ("Name", name), *options.tags]
    if options.cron:
        tags += [("Cron-Interval", options.cron), ("Cron-Tag-Action", "Cron")]
    # Trust the messages our node's MU pushes (signed by the node) and aos's legacy authority.
    # (The aos console line that `aos serve` prints names the node's address as a tag too.)
    for authority in (client.cu_address(), AOS_LEGACY_AUTHORITY):
        if authority and ("Authority", authority) not in tags:
            tags.append(("Authority", authority))
    tags.append(("aos-Version", __version__))
    return client.spawn(
        module=module,
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
