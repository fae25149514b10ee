--- crypto.isaac: Bob Jenkins' ISAAC generator, as aos exposes it (crypto.random and
--- crypto.cipher.issac). The generator state lives in this module, as in aos.

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

-- The keystream character of the ISAAC cipher: a printable ASCII code, 32..126.
local function getRandomChar()
  return getRandom() % 95 + 32
end

-- A Vigenere shift over the 95 printable ASCII characters with an ISAAC keystream seeded
-- by the key (as aos does it: the shift is the keystream character's code, 32..126).
local function vigenere(text, key, sign, who)
  if type(text) ~= "string" or type(key) ~= "string" then
    error(who .. ": expected the text and the key as strings, got " .. type(text) .. " and " .. type(key), 0)
  end
  seedIsaac(key, true)
  local out = {}
  for i = 1, #text do
    local shift = getRandomChar()
    out[i] = string.char(32 + (text:byte(i) - 32 + sign * shift) % 95)
  end
  return table.concat(out)
end

local function encrypt(text, key) return vigenere(text, key, 1, "crypto.cipher.issac.encrypt") end
local function decrypt(text, key) return vigenere(text, key, -1, "crypto.cipher.issac.decrypt") end

return {
  random = random,
  getRandom = getRandom,
  getRandomChar = getRandomChar,
  seedIsaac = seedIsaac,
  encrypt = encrypt,
  decrypt = decrypt,
}
