"""One local ao node over one data directory: the store, the four units and the crank.

`Node(data_dir)` opens (or creates) the SQLite log and the node keys, seeds the gateway
with the module record and the scheduler's Scheduler-Location, and wires the messenger,
scheduler and compute unit together. The ASGI app (aos.node.app) is a thin HTTP layer
over this object; tests may use it directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aos.dataitem import create
from aos.node.crank import Crank
from aos.node.cu import ComputeUnit
from aos.node.evaluator import MODULE_OWNER, ProcessInfo, Runtime
from aos.node.keys import load_node_keys
from aos.node.mu import Messenger
from aos.node.schema import ROLE_OWNER
from aos.node.store import NewItem, Store
from aos.node.su import Scheduler, block_height_at, index_item, now_ms
from aos.protocol import AOS_MODULE_ID, DATA_PROTOCOL, MODULE_TAGS, SU_PATH, VARIANT

DEFAULT_PUBLIC_URL = "http://aos.local"
# How long clients may cache the Scheduler-Location (ms); the record is re-signed whenever
# the node starts with another public URL.
LOCATION_TTL = "86400000"


_MEMORY_UNITS = {"b": 1, "kb": 1024, "mb": 2**20, "gb": 2**30}
DEFAULT_MEMORY = 256 * 2**20
# A process may ask for more memory with a Memory-Limit tag (`512-mb`, §2.1), within what a
# local node can give; the cap keeps one process from taking the machine.
MAX_MEMORY = 2**30
MIN_MEMORY = 16 * 2**20


def memory_limit_of(info: ProcessInfo) -> int:
    """Bytes of Lua memory for a process: its Memory-Limit tag if valid, clamped."""
    value = next((t["value"] for t in info.tags if t["name"] == "Memory-Limit"), None)
    if value is None:
        return DEFAULT_MEMORY
    number, _, unit = value.strip().lower().partition("-")
    if not number.isdigit() or unit.rstrip("s") not in _MEMORY_UNITS:
        return DEFAULT_MEMORY
    size = int(number) * _MEMORY_UNITS[unit.rstrip("s")]
    return max(MIN_MEMORY, min(size, MAX_MEMORY))


def default_runtime(info: ProcessInfo) -> Runtime:
    """A sandboxed Lua process for `info` (aos.runtime is imported here, not at the top,
    so that the node's HTTP layer loads without lupa until something is evaluated)."""
    from aos.runtime import LuaProcess

    runtime: Runtime = LuaProcess(memory_limit=memory_limit_of(info))
    return runtime


@dataclass
class NodeSettings:
    public_url: str = DEFAULT_PUBLIC_URL
    max_body: int = 10 * 1024 * 1024
    cache_size: int = 64
    scan_interval: float = 1.0
    runtime_factory: Callable[[ProcessInfo], Runtime] = field(default=default_runtime)


class Node:
    def __init__(self, data_dir: Path, settings: NodeSettings | None = None) -> None:
        self.settings = settings or NodeSettings()
        self.data_dir = Path(data_dir)
        self.store = Store(self.data_dir)
        self.wallet, self.signer = load_node_keys(self.data_dir)
        self.su = Scheduler(self.store, self.signer)
        self.cu = ComputeUnit(self.store, self.settings.runtime_factory, self.settings.cache_size)
        self.crank = Crank(self.store, self.cu, scan_interval=self.settings.scan_interval)
        self.mu = Messenger(self.store, self.su, self.wallet, self.crank.wake)
        self.crank.mu = self.mu
        self.cu.on_outbox = self.crank.wake
        self.cu.is_leader = lambda: self.crank.leader
        self._seed()

    def _seed(self) -> None:
        """The module record (no signature: it stands for our built-in Lua module) and a
        Scheduler-Location signed by the scheduler key, so aoconnect's checks pass."""
        if self.store.item(AOS_MODULE_ID) is None:
            with self.store.write() as tx:
                tx.put_item(
                    NewItem(
                        id=AOS_MODULE_ID,
                        signature_type=1,
                        signature="",
                        owner=MODULE_OWNER,
                        owner_key="",
                        target=None,
                        anchor=None,
                        tags=[{"name": n, "value": v} for n, v in MODULE_TAGS],
                        data=b"-- aos Lua process module (built into this node)\n",
                        raw=None,
                    ),
                    block_height_at(now_ms()),
                )
        url = self.settings.public_url.rstrip("/") + SU_PATH
        # Locations are indexed when stored (not lazily, like messages), so no
        # index_pending is needed before this query.
        current = self.store.query_items(
            f"seq IN (SELECT seq FROM item_refs WHERE role = {ROLE_OWNER} AND value = ?)"
            " AND seq IN (SELECT seq FROM item_tags WHERE name = 'Type'"
            " AND value = 'Scheduler-Location')",
            (self.su.address,),
            "seq DESC",
            1,
        )
        if current and current[0].tag("Url") == url:
            return
        location = create(
            signer=self.signer,
            data=" ",
            tags=[
                ("Data-Protocol", DATA_PROTOCOL),
                ("Variant", VARIANT),
                ("Type", "Scheduler-Location"),
                ("Url", url),
                ("Time-To-Live", LOCATION_TTL),
            ],
        )
        with self.store.write() as tx:
            tx.put_item(index_item(location, location.to_bytes()), block_height_at(now_ms()))

    def start(self) -> None:
        self.crank.start()

    def stop(self) -> None:
        self.crank.stop()
        self.store.close()
