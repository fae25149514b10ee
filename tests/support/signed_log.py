"""A signed log built by hand (no node): a spawn item, messages and SU assignments.

It follows §2.5/docs/protocol.md §3.2.6 of the protocol spec so that the log checks can be tested on
their own, and tampered with byte by byte, without starting a node.
"""

from __future__ import annotations

from dataclasses import replace

from aos.dataitem import DataItem, create
from aos.log.hashchain import first_hash_chain, next_hash_chain
from aos.protocol import AOS_MODULE_ID
from aos.verify.logcheck import LogEntry
from aos.wallet import Ed25519Signer

START_TS = 1_700_000_000_000


def assignment(
    su: Ed25519Signer, pid: str, nonce: int, chain: str, ts: int, message: str | None
) -> DataItem:
    tags = [
        ("Process", pid),
        ("Epoch", "0"),
        ("Nonce", str(nonce)),
        ("Hash-Chain", chain),
        ("Block-Height", "000001000000"),
        ("Timestamp", str(ts)),
        ("Data-Protocol", "ao"),
        ("Type", "Assignment"),
        ("Variant", "ao.TN.1"),
    ]
    if message is not None:
        tags.append(("Message", message))
    return create(signer=su, tags=tags, anchor=bytes(32))


def build_log(messages: int) -> tuple[DataItem, list[LogEntry]]:
    """A process with `messages` Eval messages after its spawn, all correctly chained."""
    user = Ed25519Signer.generate()
    su = Ed25519Signer.generate()
    process = create(
        signer=user,
        data="",
        tags=[
            ("Data-Protocol", "ao"),
            ("Variant", "ao.TN.1"),
            ("Type", "Process"),
            ("Module", AOS_MODULE_ID),
            ("Scheduler", su.address),
        ],
    )
    pid = process.id
    chain = first_hash_chain(pid)
    entries: list[LogEntry] = []
    for nonce in range(messages + 1):
        if nonce == 0:
            item = process
        else:
            item = create(
                signer=user,
                target=pid,
                data=f"x = {nonce}",
                tags=[
                    ("Data-Protocol", "ao"),
                    ("Variant", "ao.TN.1"),
                    ("Type", "Message"),
                    ("Action", "Eval"),
                ],
            )
        a = assignment(su, pid, nonce, chain, START_TS + nonce, None if nonce == 0 else item.id)
        entries.append(LogEntry(nonce, a, item))
        chain = next_hash_chain(a.id, chain)
    return process, entries


def flip(item: DataItem, offset: int) -> DataItem | None:
    """The item with one byte of its serialization flipped, re-parsed (None if unparseable)."""
    from aos.dataitem import parse
    from aos.errors import DataItemError

    raw = bytearray(item.to_bytes())
    raw[offset] ^= 0x01
    try:
        return parse(bytes(raw))
    except DataItemError:
        return None


def with_item(entry: LogEntry, item: DataItem | None) -> LogEntry:
    return replace(entry, item=item)
