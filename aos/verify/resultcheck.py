"""Checks of the stored results on their own: each hash and the chain, recomputed.

A compute unit stores, per evaluation, the result JSON, its hash and the chain hash
(aos.log.resulthash). Before any replay, the stored hashes must at least agree with the stored
JSON and with each other; a changed byte in a stored result is caught here even if the
replay were never run.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from aos.log.resulthash import GENESIS_CHAIN, chain_hash, result_hash
from aos.verify.logcheck import Problem
from aos.verify.source import StoredResult


def check_results(results: Sequence[StoredResult]) -> Problem | None:
    """The first stored result whose position, hash or chain hash is wrong (None if all agree)."""
    chain = GENESIS_CHAIN
    for position, stored in enumerate(results):
        where = (stored.ordinate, stored.message_id or None)
        if stored.position != position:
            return Problem(
                *where,
                f"stored result number {position} is at position "
                f"{stored.position}: results are missing or out of order",
            )
        try:
            value = json.loads(stored.result_json)
        except ValueError:
            return Problem(*where, "the stored result is not valid JSON")
        if not isinstance(value, dict):
            return Problem(*where, "the stored result is not a JSON object")
        if result_hash(value) != stored.result_hash:
            return Problem(*where, "the stored result does not match its stored result hash")
        chain = chain_hash(chain, stored.result_hash)
        if chain != stored.chain_hash:
            return Problem(
                *where, "the stored chain hash does not follow from the results before it"
            )
    return None
