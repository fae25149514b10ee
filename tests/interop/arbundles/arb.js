// Drives @dha-team/arbundles for tests/interop/arbundles/test_arbundles.py.
//
//   node arb.js verify < items.json   items: [{"raw": base64}]
//     -> [{valid, id, signatureType, owner, target, anchor, tags, data}] (binary fields base64)
//   node arb.js sign < request.json   {"jwk"?, "ed25519"?: {seed, pub}, "ethereum"?: hex,
//                                     "items": [{"signer", "data", "target"?, "anchor"?, "tags"?}]}
//     -> [{raw, id}]  (data is base64; anchor is text, as aoconnect passes it)
"use strict";

// The package root also loads its file module, which needs axios (not a declared
// dependency); the core entry point is the same code aoconnect's DataItem comes from.
const arbundles = require("@dha-team/arbundles/build/node/cjs/src/index");
const bs58 = require("bs58");

const { ArweaveSigner, EthereumSigner, SolanaSigner, DataItem, createData } = arbundles;
const b64 = (buf) => Buffer.from(buf).toString("base64");

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on("data", (c) => chunks.push(c));
    process.stdin.on("end", () => resolve(JSON.parse(Buffer.concat(chunks).toString("utf8"))));
    process.stdin.on("error", reject);
  });
}

async function verify(items) {
  const out = [];
  for (const { raw } of items) {
    const buf = Buffer.from(raw, "base64");
    let valid = false;
    let error = null;
    try {
      valid = await DataItem.verify(buf);
    } catch (err) {
      error = String(err && err.message ? err.message : err);
    }
    if (!valid) {
      out.push({ valid, error });
      continue;
    }
    const item = new DataItem(buf);
    out.push({
      valid: valid && (await item.isValid()),
      id: item.id,
      signatureType: item.signatureType,
      owner: b64(item.rawOwner),
      target: b64(item.rawTarget),
      anchor: b64(item.rawAnchor),
      tags: item.tags.map((t) => [t.name, t.value]),
      data: b64(item.rawData),
    });
  }
  return out;
}

function signers(request) {
  const result = {};
  if (request.jwk) result.arweave = new ArweaveSigner(request.jwk);
  if (request.ed25519) {
    const { seed, pub } = request.ed25519;
    const secret = Buffer.concat([Buffer.from(seed, "hex"), Buffer.from(pub, "hex")]);
    result.ed25519 = new SolanaSigner((bs58.default || bs58).encode(secret));
  }
  if (request.ethereum) result.ethereum = new EthereumSigner(request.ethereum);
  return result;
}

async function sign(request) {
  const available = signers(request);
  const out = [];
  for (const spec of request.items) {
    const signer = available[spec.signer];
    if (!signer) throw new Error(`no key given for signer ${spec.signer}`);
    const opts = {};
    if (spec.target) opts.target = spec.target;
    if (spec.anchor) opts.anchor = spec.anchor;
    if (spec.tags) opts.tags = spec.tags.map(([name, value]) => ({ name, value }));
    const item = createData(Buffer.from(spec.data, "base64"), signer, opts);
    await item.sign(signer);
    out.push({ raw: b64(item.getRaw()), id: item.id });
  }
  return out;
}

async function main() {
  const command = process.argv[2];
  const input = await readStdin();
  let result;
  if (command === "verify") result = await verify(input);
  else if (command === "sign") result = await sign(input);
  else throw new Error(`unknown command ${command}; expected verify or sign`);
  process.stdout.write(JSON.stringify(result));
}

main().catch((err) => {
  process.stderr.write(`arb.js: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
