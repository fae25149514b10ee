"""The gateway's GraphQL schema and resolvers (docs/protocol.md §5.1), executed by graphql-core.

The schema is the subset of the Arweave gateway's that ao clients query: `transactions`
with ids/owners/recipients/tags/block filters, cursors and sort; `transaction`; `blocks`.
Local blocks are synthetic (two-minute heights from aos.node.units.su); an item's block is the
one current when the node stored it. Cursors are base64url of the item's storage sequence.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    build_schema,
    execute_sync,
    parse,
    validate,
)

from aos.clock import block_height_at, block_timestamp, now_ms
from aos.errors import NodeError
from aos.log.records import Item
from aos.log.schema import ROLE_OWNER, ROLE_TARGET
from aos.node.store import Store

SDL = """
type Query {
  transactions(ids: [ID!], owners: [String!], recipients: [String!], tags: [TagFilter!],
    bundledIn: [ID!], block: BlockFilter, ingested_at: RangeFilter, first: Int = 10,
    after: String, sort: SortOrder = HEIGHT_DESC): TransactionConnection!
  transaction(id: ID!): Transaction
  blocks(ids: [ID!], height: BlockFilter, first: Int = 10, after: String,
    sort: SortOrder = HEIGHT_DESC): BlockConnection!
  block(id: String): Block
}
input TagFilter { name: String!, values: [String!]!, op: TagOperator = EQ, match: TagMatch = EXACT }
enum TagOperator { EQ NEQ }
enum TagMatch { EXACT WILDCARD FUZZY_AND FUZZY_OR }
input BlockFilter { min: Int, max: Int }
input RangeFilter { min: Int, max: Int }
enum SortOrder { HEIGHT_ASC HEIGHT_DESC INGESTED_AT_ASC INGESTED_AT_DESC }
type PageInfo { hasNextPage: Boolean! }
type TransactionConnection { pageInfo: PageInfo!, edges: [TransactionEdge!]!, count: Int }
type TransactionEdge { cursor: String!, node: Transaction! }
type Transaction {
  id: ID!, anchor: String!, signature: String!, recipient: String!, owner: Owner!,
  fee: Amount!, quantity: Amount!, data: MetaData!, tags: [Tag!]!, block: Block,
  parent: Parent, bundledIn: Bundle, ingested_at: Int
}
type Owner { address: String!, key: String! }
type Amount { winston: String!, ar: String! }
type MetaData { size: String!, type: String }
type Tag { name: String!, value: String! }
type Block { id: ID!, timestamp: Int!, height: Int!, previous: ID! }
type Parent { id: ID! }
type Bundle { id: ID! }
type BlockConnection { pageInfo: PageInfo!, edges: [BlockEdge!]! }
type BlockEdge { cursor: String!, node: Block! }
"""

SCHEMA: GraphQLSchema = build_schema(SDL)
MAX_FIRST = 1000
_ZERO = {"winston": "0", "ar": "0.000000000000"}

# Counting a filter's matches stops here: enough to tell a small set from a big one.
SELECTIVITY_CAP = 1000
# What one request may ask for: the queries of docs/protocol.md §5.1 are far below these.
# A document is parsed under these caps before anything else (graphql-core reports a
# nesting beyond the recursion limit as a syntax error); root fields are capped because
# each one is a query of up to MAX_FIRST items (aliases repeat them).
MAX_QUERY_CHARS = 65_536
MAX_TOKENS = 10_000
MAX_ROOT_FIELDS = 8


def block_id(height: int) -> str:
    digest = hashlib.sha256(b"aos-local-block:%d" % height).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def block_node(height: int) -> dict[str, Any]:
    return {
        "id": block_id(height),
        "timestamp": block_timestamp(height),
        "height": height,
        "previous": block_id(height - 1),
    }


def _cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(str(seq).encode()).decode().rstrip("=")


def _uncursor(value: str) -> int:
    try:
        seq = int(base64.urlsafe_b64decode(value[:64] + "=" * (-len(value[:64]) % 4)).decode())
    except (ValueError, UnicodeDecodeError):
        seq = -1
    if not 0 <= seq < 2**63:
        raise NodeError(f"after must be a cursor from a previous page, got {value[:60]!r}")
    return seq


def tx_node(item: Item) -> dict[str, Any]:
    return {
        "id": item.id,
        "anchor": item.anchor or "",
        "signature": item.signature,
        "recipient": item.target or "",
        "owner": {"address": item.owner, "key": item.owner_key},
        "fee": _ZERO,
        "quantity": _ZERO,
        "data": {"size": str(len(item.data)), "type": item.tag("Content-Type")},
        "tags": item.tags,
        "block": block_node(item.block_height),
        "parent": None,
        "bundledIn": None,
        "ingested_at": item.created_at // 1000,
    }


class Resolvers:
    """Root value for graphql-core: the default resolver calls these with (info, **args)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def transactions(self, info: Any, **args: Any) -> dict[str, Any]:
        where: list[str] = []
        params: list[Any] = []

        def within(column: str, values: list[str]) -> None:
            where.append(f"{column} IN ({','.join('?' * len(values))})")
            params.extend(values)

        if args.get("ids"):
            within("id", list(args["ids"]))
        owners = [o for o in args.get("owners") or [] if o]  # aos passes ["<addr>", ""]
        # Each filter is a set of seqs in an index: (FROM … WHERE …, its parameters).
        sets: list[tuple[str, list[Any]]] = []
        for role, values in ((ROLE_OWNER, owners), (ROLE_TARGET, args.get("recipients") or [])):
            if values:
                marks = ",".join("?" * len(values))
                sets.append((f"item_refs WHERE role = {role} AND value IN ({marks})", values))
        negated: list[tuple[str, list[Any]]] = []
        for f in args.get("tags") or []:
            values = list(f["values"])
            found = f"item_tags WHERE name = ? AND value IN ({','.join('?' * len(values))})"
            (negated if f.get("op") == "NEQ" else sets).append((found, [f["name"], *values]))
        # A small set drives the query (its seqs, then each item checked against the other
        # sets through their indexes); when every set is big, items are walked in the
        # asked order and checked, which LIMIT ends early. Either way an owner's 100,000
        # messages are never read to find the one with a given Name.
        cap = SELECTIVITY_CAP
        sizes = [self.store.count_capped(f"SELECT seq FROM {f}", v, cap) for f, v in sets]
        order = sorted(range(len(sets)), key=sizes.__getitem__)
        for rank, i in enumerate(order):
            found, values = sets[i]
            if rank == 0 and sizes[i] < cap:
                where.append(f"seq IN (SELECT seq FROM {found})")
            else:
                where.append(f"EXISTS (SELECT 1 FROM {found} AND seq = items.seq)")
            params.extend(values)
        for found, values in negated:
            where.append(f"NOT EXISTS (SELECT 1 FROM {found} AND seq = items.seq)")
            params.extend(values)
        block = args.get("block") or {}
        if block.get("min") is not None:
            where.append("block_height >= ?")
            params.append(block["min"])
        if block.get("max") is not None:
            where.append("block_height <= ?")
            params.append(block["max"])
        ascending = str(args.get("sort") or "HEIGHT_DESC").endswith("ASC")
        if args.get("after"):
            where.append("seq > ?" if ascending else "seq < ?")
            params.append(_uncursor(args["after"]))
        first = max(0, min(int(args.get("first") or 10), MAX_FIRST))
        items = self.store.query_items(
            " AND ".join(where) or "1", params, "seq ASC" if ascending else "seq DESC", first + 1
        )
        return {
            "pageInfo": {"hasNextPage": len(items) > first},
            "edges": [{"cursor": _cursor(i.seq), "node": tx_node(i)} for i in items[:first]],
            "count": None,
        }

    def transaction(self, info: Any, id: str) -> dict[str, Any] | None:
        item = self.store.item(id)
        return None if item is None else tx_node(item)

    def blocks(self, info: Any, **args: Any) -> dict[str, Any]:
        current = block_height_at(now_ms())
        height = args.get("height") or {}
        low = max(0, height.get("min") or 0)
        high = min(current, height["max"]) if height.get("max") is not None else current
        ascending = str(args.get("sort") or "HEIGHT_DESC").endswith("ASC")
        if args.get("after"):
            try:
                after = int(args["after"])
            except ValueError:
                raise NodeError("after must be a block cursor (a height)") from None
            low, high = (max(low, after + 1), high) if ascending else (low, min(high, after - 1))
        first = max(0, min(int(args.get("first") or 10), MAX_FIRST))
        heights = range(low, high + 1) if ascending else range(high, low - 1, -1)
        page = list(heights[: first + 1])
        return {
            "pageInfo": {"hasNextPage": len(page) > first},
            "edges": [{"cursor": str(h), "node": block_node(h)} for h in page[:first]],
        }

    def block(self, info: Any, id: str | None = None) -> dict[str, Any] | None:
        return block_node(block_height_at(now_ms()))


def execute(
    store: Store, query: str, variables: dict[str, Any] | None, operation: str | None
) -> tuple[dict[str, Any], bool]:
    """Run a GraphQL request; returns (response body, whether it had errors)."""
    try:
        document = parse(
            query,
            max_lexical_tokens=MAX_TOKENS,
            max_comments=MAX_TOKENS,
            max_source_length=MAX_QUERY_CHARS,
        )
    except GraphQLError as err:
        return {"data": None, "errors": [err.formatted]}, True
    problems = validate(SCHEMA, document)
    roots = max(
        (
            len(d.selection_set.selections)
            for d in document.definitions
            if isinstance(d, OperationDefinitionNode)
        ),
        default=0,
    )
    if roots > MAX_ROOT_FIELDS:
        problems.append(
            GraphQLError(f"an operation may select at most {MAX_ROOT_FIELDS} root fields")
        )
    if problems:
        return {"data": None, "errors": [e.formatted for e in problems]}, True
    store.index_pending()  # messages are indexed lazily; make the answer complete
    result = execute_sync(
        SCHEMA,
        document,
        root_value=Resolvers(store),
        variable_values=variables,
        operation_name=operation,
    )
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [e.formatted for e in result.errors]
    return body, bool(result.errors)
