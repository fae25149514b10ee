"""Process ids on the command line: a base64url id may begin with "-".

argparse takes any word that begins with "-" for an option, so `aos verify -Abc…` would
fail with "unrecognized arguments". A 43-character id is never an option name, so such
words are moved after a "--", where argparse reads them as positionals.
"""

from __future__ import annotations

import re

_ID = re.compile(r"^-[A-Za-z0-9_-]{42}$")


def ids_as_positionals(argv: list[str]) -> list[str]:
    """`argv` with every dash-led 43-character id moved behind a `--` separator."""
    if "--" in argv:
        return argv
    ids = [arg for arg in argv if _ID.match(arg)]
    if not ids:
        return argv
    return [*(arg for arg in argv if not _ID.match(arg)), "--", *ids]
