--- crypto.md: MD4 (RFC 1320), MD5 (RFC 1321) and SHA-1 (FIPS 180-4) over byte strings.
--
-- Each function takes a byte string and returns the raw digest bytes.

local md_pad = require(".crypto.util").md_pad

local function rol32(x, n) return ((x << n) | (x >> (32 - n))) & 0xFFFFFFFF end

-------------------------------------------------------------------------------
-- MD4 (RFC 1320)
-------------------------------------------------------------------------------

local MD4_ORDER = {
  { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 },
  { 0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15 },
  { 0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15 },
}
local MD4_SHIFT = { { 3, 7, 11, 19 }, { 3, 5, 9, 13 }, { 3, 9, 11, 15 } }
local MD4_ADD = { 0, 0x5A827999, 0x6ED9EBA1 }
local MD4_F = {
  function(x, y, z) return (x & y) | (~x & z) end,
  function(x, y, z) return (x & y) | (x & z) | (y & z) end,
  function(x, y, z) return x ~ y ~ z end,
}

local function md4(msg)
  local h0, h1, h2, h3 = 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476
  msg = md_pad(msg, 64, 8, "<")
  local X = {}
  for pos = 1, #msg, 64 do
    for i = 0, 15 do X[i] = string.unpack("<I4", msg, pos + 4 * i) end
    local a, b, c, d = h0, h1, h2, h3
    for round = 1, 3 do
      local f, order, shift, add = MD4_F[round], MD4_ORDER[round], MD4_SHIFT[round], MD4_ADD[round]
      for i = 1, 16 do
        -- the register being updated moves one to the right each step: a, d, c, b, a, ...
        local t = rol32((a + (f(b, c, d) & 0xFFFFFFFF) + X[order[i]] + add) & 0xFFFFFFFF, shift[(i - 1) % 4 + 1])
        a, b, c, d = d, t, b, c
      end
    end
    h0 = (h0 + a) & 0xFFFFFFFF
    h1 = (h1 + b) & 0xFFFFFFFF
    h2 = (h2 + c) & 0xFFFFFFFF
    h3 = (h3 + d) & 0xFFFFFFFF
  end
  return string.pack("<I4I4I4I4", h0, h1, h2, h3)
end

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


return { md4 = md4, md5 = md5, sha1 = sha1 }
