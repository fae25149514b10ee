"""Protocol facts shared by the client and the node (ao legacynet, `Variant: ao.TN.1`).

Facts from docs/protocol.md: constants, and the ao tag block every message and process
carries. Leaf module: it imports nothing, so every layer may use it.
"""

from __future__ import annotations

VARIANT = "ao.TN.1"
DATA_PROTOCOL = "ao"


def ao_tags(kind: str) -> list[tuple[str, str]]:
    """The ao tag block of an item of Type `kind` (Message, Process, Assignment…): the tags
    by which the MU and SU tell an ao item from any other data item (docs/protocol.md §1.7)."""
    return [("Data-Protocol", DATA_PROTOCOL), ("Variant", VARIANT), ("Type", kind)]


# The module id every aos console spawns with (aos 2.0.16). Our gateway is seeded with a
# module record under this id and our compute unit runs our own Lua process library for it,
# so both our shell and the official console/aoconnect can spawn without a module upload.
AOS_MODULE_ID = "ISShJH1ij-hPPt9St5UFFr_8Ys3Kj5cyg7zrMGt7H9s"
# The scheduler address aos uses by default in legacy mode; our MU routes it to the local SU.
AOS_LEGACY_SCHEDULER = "_GQ33BkPtZrqxA84vM8Zk-N2aO0toNNu_C-l-rawrBA"
# The scheduler the aos console names by default in its HyperBEAM (mainnet) mode
# (docs/compat.md): a spawn pushed here with it is scheduled here, as the legacy one is.
AOS_MAINNET_SCHEDULER = "n_XZJhUnmldNFo4dhajoPZWhBXuJk-OcQr5JQ49c4Zo"
# The authority aos legacy hard-codes on spawn.
AOS_LEGACY_AUTHORITY = "fcoN_xJeisVsPXA-trzVAuIiqO3ydLQxM-L4XbrQKzY"

# Tags whose value the messenger decides when it pushes a process's outbox (docs/protocol.md
# §2.3, §2.4; `Forwarded-By` is the compute unit's msg field of §4.1, never a tag). No sender
# may set them: a copy in any letter case would reach a process as the node's own value, since
# the process library compares tag names as `tag_key` does.
NODE_TAGS = ("From-Process", "From-Module", "Pushed-For", "Forwarded-By")


def tag_key(name: str) -> str:
    """A tag name as the process library compares it: its `utils.normalize` Title-Cases a
    name after mapping `_` to `-`, so `from_process`, `FROM-PROCESS` and `From-Process` are
    one name to a process."""
    return name.replace("_", "-").lower()


MODULE_TAGS: list[tuple[str, str]] = [
    ("Data-Protocol", DATA_PROTOCOL),
    ("Variant", VARIANT),
    ("Type", "Module"),
    ("Module-Format", "lua53-aos-python"),
    ("Input-Encoding", "JSON-1"),
    ("Output-Encoding", "JSON-1"),
    ("Content-Type", "text/x-lua"),
    ("Name", "aos-lua"),
    ("Memory-Limit", "256-mb"),
    ("Compute-Limit", "9000000000000"),
]

DEFAULT_PORT = 8734
# URL prefixes of the units when one server hosts them all (`aos serve`, embedded mode).
MU_PATH = "/mu"
SU_PATH = "/su"
CU_PATH = "/cu"
GATEWAY_PATH = ""  # the gateway sits at the root: aos builds GraphQL as new URL('/graphql', …)
# The base URL of the embedded node: no socket behind it, only the in-process transport; the
# node also signs it into its Scheduler-Location until `aos serve` gives it a real one.
EMBEDDED_BASE_URL = "http://aos.local"
# Local blocks are two minutes long (a local block height is derived from the clock).
LOCAL_BLOCK_MS = 120_000
