--- chance: a seeded Mersenne Twister (MT19937, 32-bit) for deterministic randomness.
--
-- The process library seeds it once per process and installs it as `math.random`, so a
-- replay of the same log draws the same numbers. The mapping to ranges is the one aos
-- processes have always seen:
--   random()          float in [0, 1): genrand_int32() / 2^32
--   integer(min, max) floor(random() * (max - min + 1) + min), both ends included
--
-- seed(n) uses the reference init_genrand (Knuth's multiplier 1812433253). Drawing before
-- any seed uses the reference default seed 5489.

local chance = {}

local N, M = 624, 397
local MATRIX_A, UPPER, LOWER = 0x9908B0DF, 0x80000000, 0x7FFFFFFF

local state = {} -- mt[0..N-1]
local index = N + 1 -- N + 1 means "never seeded"

local function init_genrand(s)
  state[0] = s & 0xFFFFFFFF
  for i = 1, N - 1 do
    local prev = state[i - 1]
    -- the product wraps at 64 bits; its low 32 bits are exact, which is all we keep
    state[i] = (1812433253 * (prev ~ (prev >> 30)) + i) & 0xFFFFFFFF
  end
  index = N
end

-- Regenerates the whole block of N words (the "twist").
local function twist()
  for k = 0, N - 1 do
    local y = (state[k] & UPPER) | (state[(k + 1) % N] & LOWER)
    local v = state[(k + M) % N] ~ (y >> 1)
    if y & 1 == 1 then v = v ~ MATRIX_A end
    state[k] = v
  end
  index = 0
end

--- The next 32-bit output, an integer in [0, 2^32 - 1].
function chance.genrand_int32()
  if index >= N then
    if index == N + 1 then init_genrand(5489) end
    twist()
  end
  local y = state[index]
  index = index + 1
  y = y ~ (y >> 11)
  y = y ~ ((y << 7) & 0x9D2C5680)
  y = y ~ ((y << 15) & 0xEFC60000)
  y = y ~ (y >> 18)
  return y
end

--- Seeds the generator with an integer (only its low 32 bits matter).
function chance.seed(n)
  local s = math.tointeger(n)
  if s == nil then
    error("chance.seed: expected an integer seed, got " .. type(n) .. " " .. tostring(n), 2)
  end
  init_genrand(s)
end

--- A float in [0, 1).
function chance.random()
  return chance.genrand_int32() * (1.0 / 4294967296.0)
end

--- An integer in [min, max], both included.
function chance.integer(min, max)
  -- aos asserts this at line 201 of its chance module; users see the text with that line
  -- (math.random(0) fails so). Arguments that cannot be compared fail with Lua's words.
  if not (max >= min) then error('[string ".chance"]:201: max must bigger than min', 0) end
  return math.floor(chance.random() * (max - min + 1) + min)
end

return chance
