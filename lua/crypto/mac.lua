--- crypto.mac: HMAC (RFC 2104) and PBKDF2 (RFC 8018) over the digests of crypto.md/sha2.
--
-- hmac(data, key, algorithm[, key_block]) -> raw bytes; algorithm is md5, sha1 (the
-- default, as in aos), sha256 / sha2_256 or sha512 / sha2_512. pbkdf2(password, salt, iterations, keyLen,
-- algorithm) -> raw bytes. Inputs here are byte strings; crypto.lua accepts the other forms.

local md = require(".crypto.md")
local sha2 = require(".crypto.sha2")

-- name -> { hash function, block size in bytes }
local algorithms = {
  md5 = { md.md5, 64 },
  sha1 = { md.sha1, 64 },
  sha256 = { sha2.sha256, 64 },
  sha2_256 = { sha2.sha256, 64 },
  sha512 = { sha2.sha512, 128 },
  sha2_512 = { sha2.sha512, 128 },
}

local function spec_of(algorithm, who)
  local spec = algorithms[algorithm or "sha1"]
  if not spec then
    error(who .. ": unknown algorithm '" .. tostring(algorithm) .. "' (use sha1, sha256, sha512 or md5)", 0)
  end
  return spec
end

local function xor_with(key, byte)
  return (key:gsub(".", function(c) return string.char(c:byte() ~ byte) end))
end

-- `key_block` overrides the key block size: aos's createHmac pads keys to 32 bytes, not to
-- the digest's block size, and its results depend on that.
local function hmac(data, key, algorithm, key_block)
  local spec = spec_of(algorithm, "crypto.mac")
  local hash, block = spec[1], key_block or spec[2]
  if #key > block then key = hash(key) end
  key = key:sub(1, block) .. string.rep("\0", block - #key)
  return hash(xor_with(key, 0x5C) .. hash(xor_with(key, 0x36) .. data))
end

local function pbkdf2(password, salt, iterations, keyLen, algorithm)
  spec_of(algorithm, "crypto.kdf.pbkdf2")
  if math.type(iterations) ~= "integer" or iterations < 1 then
    error("crypto.kdf.pbkdf2: iterations must be a positive integer, got " .. tostring(iterations), 0)
  end
  if math.type(keyLen) ~= "integer" or keyLen < 1 then
    error("crypto.kdf.pbkdf2: keyLen must be a positive integer, got " .. tostring(keyLen), 0)
  end
  local out, total, block = {}, 0, 1
  while total < keyLen do
    local u = hmac(salt .. string.pack(">I4", block), password, algorithm)
    local acc = { u:byte(1, -1) }
    for _ = 2, iterations do
      u = hmac(u, password, algorithm)
      for i = 1, #acc do acc[i] = acc[i] ~ u:byte(i) end
    end
    out[#out + 1] = string.char(table.unpack(acc))
    total = total + #acc
    block = block + 1
  end
  return table.concat(out):sub(1, keyLen)
end

return { hmac = hmac, pbkdf2 = pbkdf2 }
