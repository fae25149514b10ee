"""The id rule: what a process, message or module id looks like, checked in one place.

An Arweave/ao id is the base64url text of 32 bytes: exactly 43 characters of A-Z a-z 0-9
`-` `_`, ASCII only (str.isalnum would let in letters and digits of any script). Leaf
module: the shell, the client and the node all check ids with it.
"""

from __future__ import annotations

import re

_ID = re.compile(r"[A-Za-z0-9_-]{43}")


def is_id(value: object) -> bool:
    """Whether `value` is a 43-character base64url id."""
    return isinstance(value, str) and _ID.fullmatch(value) is not None
