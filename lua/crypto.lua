--- crypto: hashes, HMAC, PBKDF2 and ISAAC random numbers in pure Lua 5.3 (required as `.crypto`).
--
-- The API has the shape aos code uses:
--   crypto.digest.md5 / sha1 / sha2_256 / sha2_512 / sha3_256 / sha3_512 / keccak256 / keccak512
--     (input) -> result, where input is a string, a stream (crypto.utils.stream.fromString(s))
--     or a byte array, and result has asHex(), asBytes() (array of byte values), asString().
--   crypto.mac.createHmac(data, key[, "sha1"|"sha256"|"sha512"|"md5"]) (also crypto.mac.hmac),
--     default sha1 like aos; crypto.kdf.pbkdf2(password, salt, iterations, keyLen[, digest]).
--   crypto.random([min[, max[, seed]]]) and crypto.cipher.issac.{random,getRandom,seedIsaac}.
--   crypto.utils.{hex, array, stream}.
-- All words are Lua 64-bit integers: 32-bit algorithms mask with & 0xFFFFFFFF, the 64-bit
-- ones (SHA-512, Keccak) rely on Lua's wrap-around integer arithmetic and logical shifts.

local crypto = { _version = "1.0.0" }

-------------------------------------------------------------------------------
-- Utilities: hex, byte arrays, streams
-------------------------------------------------------------------------------

local hex = {}

