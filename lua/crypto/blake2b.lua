--- crypto.blake2b: BLAKE2b (RFC 7693) with an optional key and output length 1..64.
--
-- blake2b(data, outlen, key) -> digest bytes. The 64-bit words are Lua integers: addition
-- wraps around and >> is logical, as the algorithm needs.

-- The initialisation vector is SHA-512's (square roots of the first eight primes).
local IV = {
  0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b, 0xa54ff53a5f1d36f1,
  0x510e527fade682d1, 0x9b05688c2b3e6c1f, 0x1f83d9abfb41bd6b, 0x5be0cd19137e2179,
}

-- The message word schedule of each round (rounds 11 and 12 reuse rows 1 and 2).
local SIGMA = {
  { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 },
  { 14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3 },
  { 11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4 },
  { 7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8 },
  { 9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13 },
  { 2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9 },
  { 12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11 },
  { 13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10 },
  { 6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5 },
  { 10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0 },
}

local function ror64(x, n) return (x >> n) | (x << (64 - n)) end

-- The mixing function G on v[a], v[b], v[c], v[d] with message words x and y.
local function G(v, a, b, c, d, x, y)
  local va, vb, vc, vd = v[a], v[b], v[c], v[d]
  va = va + vb + x
  vd = ror64(vd ~ va, 32)
  vc = vc + vd
  vb = ror64(vb ~ vc, 24)
  va = va + vb + y
  vd = ror64(vd ~ va, 16)
  vc = vc + vd
  vb = ror64(vb ~ vc, 63)
  v[a], v[b], v[c], v[d] = va, vb, vc, vd
end

-- Compresses one 128-byte block (starting at pos) into h; t counts the bytes so far.
local function compress(h, block, pos, t, last)
  local m, v = {}, {}
  for i = 0, 15 do m[i] = string.unpack("<i8", block, pos + 8 * i) end
  for i = 0, 7 do
    v[i] = h[i + 1]
    v[i + 8] = IV[i + 1]
  end
  v[12] = v[12] ~ t
  if last then v[14] = ~v[14] end
  for round = 0, 11 do
    local s = SIGMA[round % 10 + 1]
    G(v, 0, 4, 8, 12, m[s[1]], m[s[2]])
    G(v, 1, 5, 9, 13, m[s[3]], m[s[4]])
    G(v, 2, 6, 10, 14, m[s[5]], m[s[6]])
    G(v, 3, 7, 11, 15, m[s[7]], m[s[8]])
    G(v, 0, 5, 10, 15, m[s[9]], m[s[10]])
    G(v, 1, 6, 11, 12, m[s[11]], m[s[12]])
    G(v, 2, 7, 8, 13, m[s[13]], m[s[14]])
    G(v, 3, 4, 9, 14, m[s[15]], m[s[16]])
  end
  for i = 1, 8 do h[i] = h[i] ~ v[i - 1] ~ v[i + 7] end
end

local function blake2b(data, outlen, key)
  outlen = outlen or 64
  key = key or ""
  if math.type(outlen) ~= "integer" or outlen < 1 or outlen > 64 then
    error("crypto.digest.blake2b: the output length must be 1..64 bytes, got " .. tostring(outlen), 3)
  end
  if #key > 64 then
    error("crypto.digest.blake2b: the key must be at most 64 bytes, got " .. #key, 3)
  end
  local h = table.move(IV, 1, 8, 1, {})
  h[1] = h[1] ~ 0x01010000 ~ (#key << 8) ~ outlen
  if #key > 0 then
    data = key .. string.rep("\0", 128 - #key) .. data
  end
  local blocks = math.max(1, (#data + 127) // 128)
  for b = 1, blocks - 1 do
    compress(h, data, (b - 1) * 128 + 1, b * 128, false)
  end
  local pos = (blocks - 1) * 128 + 1
  local tail = data:sub(pos)
  compress(h, tail .. string.rep("\0", 128 - #tail), 1, #data, true)
  local out = {}
  for i = 1, 8 do out[i] = string.pack("<i8", h[i]) end
  return table.concat(out):sub(1, outlen)
end

return { blake2b = blake2b }
