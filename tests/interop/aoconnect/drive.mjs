// Drives @permaweb/aoconnect (legacy mode) against a node: reads a JSON config on stdin,
// prints one JSON object with what each call returned, for test_aoconnect.py to assert.
import { connect, createDataItemSigner } from '@permaweb/aoconnect'

const input = JSON.parse(await new Promise((resolve) => {
  let text = ''
  process.stdin.on('data', (chunk) => { text += chunk })
  process.stdin.on('end', () => resolve(text))
}))

const ao = connect({
  MODE: 'legacy',
  MU_URL: input.mu,
  CU_URL: input.cu,
  GATEWAY_URL: input.gateway,
  noLog: true
})
const signer = createDataItemSigner(input.jwk)
const out = {}

const pid = await ao.spawn({
  module: input.module,
  scheduler: input.scheduler,
  signer,
  tags: [
    { name: 'Name', value: 'interop' },
    { name: 'Authority', value: input.authority }
  ]
})
out.process = pid
out.boot = await ao.result({ process: pid, message: pid })

async function evalLua (code) {
  const id = await ao.message({ process: pid, signer, tags: [{ name: 'Action', value: 'Eval' }], data: code })
  return { id, result: await ao.result({ process: pid, message: id }) }
}

out.evals = []
out.evals.push(await evalLua('x = 41'))
for (let i = 0; i < 4; i++) out.evals.push(await evalLua('x = x + 1; return x'))

// results, paged forward with cursors
const first = await ao.results({ process: pid, sort: 'ASC', limit: 2 })
const second = await ao.results({ process: pid, from: first.edges[first.edges.length - 1].cursor, sort: 'ASC', limit: 2 })
const last = await ao.results({ process: pid, sort: 'DESC', limit: 1 })
out.results = { first, second, last }

// dryrun: sees the state, changes nothing
out.dryrun = await ao.dryrun({
  process: pid,
  Owner: input.address,
  tags: [{ name: 'Action', value: 'Eval' }],
  data: 'x = 1000; return x'
})
out.after = await evalLua('return x')

process.stdout.write(JSON.stringify(out))