function hex.stringToHex(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

function hex.hexToString(h)
  if type(h) ~= "string" or #h % 2 ~= 0 or h:find("[^%x]") then
    error("crypto.utils.hex.hexToString: expected an even-length hex string, got " .. tostring(h), 2)
  end
  return (h:gsub("%x%x", function(pair) return string.char(tonumber(pair, 16)) end))
end

local array = {}

function array.fromString(s) return { s:byte(1, -1) } end
function array.toString(a)
  local parts = {}
  for i = 1, #a, 4096 do parts[#parts + 1] = string.char(table.unpack(a, i, math.min(i + 4095, #a))) end
  return table.concat(parts)
end
function array.fromHex(h) return array.fromString(hex.hexToString(h)) end
function array.toHex(a) return hex.stringToHex(array.toString(a)) end
function array.size(a) return #a end
function array.copy(a) return table.move(a, 1, #a, 1, {}) end
function array.slice(a, start, stop)
  local out = {}
  for i = start, stop do out[#out + 1] = a[i] end
  return out
end
function array.concat(a, b)
  local out = table.move(a, 1, #a, 1, {})
  return table.move(b, 1, #b, #a + 1, out)
end
function array.truncate(a, n) return table.move(a, 1, math.min(n, #a), 1, {}) end
function array.XOR(a, b)
  local out = {}
  for i = 1, #a do out[i] = a[i] ~ (b[i] or 0) end
  return out
end

-- A stream is a function that returns the next byte (a number) and nil at the end.
local stream = {}

function stream.fromString(s)
  local i = 0
  return function()
    i = i + 1
    return s:byte(i)
  end
end
function stream.fromArray(a)
  local i = 0
  return function()
    i = i + 1
    return a[i]
  end
end
function stream.fromHex(h) return stream.fromString(hex.hexToString(h)) end
function stream.toArray(st)
  local out = {}
  for b in st do out[#out + 1] = b end
  return out
end
function stream.toString(st) return array.toString(stream.toArray(st)) end
function stream.toHex(st) return hex.stringToHex(stream.toString(st)) end

function array.fromStream(st) return stream.toArray(st) end
function array.toStream(a) return stream.fromArray(a) end

-- Any accepted input (string, stream, byte array) as a byte string.
local function tobytes(input, who)
  local ty = type(input)
  if ty == "string" then return input end
  if ty == "function" then return stream.toString(input) end
  if ty == "table" then return array.toString(input) end
  error(who .. ": expected a string, a stream or a byte array, got a " .. ty, 3)
end

-- The result object aos digests return.
local function result(bytes)
  return {
    asString = function() return bytes end,
    asHex = function() return hex.stringToHex(bytes) end,
    asBytes = function() return { bytes:byte(1, -1) } end,
  }
end

crypto.utils = { hex = hex, array = array, stream = stream }

-------------------------------------------------------------------------------
-- Merkle-Damgard padding shared by MD5, SHA-1 and SHA-2
-------------------------------------------------------------------------------

-- msg .. 0x80 .. zeros .. length in bits (width bytes, "<" or ">" endian), block-aligned.
local function md_pad(msg, block, lenbytes, endian)
  local zeros = (block - (#msg + 1 + lenbytes) % block) % block
  local len = string.pack(endian .. "I8", #msg * 8)
  if lenbytes > 8 then len = endian == ">" and string.rep("\0", lenbytes - 8) .. len or len .. string.rep("\0", lenbytes - 8) end
  return msg .. "\128" .. string.rep("\0", zeros) .. len
end

local function rol32(x, n) return ((x << n) | (x >> (32 - n))) & 0xFFFFFFFF end
local function ror32(x, n) return ((x >> n) | (x << (32 - n))) & 0xFFFFFFFF end
local function ror64(x, n) return (x >> n) | (x << (64 - n)) end

-------------------------------------------------------------------------------
-- MD5 (RFC 1321)
-------------------------------------------------------------------------------

local MD5_K = {
  0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
  0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
  0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
  0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
  0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
  0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
  0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
  0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
}
local MD5_S = { 7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21 }

local function md5(msg)
  local h0, h1, h2, h3 = 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476
  msg = md_pad(msg, 64, 8, "<")
  local X = {}
  for pos = 1, #msg, 64 do
    for i = 0, 15 do X[i] = string.unpack("<I4", msg, pos + 4 * i) end
    local a, b, c, d = h0, h1, h2, h3
    for i = 0, 63 do
      local f, g
      local round = i // 16
      if round == 0 then
        f, g = (b & c) | (~b & d), i
      elseif round == 1 then
        f, g = (d & b) | (~d & c), (5 * i + 1) % 16
      elseif round == 2 then
        f, g = b ~ c ~ d, (3 * i + 5) % 16
      else
        f, g = c ~ (b | ~d), (7 * i) % 16
      end
      f = (f + a + MD5_K[i + 1] + X[g]) & 0xFFFFFFFF
      a, d, c = d, c, b
      b = (b + rol32(f, MD5_S[round * 4 + i % 4 + 1])) & 0xFFFFFFFF
    end
    h0 = (h0 + a) & 0xFFFFFFFF
    h1 = (h1 + b) & 0xFFFFFFFF
    h2 = (h2 + c) & 0xFFFFFFFF
    h3 = (h3 + d) & 0xFFFFFFFF
  end
  return string.pack("<I4I4I4I4", h0, h1, h2, h3)
end

-------------------------------------------------------------------------------
-- SHA-1 (FIPS 180-4)
-------------------------------------------------------------------------------

local function sha1(msg)
  local h0, h1, h2, h3, h4 = 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0
  msg = md_pad(msg, 64, 8, ">")
  local W = {}
  for pos = 1, #msg, 64 do
    for i = 0, 15 do W[i] = string.unpack(">I4", msg, pos + 4 * i) end
    for i = 16, 79 do W[i] = rol32(W[i - 3] ~ W[i - 8] ~ W[i - 14] ~ W[i - 16], 1) end
    local a, b, c, d, e = h0, h1, h2, h3, h4
    for i = 0, 79 do
      local f, k
      if i < 20 then
        f, k = (b & c) | (~b & d), 0x5A827999
      elseif i < 40 then
        f, k = b ~ c ~ d, 0x6ED9EBA1
      elseif i < 60 then
        f, k = (b & c) | (b & d) | (c & d), 0x8F1BBCDC
      else
        f, k = b ~ c ~ d, 0xCA62C1D6
      end
      local t = (rol32(a, 5) + (f & 0xFFFFFFFF) + e + k + W[i]) & 0xFFFFFFFF
      a, b, c, d, e = t, a, rol32(b, 30), c, d
    end
    h0 = (h0 + a) & 0xFFFFFFFF
    h1 = (h1 + b) & 0xFFFFFFFF
    h2 = (h2 + c) & 0xFFFFFFFF
    h3 = (h3 + d) & 0xFFFFFFFF
    h4 = (h4 + e) & 0xFFFFFFFF
  end
  return string.pack(">I4I4I4I4I4", h0, h1, h2, h3, h4)
end

-------------------------------------------------------------------------------
-- SHA-256 and SHA-512 (FIPS 180-4). Constants: the first 32/64 bits of the fractional
-- parts of the square roots (H) and cube roots (K) of the first primes.
-------------------------------------------------------------------------------

local K256 = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
}
local H256 = {
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
}

local function sha256(msg)
  local H = table.move(H256, 1, 8, 1, {})
  msg = md_pad(msg, 64, 8, ">")
  local W = {}
  for pos = 1, #msg, 64 do
    for i = 1, 16 do W[i] = string.unpack(">I4", msg, pos + 4 * (i - 1)) end
    for i = 17, 64 do
      local w15, w2 = W[i - 15], W[i - 2]
      local s0 = ror32(w15, 7) ~ ror32(w15, 18) ~ (w15 >> 3)
      local s1 = ror32(w2, 17) ~ ror32(w2, 19) ~ (w2 >> 10)
      W[i] = (W[i - 16] + s0 + W[i - 7] + s1) & 0xFFFFFFFF
    end
    local a, b, c, d, e, f, g, h = H[1], H[2], H[3], H[4], H[5], H[6], H[7], H[8]
    for i = 1, 64 do
      local S1 = ror32(e, 6) ~ ror32(e, 11) ~ ror32(e, 25)
      local ch = (e & f) ~ (~e & g)
      local t1 = (h + S1 + ch + K256[i] + W[i]) & 0xFFFFFFFF
      local S0 = ror32(a, 2) ~ ror32(a, 13) ~ ror32(a, 22)
      local maj = (a & b) ~ (a & c) ~ (b & c)
      local t2 = (S0 + maj) & 0xFFFFFFFF
      a, b, c, d, e, f, g, h = (t1 + t2) & 0xFFFFFFFF, a, b, c, (d + t1) & 0xFFFFFFFF, e, f, g
    end
    H[1] = (H[1] + a) & 0xFFFFFFFF; H[2] = (H[2] + b) & 0xFFFFFFFF
    H[3] = (H[3] + c) & 0xFFFFFFFF; H[4] = (H[4] + d) & 0xFFFFFFFF
    H[5] = (H[5] + e) & 0xFFFFFFFF; H[6] = (H[6] + f) & 0xFFFFFFFF
    H[7] = (H[7] + g) & 0xFFFFFFFF; H[8] = (H[8] + h) & 0xFFFFFFFF
  end
  return string.pack(">I4I4I4I4I4I4I4I4", table.unpack(H))
end

local K512 = {
  0x428a2f98d728ae22, 0x7137449123ef65cd, 0xb5c0fbcfec4d3b2f, 0xe9b5dba58189dbbc,
  0x3956c25bf348b538, 0x59f111f1b605d019, 0x923f82a4af194f9b, 0xab1c5ed5da6d8118,
  0xd807aa98a3030242, 0x12835b0145706fbe, 0x243185be4ee4b28c, 0x550c7dc3d5ffb4e2,
  0x72be5d74f27b896f, 0x80deb1fe3b1696b1, 0x9bdc06a725c71235, 0xc19bf174cf692694,
  0xe49b69c19ef14ad2, 0xefbe4786384f25e3, 0x0fc19dc68b8cd5b5, 0x240ca1cc77ac9c65,
  0x2de92c6f592b0275, 0x4a7484aa6ea6e483, 0x5cb0a9dcbd41fbd4, 0x76f988da831153b5,
  0x983e5152ee66dfab, 0xa831c66d2db43210, 0xb00327c898fb213f, 0xbf597fc7beef0ee4,
  0xc6e00bf33da88fc2, 0xd5a79147930aa725, 0x06ca6351e003826f, 0x142929670a0e6e70,
  0x27b70a8546d22ffc, 0x2e1b21385c26c926, 0x4d2c6dfc5ac42aed, 0x53380d139d95b3df,
  0x650a73548baf63de, 0x766a0abb3c77b2a8, 0x81c2c92e47edaee6, 0x92722c851482353b,
  0xa2bfe8a14cf10364, 0xa81a664bbc423001, 0xc24b8b70d0f89791, 0xc76c51a30654be30,
  0xd192e819d6ef5218, 0xd69906245565a910, 0xf40e35855771202a, 0x106aa07032bbd1b8,
  0x19a4c116b8d2d0c8, 0x1e376c085141ab53, 0x2748774cdf8eeb99, 0x34b0bcb5e19b48a8,
  0x391c0cb3c5c95a63, 0x4ed8aa4ae3418acb, 0x5b9cca4f7763e373, 0x682e6ff3d6b2b8a3,
  0x748f82ee5defb2fc, 0x78a5636f43172f60, 0x84c87814a1f0ab72, 0x8cc702081a6439ec,
  0x90befffa23631e28, 0xa4506cebde82bde9, 0xbef9a3f7b2c67915, 0xc67178f2e372532b,
  0xca273eceea26619c, 0xd186b8c721c0c207, 0xeada7dd6cde0eb1e, 0xf57d4f7fee6ed178,
  0x06f067aa72176fba, 0x0a637dc5a2c898a6, 0x113f9804bef90dae, 0x1b710b35131c471b,
  0x28db77f523047d84, 0x32caab7b40c72493, 0x3c9ebe0a15c9bebc, 0x431d67c49c100d4c,
  0x4cc5d4becb3e42b6, 0x597f299cfc657e2a, 0x5fcb6fab3ad6faec, 0x6c44198c4a475817,
}
local H512 = {
  0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b, 0xa54ff53a5f1d36f1,
  0x510e527fade682d1, 0x9b05688c2b3e6c1f, 0x1f83d9abfb41bd6b, 0x5be0cd19137e2179,
}

local function sha512(msg)
  local H = table.move(H512, 1, 8, 1, {})
  msg = md_pad(msg, 128, 16, ">")
  local W = {}
  for pos = 1, #msg, 128 do
    for i = 1, 16 do W[i] = string.unpack(">i8", msg, pos + 8 * (i - 1)) end
    for i = 17, 80 do
      local w15, w2 = W[i - 15], W[i - 2]
      local s0 = ror64(w15, 1) ~ ror64(w15, 8) ~ (w15 >> 7)
      local s1 = ror64(w2, 19) ~ ror64(w2, 61) ~ (w2 >> 6)
      W[i] = W[i - 16] + s0 + W[i - 7] + s1
    end
    local a, b, c, d, e, f, g, h = H[1], H[2], H[3], H[4], H[5], H[6], H[7], H[8]
    for i = 1, 80 do
      local S1 = ror64(e, 14) ~ ror64(e, 18) ~ ror64(e, 41)
      local ch = (e & f) ~ (~e & g)
      local t1 = h + S1 + ch + K512[i] + W[i]
      local S0 = ror64(a, 28) ~ ror64(a, 34) ~ ror64(a, 39)
      local maj = (a & b) ~ (a & c) ~ (b & c)
      a, b, c, d, e, f, g, h = t1 + S0 + maj, a, b, c, d + t1, e, f, g
    end
    H[1] = H[1] + a; H[2] = H[2] + b; H[3] = H[3] + c; H[4] = H[4] + d
    H[5] = H[5] + e; H[6] = H[6] + f; H[7] = H[7] + g; H[8] = H[8] + h
  end
  return string.pack(">i8i8i8i8i8i8i8i8", table.unpack(H))
end

-------------------------------------------------------------------------------
-- Keccak-f[1600] sponge: SHA-3 (FIPS 202, domain byte 0x06) and the original Keccak
-- (domain byte 0x01) that Ethereum's keccak256 uses.
-------------------------------------------------------------------------------

-- Round constants from the degree-8 LFSR of FIPS 202 (rc(t)), and the rotation offsets
-- of the rho step walked along (x, y) -> (y, 2x + 3y), both derived here at load time.
local KECCAK_RC, KECCAK_ROT = {}, {}
do
  local r = 1
  local function rc_bit()
    local bit = r & 1
    r = r << 1
    if r & 0x100 ~= 0 then r = r ~ 0x171 end
    return bit
  end
  for round = 1, 24 do
    local c = 0
    for j = 0, 6 do
      if rc_bit() == 1 then c = c | (1 << ((1 << j) - 1)) end
    end
    KECCAK_RC[round] = c
  end
  for i = 0, 24 do KECCAK_ROT[i] = 0 end
  local x, y = 1, 0
  for t = 0, 23 do
    KECCAK_ROT[x + 5 * y] = ((t + 1) * (t + 2) // 2) % 64
    x, y = y, (2 * x + 3 * y) % 5
  end
end

local function rol64(v, n)
  if n == 0 then return v end
  return (v << n) | (v >> (64 - n))
end

local function keccak_f(A)
  local C, D, B = {}, {}, {}
  for round = 1, 24 do
    for x = 0, 4 do C[x] = A[x] ~ A[x + 5] ~ A[x + 10] ~ A[x + 15] ~ A[x + 20] end
    for x = 0, 4 do D[x] = C[(x + 4) % 5] ~ rol64(C[(x + 1) % 5], 1) end
    for i = 0, 24 do A[i] = A[i] ~ D[i % 5] end
    -- rho and pi: B[y, 2x+3y] = rot(A[x, y])
    for x = 0, 4 do
      for y = 0, 4 do
        local i = x + 5 * y
        B[y + 5 * ((2 * x + 3 * y) % 5)] = rol64(A[i], KECCAK_ROT[i])
      end
    end
    for y = 0, 20, 5 do
      for x = 0, 4 do
        A[y + x] = B[y + x] ~ (~B[y + (x + 1) % 5] & B[y + (x + 2) % 5])
      end
    end
    A[0] = A[0] ~ KECCAK_RC[round]
  end
end

local function keccak(msg, rate, outlen, domain)
  local A = {}
  for i = 0, 24 do A[i] = 0 end
  local padlen = rate - #msg % rate
  local pad = padlen == 1 and string.char(domain | 0x80)
    or string.char(domain) .. string.rep("\0", padlen - 2) .. "\128"
  msg = msg .. pad
  local lanes = rate // 8
  for pos = 1, #msg, rate do
    for i = 0, lanes - 1 do
      A[i] = A[i] ~ string.unpack("<i8", msg, pos + 8 * i)
    end
    keccak_f(A)
  end
  local out = {}
  for i = 0, lanes - 1 do out[#out + 1] = string.pack("<i8", A[i]) end
  -- every output size used here fits in one rate block
  return table.concat(out):sub(1, outlen)
end

-------------------------------------------------------------------------------
-- The digest table
-------------------------------------------------------------------------------

local raw_digests = {
  md5 = md5,
  sha1 = sha1,
  sha2_256 = sha256,
  sha2_512 = sha512,
  sha3_256 = function(m) return keccak(m, 136, 32, 0x06) end,
  sha3_512 = function(m) return keccak(m, 72, 64, 0x06) end,
  keccak256 = function(m) return keccak(m, 136, 32, 0x01) end,
  keccak512 = function(m) return keccak(m, 72, 64, 0x01) end,
}

local digest = {}
for name, f in pairs(raw_digests) do
  digest[name] = function(input) return result(f(tobytes(input, "crypto.digest." .. name))) end
end
crypto.digest = digest

-------------------------------------------------------------------------------
-- HMAC (RFC 2104) and PBKDF2 (RFC 8018)
-------------------------------------------------------------------------------

local hmac_algorithms = {
  md5 = { md5, 64 }, sha1 = { sha1, 64 }, sha256 = { sha256, 64 }, sha2_256 = { sha256, 64 },
  sha512 = { sha512, 128 }, sha2_512 = { sha512, 128 },
}

local function hmac_raw(data, key, algorithm)
  local spec = hmac_algorithms[algorithm or "sha1"]
  if not spec then
    error("crypto.mac.createHmac: unknown algorithm '" .. tostring(algorithm) .. "' (use sha1, sha256, sha512 or md5)", 3)
  end
  local hash, block = spec[1], spec[2]
  if #key > block then key = hash(key) end
  key = key .. string.rep("\0", block - #key)
  local ipad = key:gsub(".", function(c) return string.char(c:byte() ~ 0x36) end)
  local opad = key:gsub(".", function(c) return string.char(c:byte() ~ 0x5C) end)
  return hash(opad .. hash(ipad .. data))
end

--- HMAC of data (string, stream or array) under key (string or byte array); default sha1.
local function createHmac(data, key, algorithm)
  return result(hmac_raw(tobytes(data, "crypto.mac.createHmac"), tobytes(key, "crypto.mac.createHmac"), algorithm))
end
crypto.mac = { createHmac = createHmac, hmac = createHmac }

--- PBKDF2 with HMAC-<digest> (default sha1); password and salt are strings or byte arrays.
local function pbkdf2(password, salt, iterations, keyLen, algorithm)
  password = tobytes(password, "crypto.kdf.pbkdf2")
  salt = tobytes(salt, "crypto.kdf.pbkdf2")
  if math.type(iterations) ~= "integer" or iterations < 1 then
    error("crypto.kdf.pbkdf2: iterations must be a positive integer, got " .. tostring(iterations), 2)
  end
  if math.type(keyLen) ~= "integer" or keyLen < 1 then
    error("crypto.kdf.pbkdf2: keyLen must be a positive integer, got " .. tostring(keyLen), 2)
  end
  local out, block = {}, 1
  local total = 0
  while total < keyLen do
    local u = hmac_raw(salt .. string.pack(">I4", block), password, algorithm)
    local acc = { u:byte(1, -1) }
    for _ = 2, iterations do
      u = hmac_raw(u, password, algorithm)
      for i = 1, #acc do acc[i] = acc[i] ~ u:byte(i) end
    end
    out[#out + 1] = array.toString(acc)
    total = total + #acc
    block = block + 1
  end
  return result(table.concat(out):sub(1, keyLen))
end
crypto.kdf = { pbkdf2 = pbkdf2 }

-------------------------------------------------------------------------------
-- ISAAC random numbers (Bob Jenkins' generator), as crypto.random / cipher.issac
-------------------------------------------------------------------------------

local isaac_state = { mm = {}, rsl = {}, a = 0, b = 0, c = 0, count = 0 }

local function isaac_generate(s)
  local mm, rsl = s.mm, s.rsl
  s.c = (s.c + 1) & 0xFFFFFFFF
  s.b = (s.b + s.c) & 0xFFFFFFFF
  local a, b = s.a, s.b
  for i = 0, 255 do
    local x = mm[i]
    local m = i % 4
    if m == 0 then a = a ~ (a << 13)
    elseif m == 1 then a = a ~ (a >> 6)
    elseif m == 2 then a = a ~ (a << 2)
    else a = a ~ (a >> 16)
    end
    a = (mm[(i + 128) % 256] + a) & 0xFFFFFFFF
    local y = (mm[(x >> 2) % 256] + a + b) & 0xFFFFFFFF
    mm[i] = y
    b = (mm[(y >> 10) % 256] + x) & 0xFFFFFFFF
    rsl[i] = b
  end
  s.a, s.b, s.count = a, b, 0
end

local function isaac_mix(v)
  local a, b, c, d, e, f, g, h = v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]
  a = a ~ (b << 11); d = d + a; b = b + c
  b = b ~ ((c & 0xFFFFFFFF) >> 2); e = e + b; c = c + d
  c = c ~ (d << 8); f = f + c; d = d + e
  d = d ~ ((e & 0xFFFFFFFF) >> 16); g = g + d; e = e + f
  e = e ~ (f << 10); h = h + e; f = f + g
  f = f ~ ((g & 0xFFFFFFFF) >> 4); a = a + f; g = g + h
  g = g ~ (h << 8); b = b + g; h = h + a
  h = h ~ ((a & 0xFFFFFFFF) >> 9); c = c + h; a = a + b
  v[1], v[2], v[3], v[4] = a & 0xFFFFFFFF, b & 0xFFFFFFFF, c & 0xFFFFFFFF, d & 0xFFFFFFFF
  v[5], v[6], v[7], v[8] = e & 0xFFFFFFFF, f & 0xFFFFFFFF, g & 0xFFFFFFFF, h & 0xFFFFFFFF
end

--- Seeds ISAAC with the bytes of a string (the first 256 used). Without `use_seed` the
--- state is the generator's fixed unseeded state, as in the reference randinit(FALSE).
local function seedIsaac(seed, use_seed)
  local s = isaac_state
  for i = 0, 255 do
    s.mm[i] = 0
    s.rsl[i] = seed:byte(i + 1) or 0
  end
  s.a, s.b, s.c = 0, 0, 0
  local v = {}
  for i = 1, 8 do v[i] = 0x9E3779B9 end
  for _ = 1, 4 do isaac_mix(v) end
  for pass = 1, use_seed and 2 or 1 do
    local src = pass == 1 and s.rsl or s.mm
    for i = 0, 255, 8 do
      if use_seed then
        for j = 1, 8 do v[j] = (v[j] + src[i + j - 1]) & 0xFFFFFFFF end
      end
      isaac_mix(v)
      for j = 1, 8 do s.mm[i + j - 1] = v[j] end
    end
  end
  isaac_generate(s)
end

--- The next 32-bit ISAAC output.
local function getRandom()
  local s = isaac_state
  local r = s.rsl[s.count]
  s.count = s.count + 1
  if s.count > 255 then isaac_generate(s) end
  return r
end

--- crypto.random([min[, max[, seed]]]): an integer in [min, max] (defaults 0 and 2^31-1).
--- Without a seed, aos draws math.random(2^31-1) for one and then seeds unseeded, so the
--- draw advances math.random but the value is always the first unseeded ISAAC output.
local function random(min, max, seed)
  min = min or 0
  max = max or 2147483647
  if seed then
    seedIsaac(tostring(seed), true)
  else
    seedIsaac(tostring(math.random(2147483647)), false)
  end
  return getRandom() % (max - min + 1) + min
end

crypto.random = random
crypto.cipher = { issac = { random = random, getRandom = getRandom, seedIsaac = seedIsaac } }

return crypto
