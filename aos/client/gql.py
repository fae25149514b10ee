"""The GraphQL documents the shell sends to a gateway (docs/protocol.md §5.1) and how it reads them.

Names go in as variables, never spliced into the query text (aos's query breaks on a `"`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aos.client.result import JsonDict, tag_value

FIND_BY_NAME = """
query FindProcess($owners: [String!], $name: String!) {
  transactions(first: 100, owners: $owners, tags: [
    {name: "Data-Protocol", values: ["ao"]}, {name: "Type", values: ["Process"]},
    {name: "Name", values: [$name]}]) {
    edges { node { id owner { address } tags { name value } } }
  }
}"""

FIND_MODULE = """
query FindModule($name: String!) {
  transactions(first: 100, tags: [
    {name: "Data-Protocol", values: ["ao"]}, {name: "Type", values: ["Module"]},
    {name: "Name", values: [$name]}]) {
    edges { node { id owner { address } tags { name value } } }
  }
}"""

LIST_OWNED = """
query ListProcesses($owners: [String!]) {
  transactions(first: 100, owners: $owners, tags: [
    {name: "Data-Protocol", values: ["ao"]}, {name: "Type", values: ["Process"]}]) {
    edges { node { id owner { address } tags { name value } } }
  }
}"""

BY_IDS = """
query ById($ids: [ID!]) {
  transactions(ids: $ids) { edges { node { id owner { address } recipient tags { name value } } } }
}"""

PUSHED_FOR = """
query PushedFor($id: String!) {
  transactions(first: 100, tags: [{name: "Pushed-For", values: [$id]}]) {
    edges { node { id recipient tags { name value } } }
  }
}"""


@dataclass(frozen=True)
class TxInfo:
    """A transaction as the gateway describes it: id, owner, target and tags."""

    id: str
    owner: str
    recipient: str
    tags: list[tuple[str, str]]

    def tag(self, name: str) -> str | None:
        return tag_value([{"name": k, "value": v} for k, v in self.tags], name)

    @property
    def name(self) -> str:
        return self.tag("Name") or ""

    @property
    def created_ms(self) -> int | None:
        """The spawn's `Timestamp` tag (aoconnect ≥0.0.88 and our client set it)."""
        value = self.tag("Timestamp")
        return int(value) if value and value.isdigit() else None


def parse_transactions(data: JsonDict) -> list[TxInfo]:
    """The nodes of a `transactions` connection, newest first as the gateway sorted them."""
    connection: Any = data.get("transactions") or {}
    out = []
    for edge in connection.get("edges") or []:
        node = edge.get("node") if isinstance(edge, dict) else None
        if not isinstance(node, dict) or not isinstance(node.get("id"), str):
            continue
        owner = node.get("owner")
        tags = [
            (str(t.get("name", "")), str(t.get("value", "")))
            for t in node.get("tags") or []
            if isinstance(t, dict)
        ]
        out.append(
            TxInfo(
                id=node["id"],
                owner=str(owner.get("address", "")) if isinstance(owner, dict) else "",
                recipient=str(node.get("recipient") or ""),
                tags=tags,
            )
        )
    return out
