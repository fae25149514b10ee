"""`--module NAME` against a gateway without GraphQL (as most HyperBEAM nodes): a sentence
saying to pass the id, not the HTTP status of a route the user never named."""

from __future__ import annotations

import httpx
import pytest

from aos.client import AoClient
from aos.errors import AosError
from aos.repl.connect import find_module
from aos.wallet import Wallet


def test_a_module_name_on_a_gateway_without_graphql_asks_for_the_id() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, text="no such route")

    http = httpx.Client(transport=httpx.MockTransport(handler))
    client = AoClient(http, mu_url="http://hb", cu_url="http://hb", gateway_url="http://hb",
                      wallet=Wallet.generate())  # fmt: skip
    with pytest.raises(AosError) as err:
        find_module(client, "aos-lua")
    assert str(err.value) == (
        "--module 'aos-lua': the gateway (http://hb) has no GraphQL to look a module up by "
        "Name; pass the module id (43 characters), or name a gateway with --gateway-url"
    )
