--- crypto.aes: AES-128/192/256 (FIPS 197) in ECB, CBC, CFB (128-bit), OFB and CTR modes.
--
-- encrypt(data, key, iv, mode, keyLength) / decrypt(data, key, iv, mode, keyLength) work on
-- byte strings and return byte strings. Like aos, the plaintext is zero-padded to whole
-- 16-byte blocks in every mode and decrypt leaves the padding in place. The key must have
-- exactly keyLength / 8 bytes; the IV 16 bytes (ECB takes none). CTR counts up from the IV
-- as a 128-bit big-endian number.

-- GF(2^8) arithmetic modulo x^8 + x^4 + x^3 + x + 1, for the S-box and MixColumns tables.
local function gmul(a, b)
  local p = 0
  while b > 0 do
    if b & 1 == 1 then p = p ~ a end
    a = a << 1
    if a & 0x100 ~= 0 then a = a ~ 0x11B end
    b = b >> 1
  end
  return p
end

-- The S-box and its inverse, derived from the multiplicative inverse and the affine map.
local SBOX, INV_SBOX = {}, {}
do
  local function rotl8(x, n) return ((x << n) | (x >> (8 - n))) & 0xFF end
  for x = 0, 255 do
    local inv = 0
    if x ~= 0 then
      inv = 1
      for _ = 1, 254 do inv = gmul(inv, x) end -- x^254 = x^-1
    end
    local s = inv ~ rotl8(inv, 1) ~ rotl8(inv, 2) ~ rotl8(inv, 3) ~ rotl8(inv, 4) ~ 0x63
    SBOX[x] = s
    INV_SBOX[s] = x
  end
end

local MUL = {}
for _, m in ipairs({ 2, 3, 9, 11, 13, 14 }) do
  local t = {}
  for x = 0, 255 do t[x] = gmul(x, m) end
  MUL[m] = t
end
local M2, M3, M9, M11, M13, M14 = MUL[2], MUL[3], MUL[9], MUL[11], MUL[13], MUL[14]

-- Round keys as a flat byte array w[0 .. 16 * (rounds + 1) - 1].
local function expand_key(key)
  local nk = #key // 4
  local rounds = nk + 6
  local w = {}
  for i = 0, #key - 1 do w[i] = key:byte(i + 1) end
  local rcon = 1
  for i = nk, 4 * (rounds + 1) - 1 do
    local t0, t1, t2, t3 = w[4 * i - 4], w[4 * i - 3], w[4 * i - 2], w[4 * i - 1]
    if i % nk == 0 then
      t0, t1, t2, t3 = SBOX[t1] ~ rcon, SBOX[t2], SBOX[t3], SBOX[t0]
      rcon = gmul(rcon, 2)
    elseif nk > 6 and i % nk == 4 then
      t0, t1, t2, t3 = SBOX[t0], SBOX[t1], SBOX[t2], SBOX[t3]
    end
    local b = 4 * (i - nk)
    w[4 * i], w[4 * i + 1], w[4 * i + 2], w[4 * i + 3] = w[b] ~ t0, w[b + 1] ~ t1, w[b + 2] ~ t2, w[b + 3] ~ t3
  end
  return w, rounds
end

local function add_round_key(s, w, round)
  local base = 16 * round
  for i = 0, 15 do s[i] = s[i] ~ w[base + i] end
end

-- state s[r + 4c] (column-major, as the bytes come); encrypts in place
local function encrypt_block(s, w, rounds)
  add_round_key(s, w, 0)
  for round = 1, rounds do
    for i = 0, 15 do s[i] = SBOX[s[i]] end
    -- ShiftRows: row r moves left by r
    s[1], s[5], s[9], s[13] = s[5], s[9], s[13], s[1]
    s[2], s[6], s[10], s[14] = s[10], s[14], s[2], s[6]
    s[3], s[7], s[11], s[15] = s[15], s[3], s[7], s[11]
    if round < rounds then
      for c = 0, 12, 4 do
        local a0, a1, a2, a3 = s[c], s[c + 1], s[c + 2], s[c + 3]
        s[c] = M2[a0] ~ M3[a1] ~ a2 ~ a3
        s[c + 1] = a0 ~ M2[a1] ~ M3[a2] ~ a3
        s[c + 2] = a0 ~ a1 ~ M2[a2] ~ M3[a3]
        s[c + 3] = M3[a0] ~ a1 ~ a2 ~ M2[a3]
      end
    end
    add_round_key(s, w, round)
  end
end

