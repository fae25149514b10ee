"""The SQLite schema of the node's log (`node.sqlite3`), versioned with PRAGMA user_version.

Tables: items (every data item the node holds, as its signed bytes: aos.log.stored;
owner_keys holds each signer's key once; its tags in item_tags and its owner and
target in item_refs, for GraphQL: filled at once for spawns and uploads, in batches for
messages, see Store.index_pending), meta (the batch indexer's mark), processes (one row
each, with the head of its schedule), schedule (one row per nonce: the assignment and the
message it orders), results (one row per evaluation, with its result hash and chain
hash), claims (exactly-once pushes by the crank), monitors, snapshots (process states at
message boundaries, see docs/snapshots.md: an optimisation, never a source of truth),
process_load (where each process's evaluation stands and its Lua memory after it, for the
admission quota; not part of the log, never replayed), evaluator_deaths and verdicts
(messages that ended the OS process evaluating them, and the results the node decided for
those that did so too often: aos.log.verdicts).
"""

from __future__ import annotations

SCHEMA_VERSION = 5
# Version 5 added process_load (the admission quota's figures), evaluator_deaths and
# verdicts (the quarantine, aos.log.verdicts): new tables only, created on open, so a
# version 4 directory is upgraded in place by creating them (aos.node.store.migrate).
# Version 4 keeps each item once (aos.log.stored): its signed bytes without the owner key,
# which is kept once per signer in owner_keys; the decoded columns (signature, owner,
# owner_key, target, anchor, tags, data, raw) are gone, and so is results_message, an index
# no query used. A message went from 6.3 to under 3 KB. Older directories are rewritten in
# place (aos.node.store.migrate) and vacuumed once.
# Version 3 added the snapshots table and an index on results' ordinates (the result of a
# nonce was found by scanning a process's results); both are created on open, so a version
# 2 directory needs nothing else.
# Version 2 dropped four indexes that every message paid for in its transaction (~30% of
# the pages a message writes): owner and target moved to item_refs (filled lazily, like
# the tags), the pending-tags index gave way to the mark in meta, and time lookups in a
# schedule bisect the nonces (timestamps increase with them). `items.tags_indexed` stays,
# so a version 1 directory is upgraded in place (Store._migrate).
OLD_INDEXES = ("items_unindexed", "items_owner", "items_target", "schedule_time")
ROLE_OWNER = 1
ROLE_TARGET = 2
DB_NAME = "node.sqlite3"

SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    signer INTEGER NOT NULL,
    body BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    block_height INTEGER NOT NULL,
    tags_indexed INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS owner_keys (
    signer INTEGER PRIMARY KEY,
    key BLOB NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS item_tags (
    seq INTEGER NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS item_tags_nv ON item_tags(name, value, seq);
CREATE TABLE IF NOT EXISTS item_refs (
    seq INTEGER NOT NULL,
    role INTEGER NOT NULL,
    value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS item_refs_rv ON item_refs(role, value, seq);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT OR IGNORE INTO meta (key, value) VALUES ('indexed_seq', 0);
CREATE TABLE IF NOT EXISTS processes (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    module TEXT NOT NULL,
    scheduler TEXT NOT NULL,
    head_nonce INTEGER NOT NULL,
    head_timestamp INTEGER NOT NULL,
    head_block_height INTEGER NOT NULL,
    head_hash_chain TEXT NOT NULL,
    head_assignment_id TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS schedule (
    process TEXT NOT NULL,
    nonce INTEGER NOT NULL,
    timestamp INTEGER NOT NULL,
    block_height INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    hash_chain TEXT NOT NULL,
    assignment_id TEXT NOT NULL UNIQUE,
    assignment_raw BLOB NOT NULL,
    message_id TEXT NOT NULL,
    assigned INTEGER NOT NULL,
    PRIMARY KEY (process, nonce),
    UNIQUE (process, message_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS results (
    process TEXT NOT NULL,
    position INTEGER NOT NULL,
    ordinate INTEGER NOT NULL,
    cron TEXT NOT NULL,
    message_id TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    block_height INTEGER NOT NULL,
    error INTEGER NOT NULL,
    has_outbox INTEGER NOT NULL,
    cranked INTEGER NOT NULL DEFAULT 0,
    result TEXT NOT NULL,
    result_hash TEXT NOT NULL,
    chain_hash TEXT NOT NULL,
    PRIMARY KEY (process, position),
    UNIQUE (process, timestamp, ordinate, cron)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS results_pending ON results(process, position)
    WHERE cranked = 0 AND has_outbox = 1;
CREATE TABLE IF NOT EXISTS claims (
    key TEXT PRIMARY KEY,
    item_id TEXT NOT NULL,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS results_ordinate ON results(process, ordinate);
CREATE TABLE IF NOT EXISTS snapshots (
    process TEXT NOT NULL,
    nonce INTEGER NOT NULL,
    position INTEGER NOT NULL,
    chain_hash TEXT NOT NULL,
    state_hash TEXT NOT NULL,
    evaluator TEXT NOT NULL,
    data BLOB NOT NULL,
    mac TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS snapshots_at ON snapshots(process, nonce);
CREATE TABLE IF NOT EXISTS monitors (
    process TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS evaluator_deaths (
    process TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    ordinate INTEGER NOT NULL,
    cron TEXT NOT NULL,
    deaths INTEGER NOT NULL,
    last_at INTEGER NOT NULL,
    PRIMARY KEY (process, timestamp, ordinate, cron)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS verdicts (
    process TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    ordinate INTEGER NOT NULL,
    cron TEXT NOT NULL,
    error TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (process, timestamp, ordinate, cron)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS process_load (
    process TEXT PRIMARY KEY,
    nonce INTEGER NOT NULL,
    memory INTEGER NOT NULL
) WITHOUT ROWID;
"""

# The column lists every SELECT of a record reads, in the order the decoders of
# aos.log.records take them (the store and the read-only reader both use these).
# An item's columns (decoded by aos.log.records.item_from_row) and the join they need;
# the table names are spelled out because the GraphQL resolver's filters say `items.seq`.
ITEM_COLS = "items.seq, items.id, owner_keys.key, items.body, items.created_at, items.block_height"
ITEM_JOIN = "LEFT JOIN owner_keys ON owner_keys.signer = items.signer"
ENTRY_COLS = (
    "process, nonce, timestamp, block_height, epoch, hash_chain, assignment_id, message_id, "
    "assigned"
)
HEAD_SQL = (
    "SELECT id, owner, module, scheduler, head_nonce, head_timestamp, head_block_height,"
    " head_hash_chain, head_assignment_id FROM processes WHERE id = ?"
)
RESULT_COLS = (
    "process, position, ordinate, cron, message_id, timestamp, block_height, error, result, "
    "result_hash, chain_hash"
)
VERDICT_SQL = "SELECT timestamp, ordinate, cron, error FROM verdicts WHERE process = ?"
SNAPSHOT_COLS = "process, nonce, position, chain_hash, state_hash, evaluator, data, mac"
# What a SELECT reads: the bytes as a BLOB even if a damaged row holds them as text.
SNAPSHOT_READ = (
    "process, nonce, position, chain_hash, state_hash, evaluator, CAST(data AS BLOB), mac"
)
