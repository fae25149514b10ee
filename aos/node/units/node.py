"""One local ao node over one data directory: the store, the four units and the crank.

`Node(data_dir)` opens (or creates) the SQLite log and the node keys, seeds the gateway
with the module record and the scheduler's Scheduler-Location, and wires the messenger,
scheduler and compute unit together. The ASGI app (aos.node.http.app) is a thin HTTP layer
over this object; tests may use it directly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from aos.clock import block_height_at, now_ms
from aos.dataitem import create
from aos.limits import BODY_TIMEOUT, MAX_ITEM_BYTES
from aos.log.evaluator import MODULE_OWNER
from aos.log.records import NewItem, new_item
from aos.log.runtimes import RuntimeFactory, default_runtime, restore_runtime
from aos.log.schema import ROLE_OWNER
from aos.log.snapshots import snapshot_key
from aos.node.store import Store
from aos.node.units.authority import Authority
from aos.node.units.crank import Crank
from aos.node.units.cu import ComputeUnit
from aos.node.units.keys import SCHEDULER_FILE, WALLET_FILE, load_node_keys
from aos.node.units.mu import Messenger
from aos.node.units.quarantine import FlightRecorder, count_deaths
from aos.node.units.quota import Quota
from aos.node.units.states import DEFAULT_MEMORY_BUDGET
from aos.node.units.su import Scheduler
from aos.protocol import AOS_MODULE_ID, EMBEDDED_BASE_URL, MODULE_TAGS, SU_PATH, ao_tags

DEFAULT_PUBLIC_URL = EMBEDDED_BASE_URL
# How long clients may cache the Scheduler-Location (ms); the record is re-signed whenever
# the node starts with another public URL.
LOCATION_TTL = "86400000"


@dataclass
class NodeSettings:
    public_url: str = DEFAULT_PUBLIC_URL
    max_body: int = MAX_ITEM_BYTES
    body_timeout: float = BODY_TIMEOUT
    # Requests that evaluate in the HTTP process (dry-runs, /cu/state, /cu/cron): threads
    # of their own, and how many may run or wait per process and in all (then 503).
    evaluation_threads: int = 1
    evaluations_per_process: int = 2
    evaluations_total: int = 8
    # Dry-runs in an OS process of their own (aos.node.http.replica): `aos serve` does.
    dry_run_process: bool = False
    # Check the database file before opening it (the children of aos serve leave it to
    # the supervisor, which checked it a moment before).
    check_store: bool = True
    # False in the HTTP workers of a multi-process `aos serve`: they never hold the crank
    # and never evaluate a message for /cu/result (the supervisor's evaluating process
    # does, and is restarted if a message ends it).
    evaluates: bool = True
    # Bytes of Lua memory the compute unit's live process states may hold together.
    memory_budget: int = DEFAULT_MEMORY_BUDGET
    scan_interval: float = 1.0
    runtime_factory: RuntimeFactory = field(default=default_runtime)
    # Snapshots restore with the node's own runtime only (a custom factory replays).
    snapshots: bool = True


class Node:
    def __init__(self, data_dir: Path, settings: NodeSettings | None = None) -> None:
        self.settings = settings or NodeSettings()
        self.data_dir = Path(data_dir)
        # The key files tell a lost log from a new node (aos.node.store.integrity).
        self.store = Store(
            self.data_dir, check=self.settings.check_store, identity=(WALLET_FILE, SCHEDULER_FILE)
        )
        self.wallet, self.signer = load_node_keys(self.data_dir)
        self.su = Scheduler(self.store, self.signer)
        own_runtime = self.settings.runtime_factory is default_runtime
        self.cu = ComputeUnit(
            self.store,
            self.settings.runtime_factory,
            restorer=restore_runtime if self.settings.snapshots and own_runtime else None,
            snapshot_key=snapshot_key(self.data_dir, create=True),
            memory_budget=self.settings.memory_budget,
        )
        self.crank = Crank(self.store, self.cu, scan_interval=self.settings.scan_interval)
        self.authority = Authority(self.store, self.wallet.address, self.su.address)
        self.su.quota = Quota(self.authority)
        self.mu = Messenger(self.store, self.su, self.wallet, self.crank.wake, self.authority)
        self.crank.mu = self.mu
        self.cu.on_outbox = self.crank.wake
        self.cu.on_unsettled = self.crank.wake
        self.cu.is_leader = lambda: self.crank.leader
        self.recorder = FlightRecorder(self.data_dir)
        self.cu.recorder = self.recorder
        self.crank.on_lead = self._count_deaths
        if not self.settings.evaluates:
            self.crank.may_lead = False
            self.cu.on_demand = False
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
            anchor=os.urandom(16).hex(),
            tags=[*ao_tags("Scheduler-Location"), ("Url", url), ("Time-To-Live", LOCATION_TTL)],
        )
        with self.store.write() as tx:
            tx.put_item(new_item(location, location.to_bytes()), block_height_at(now_ms()))

    def _count_deaths(self) -> None:
        """This OS process just took the crank: what did the last holder leave running?"""
        for pid in count_deaths(self.store, self.recorder):
            self.cu.drop(pid)

    def start(self) -> None:
        self.crank.start()

    def stop(self) -> None:
        self.crank.stop()
        self.store.close()
        self.recorder.close()
