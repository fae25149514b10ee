--- crypto: hashes, HMAC, PBKDF2 and ISAAC random numbers in pure Lua 5.3 (required as `.crypto`).
--
-- The API has the shape aos code uses:
--   crypto.digest.md4 / md5 / sha1 / sha2_256 / sha2_512 / sha3_256 / sha3_512 / keccak256 /
--     keccak512 (input) and blake2b(input[, outlen[, key]]) -> result, where input is a
--     string, a stream (crypto.utils.stream.fromString(s)) or a byte array, and result has
--     asHex(), asBytes() (array of byte values) and asString().
--   crypto.mac.createHmac(data, key[, "sha1"|"sha256"|"sha512"|"md5"]), sha1 by default,
--     reproduces aos's HMAC exactly, quirk included (keys padded to 32 bytes, not to the
--     64-byte block); crypto.mac.hmac(...) is the standard RFC 2104 HMAC.
--   crypto.kdf.pbkdf2(password, salt, iterations, keyLen[, digest]): standard (RFC 8018).
--   crypto.cipher.aes.encrypt(data, key[, iv[, mode[, keyLength]]]) and
--     decrypt(hex, key[, iv[, mode[, keyLength]]]): CBC (default), ECB, CFB, OFB, CTR; 128
--     (default), 192 or 256-bit keys; zero padding.
--   crypto.random([min[, max[, seed]]]) and crypto.cipher.issac.{random, getRandom,
--     getRandomChar, seedIsaac, encrypt, decrypt} (ISAAC and aos's printable-ASCII cipher).
--   crypto.utils.{hex, array, stream}.
-- The algorithms live in lua/crypto/ (md, sha2, keccak, blake2b, mac, aes, isaac, util);
-- `.crypto.util.hex`, `.crypto.util.stream` and `.crypto.util.array` can be required alone.

local util = require(".crypto.util")
local md = require(".crypto.md")
local sha2 = require(".crypto.sha2")
local keccak = require(".crypto.keccak")
local blake = require(".crypto.blake2b")
local mac = require(".crypto.mac")
local isaac = require(".crypto.isaac")
local aes = require(".crypto.aes")

local tobytes, result = util.tobytes, util.result

local raw_digests = {
  md4 = md.md4,
  md5 = md.md5,
  sha1 = md.sha1,
  sha2_256 = sha2.sha256,
  sha2_512 = sha2.sha512,
  sha3_256 = keccak.sha3_256,
  sha3_512 = keccak.sha3_512,
  keccak256 = keccak.keccak256,
  keccak512 = keccak.keccak512,
}

local digest = {}
for name, f in pairs(raw_digests) do
  local who = "crypto.digest." .. name
  digest[name] = function(input) return result(f(tobytes(input, who))) end
end
function digest.blake2b(input, outlen, key)
  local data = tobytes(input, "crypto.digest.blake2b")
  return result(blake.blake2b(data, outlen, key and tobytes(key, "crypto.digest.blake2b") or ""))
end

--- aos's createHmac: HMAC whose key is padded to 32 bytes instead of the digest's 64-byte
--- block, which is what aos processes have always computed (its test vectors depend on
--- it). For the standard RFC 2104 value, which other systems agree on, use crypto.mac.hmac.
local function createHmac(data, key, algorithm)
  local who = "crypto.mac.createHmac"
  return result(mac.hmac(tobytes(data, who), tobytes(key, who), algorithm, 32))
end

--- Standard HMAC (RFC 2104) of data (string, stream or array) under key; default sha1.
local function hmac(data, key, algorithm)
  local who = "crypto.mac.hmac"
  return result(mac.hmac(tobytes(data, who), tobytes(key, who), algorithm))
end

--- PBKDF2 with HMAC-<digest> (default sha1); password and salt are strings or byte arrays.
local function pbkdf2(password, salt, iterations, keyLen, algorithm)
  local who = "crypto.kdf.pbkdf2"
  return result(mac.pbkdf2(tobytes(password, who), tobytes(salt, who), iterations, keyLen, algorithm))
end

-- AES as aos exposes it: encrypt takes the data, decrypt the hex of the cipher text; both
-- results give their hex in capitals.
local cipher_aes = {
  encrypt = function(data, key, iv, mode, keyLength)
    local bytes = tobytes(data, "crypto.cipher.aes.encrypt")
    return result(aes.encrypt(bytes, key, iv, mode, keyLength), true)
  end,
  decrypt = function(cipherHex, key, iv, mode, keyLength)
    if type(cipherHex) ~= "string" or #cipherHex % 2 ~= 0 or cipherHex:find("[^%x]") then
      error("crypto.cipher.aes.decrypt: expected the cipher text as an even-length hex string", 2)
    end
    return result(aes.decrypt(util.hex.hexToString(cipherHex), key, iv, mode, keyLength), true)
  end,
}

return {
  _version = "1.0.0",
  digest = digest,
  mac = { createHmac = createHmac, hmac = hmac },
  kdf = { pbkdf2 = pbkdf2 },
  random = isaac.random,
  cipher = {
    aes = cipher_aes,
    issac = {
      random = isaac.random,
      getRandom = isaac.getRandom,
      getRandomChar = isaac.getRandomChar,
      seedIsaac = isaac.seedIsaac,
      -- encrypt gives a result object, decrypt the plain text, as in aos
      encrypt = function(text, key) return result(isaac.encrypt(text, key), true) end,
      decrypt = isaac.decrypt,
    },
  },
  utils = { hex = util.hex, array = util.array, stream = util.stream },
}
