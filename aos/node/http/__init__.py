"""The node's HTTP surface: the ao protocol of the MU, SU, CU and gateway as one ASGI app.

Runs wherever the node answers requests: in the embedded shell (through the in-process
transport of `embedded`, no socket), in a single-process `aos serve` (uvicorn in the same
process), and in each HTTP worker of a multi-process `aos serve` (whose items go to the
supervisor through an `Admitter`). It never imports aos.node.serve.

    app       the ASGI app: prefix routing, CORS, the messenger's fast path, the lifespan
    mu su cu  the routes of each unit (docs/protocol.md §3)
    gateway   GraphQL, raw data, network info, uploads (docs/protocol.md §5)
    gql       the GraphQL schema and resolvers, imported on the first query
    web       bodies with limits and timeouts, parameters, JSON answers, errors to statuses
    embedded  the app behind an httpx client on a loop thread: the shell's default node
    wire      uvicorn's HTTP protocol with JSON answers to malformed requests (aos serve)
"""
