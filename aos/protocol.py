"""Protocol constants shared by the client and the node (ao legacynet, `Variant: ao.TN.1`).

Facts from ../shared/spec/ao-protocol.md; no logic here, so every layer may import it.
"""

from __future__ import annotations

VARIANT = "ao.TN.1"
DATA_PROTOCOL = "ao"

# The module id every aos console spawns with (aos 2.0.16). Our gateway is seeded with a
# module record under this id and our compute unit runs our own Lua process library for it,
# so both our shell and the official console/aoconnect can spawn without a module upload.
AOS_MODULE_ID = "ISShJH1ij-hPPt9St5UFFr_8Ys3Kj5cyg7zrMGt7H9s"
# The scheduler address aos uses by default in legacy mode; our MU routes it to the local SU.
AOS_LEGACY_SCHEDULER = "_GQ33BkPtZrqxA84vM8Zk-N2aO0toNNu_C-l-rawrBA"
# The authority aos legacy hard-codes on spawn.
AOS_LEGACY_AUTHORITY = "fcoN_xJeisVsPXA-trzVAuIiqO3ydLQxM-L4XbrQKzY"

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
