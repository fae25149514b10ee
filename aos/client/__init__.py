"""The ao protocol client: `AoClient` and the values it returns.

AoClient        spawn, message, eval, result(s), dryrun, monitor, assign, GraphQL lookups
                (the legacy MU/SU/CU protocol)
HyperBeamClient the same interface over one HyperBEAM node (the mainnet protocol)
Result          one evaluation (Output data and prompt, Error, outbox)
Edge, Page      the `/results` feed
TxInfo          a transaction as the gateway describes it
"""

from __future__ import annotations

from aos.client.ao import AoClient, Signer
from aos.client.gql import TxInfo
from aos.client.hyperbeam import HyperBeamClient
from aos.client.result import Edge, Page, Result, tag_value

__all__ = ["AoClient", "Edge", "HyperBeamClient", "Page", "Result", "Signer", "TxInfo", "tag_value"]
