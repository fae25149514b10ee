"""The id rule: what a process, message or module id looks like, checked in one place.

An Arweave/ao id is the base64url text of 32 bytes: exactly 43 characters of A-Z a-z 0-9
`-` `_`, ASCII only (str.isalnum would let in letters and digits of any script). Leaf
module: the shell, the client and the node all check ids with it.
"""

from __future__ import annotations

import base64
import re

_ID = re.compile(r"[A-Za-z0-9_-]{43}")


def is_id(value: object) -> bool:
    """Whether `value` is a 43-character base64url id."""
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def canonical(value: str) -> str:
    """The one spelling of the 32 bytes a well-formed id stands for.

    43 characters hold 258 bits, so the last character carries two unused bits: `...A` and
    `...B` decode to the same bytes, but only the spelling with those bits clear is the
    id (what every signer and node produces); the other reaches nothing by name."""
    data = base64.urlsafe_b64decode(value + "=")
    return base64.urlsafe_b64encode(data).decode().rstrip("=")
