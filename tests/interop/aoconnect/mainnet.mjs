// Drives @permaweb/aoconnect in mainnet (HyperBEAM) mode against a node: reads a JSON config
// on stdin, prints one JSON object with what each call returned, for test_aoconnect.py.
import { connect, createSigner } from '@permaweb/aoconnect'

const input = JSON.parse(await new Promise((resolve) => {
  let text = ''
  process.stdin.on('data', (chunk) => { text += chunk })
  process.stdin.on('end', () => resolve(text))
}))

// No SCHEDULER: spawn asks the node for it (GET /~meta@1.0/info/address) and uses it as the
// authority too, as the console does.
const ao = connect({ MODE: 'mainnet', URL: input.url, signer: createSigner(input.jwk) })
const out = {}

const pid = await ao.spawn({
  module: input.module,
  tags: [{ name: 'Name', value: 'interop-mainnet' }],
  data: ''
})
out.process = pid
out.boot = await ao.result({ process: pid, slot: 0 })

async function evalLua (code) {
  const slot = await ao.message({ process: pid, tags: [{ name: 'Action', value: 'Eval' }], data: code })
  return { slot, result: await ao.result({ process: pid, slot }) }
}

out.evals = []
out.evals.push(await evalLua('x = 41'))
for (let i = 0; i < 3; i++) out.evals.push(await evalLua('x = x + 1; return x'))

// a message named by id instead of slot
const sent = await ao.message({
  process: pid,
  tags: [{ name: 'Action', value: 'Eval' }],
  data: 'return x * 2',
  returnMessageId: true,
  returnAssignmentSlot: true
})
out.byId = { sent, result: await ao.result({ process: pid, message: sent.id }) }

out.results = await ao.results({ process: pid })
out.dryrun = await ao.dryrun({ process: pid, tags: [{ name: 'Action', value: 'Eval' }], data: 'x = 1000; return x' })
out.after = await evalLua('return x')

const now = await ao.request({
  path: `/${pid}~process@1.0/now`,
  'signing-format': 'ans104',
  'accept-bundle': 'true',
  'require-codec': 'application/json'
})
out.now = { status: now.status, body: await now.json() }

process.stdout.write(JSON.stringify(out))