local function decrypt_block(s, w, rounds)
  add_round_key(s, w, rounds)
  for round = rounds - 1, 0, -1 do
    -- InvShiftRows: row r moves right by r
    s[1], s[5], s[9], s[13] = s[13], s[1], s[5], s[9]
    s[2], s[6], s[10], s[14] = s[10], s[14], s[2], s[6]
    s[3], s[7], s[11], s[15] = s[7], s[11], s[15], s[3]
    for i = 0, 15 do s[i] = INV_SBOX[s[i]] end
    add_round_key(s, w, round)
    if round > 0 then
      for c = 0, 12, 4 do
        local a0, a1, a2, a3 = s[c], s[c + 1], s[c + 2], s[c + 3]
        s[c] = M14[a0] ~ M11[a1] ~ M13[a2] ~ M9[a3]
        s[c + 1] = M9[a0] ~ M14[a1] ~ M11[a2] ~ M13[a3]
        s[c + 2] = M13[a0] ~ M9[a1] ~ M14[a2] ~ M11[a3]
        s[c + 3] = M11[a0] ~ M13[a1] ~ M9[a2] ~ M14[a3]
      end
    end
  end
end

local function to_block(str, pos)
  local s = {}
  for i = 0, 15 do s[i] = str:byte(pos + i) end
  return s
end

local function from_block(s)
  return string.char(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10],
    s[11], s[12], s[13], s[14], s[15])
end

local function xor_blocks(a, b)
  local out = {}
  for i = 0, 15 do out[i] = a[i] ~ b[i] end
  return out
end

local function increment(counter)
  for i = 15, 0, -1 do
    counter[i] = (counter[i] + 1) & 0xFF
    if counter[i] ~= 0 then return end
  end
end

local modes = { ECB = true, CBC = true, CFB = true, OFB = true, CTR = true }

local function prepare(who, data, key, iv, mode, keyLength)
  mode = mode or "CBC"
  keyLength = keyLength or 128
  if not modes[mode] then
    error(who .. ": unknown mode '" .. tostring(mode) .. "' (use CBC, ECB, CFB, OFB or CTR)", 0)
  end
  if keyLength ~= 128 and keyLength ~= 192 and keyLength ~= 256 then
    error(who .. ": keyLength must be 128, 192 or 256, got " .. tostring(keyLength), 0)
  end
  if type(key) ~= "string" or #key ~= keyLength // 8 then
    error(string.format("%s: a %d-bit key must be %d bytes, got %s", who, keyLength, keyLength // 8,
      type(key) == "string" and #key .. " bytes" or "a " .. type(key)), 0)
  end
  iv = iv or ""
  if mode ~= "ECB" and #iv ~= 16 then
    error(who .. ": mode " .. mode .. " needs a 16-byte iv, got " .. #iv .. " bytes", 0)
  end
  if #data % 16 ~= 0 or #data == 0 then
    data = data .. string.rep("\0", 16 - #data % 16) -- zero padding, as aos does
  end
  local w, rounds = expand_key(key)
  return data, w, rounds, mode, iv
end

local function run(decrypting, who, data, key, iv, mode, keyLength)
  local w, rounds
  data, w, rounds, mode, iv = prepare(who, data, key, iv, mode, keyLength)
  local out = {}
  local feedback = mode ~= "ECB" and to_block(iv, 1) or nil
  for pos = 1, #data, 16 do
    local block = to_block(data, pos)
    local result
    if mode == "ECB" then
      result = block
      if decrypting then decrypt_block(result, w, rounds) else encrypt_block(result, w, rounds) end
    elseif mode == "CBC" then
      if decrypting then
        result = table.move(block, 0, 15, 0, {})
        decrypt_block(result, w, rounds)
        result = xor_blocks(result, feedback)
        feedback = block
      else
        result = xor_blocks(block, feedback)
        encrypt_block(result, w, rounds)
        feedback = result
      end
    else
      -- stream modes: a keystream block E(...) XORed with the data
      local ks = table.move(feedback, 0, 15, 0, {})
      encrypt_block(ks, w, rounds)
      result = xor_blocks(block, ks)
      if mode == "CFB" then
        feedback = decrypting and block or result
      elseif mode == "OFB" then
        feedback = ks
      else
        increment(feedback)
      end
    end
    out[#out + 1] = from_block(result)
  end
  return table.concat(out)
end

return {
  encrypt = function(data, key, iv, mode, keyLength)
    return run(false, "crypto.cipher.aes.encrypt", data, key, iv, mode, keyLength)
  end,
  decrypt = function(data, key, iv, mode, keyLength)
    return run(true, "crypto.cipher.aes.decrypt", data, key, iv, mode, keyLength)
  end,
}
