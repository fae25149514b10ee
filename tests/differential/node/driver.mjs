// Runs scenarios through the official aos WASM module with @permaweb/ao-loader, the loader
// the reference compute unit uses, and prints one JSON result per message.
//
//   node --experimental-wasm-memory64 driver.mjs MODULE.wasm FORMAT SCENARIOS.json
//
// SCENARIOS.json is [{name, env, messages: [msg, ...]}, ...]; the first message of each is
// the process message. The module is compiled once; every scenario gets a fresh instance,
// so no state leaks between scenarios. The output (stdout) is
// [{name, results: [{Output, Messages, Spawns, Assignments, Error} | {Thrown, Printed}, ...]}, ...].
import AoLoader from "@permaweb/ao-loader"
import fs from "node:fs"

const [wasmPath, format, scenariosPath] = process.argv.slice(2)
const compiled = await WebAssembly.compile(fs.readFileSync(wasmPath))
// Emscripten's instantiateWasm hook: instantiate the module compiled above instead of
// compiling the binary again for every scenario.
const instantiate = (imports, done) => {
  WebAssembly.instantiate(compiled, imports).then((instance) => done(instance, compiled))
  return {}
}
const options = {
  format,
  memoryLimit: "1073741824",
  computeLimit: "9000000000000",
  // Results do not copy the heap (no memory is handed back between messages, see below).
  UNSAFE_MEMORY: true,
}

const pick = (r) => ({
  Output: r.Output ?? null,
  Messages: r.Messages ?? [],
  Spawns: r.Spawns ?? [],
  Assignments: r.Assignments ?? [],
  Error: r.Error ?? null,
})

// What the module prints itself (its C side writes "failed to call handle function" and
// the Lua error when encoding a result fails) is kept apart from the JSON on stdout: it
// goes into the message's result as Printed.
const writeOut = process.stdout.write.bind(process.stdout)
let printed = []
process.stdout.write = (chunk) => {
  printed.push(String(chunk))
  return true
}

const scenarios = JSON.parse(fs.readFileSync(scenariosPath, "utf8"))
const out = []
for (const scenario of scenarios) {
  const handle = await AoLoader(instantiate, { ...options })
  const results = []
  for (const msg of scenario.messages) {
    printed = []
    try {
      // No memory passed: the instance keeps its live heap from the previous message,
      // which is what a compute unit's reloaded memory would hold.
      results.push(pick(await handle(null, msg, scenario.env)))
    } catch (e) {
      results.push({ Thrown: String(e && e.message ? e.message : e), Printed: printed.join("") })
    }
  }
  out.push({ name: scenario.name, results })
}
writeOut(JSON.stringify(out))
