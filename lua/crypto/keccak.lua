--- crypto.keccak: the Keccak-f[1600] sponge, for SHA-3 (FIPS 202) and original Keccak.
--
-- keccak(msg, rate, outlen, domain) -> digest bytes. SHA-3 uses the domain byte 0x06,
-- the original Keccak (Ethereum's keccak256) 0x01.

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


return {
  keccak = keccak,
  sha3_256 = function(m) return keccak(m, 136, 32, 0x06) end,
  sha3_512 = function(m) return keccak(m, 72, 64, 0x06) end,
  keccak256 = function(m) return keccak(m, 136, 32, 0x01) end,
  keccak512 = function(m) return keccak(m, 72, 64, 0x01) end,
}
