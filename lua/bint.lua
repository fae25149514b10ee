--- bint: fixed-width big integers in two's complement (required as `.bint`).
--
-- `local bint = require('.bint')(256)` gives the class for 256-bit integers (any multiple of
-- 32 bits from 64 up). Values wrap around like machine integers of that width, which is
-- what aos tokens expect. Construct with `bint(x)` / `bint.new(x)` from a Lua integer, an
-- integral float, a decimal string (optionally signed, `0x`/`0b` prefixes allowed) or
-- another bint. Arithmetic (+ - * // % / unary - ^), bitwise (& | ~ << >>) and comparison
-- (== < <=) operators work between bints, and between a bint and a Lua number or numeric
-- string (a non-integral float operand turns the operation into float arithmetic).
-- `//` and `%` are floored like Lua's; `/` is float division.
--
-- Representation: an array of `bits/32` limbs of 32 bits, least significant first. 32-bit
-- limbs keep every intermediate product and carry inside 64 bits (read unsigned).

local MASK = 0xFFFFFFFF

local classes = {} -- one class per width, so bints of the same width share a metatable

local function new_class(bits)
  local N = bits // 32
  local bint = { bits = bits }
  bint.__index = bint

  local function raw()
    local t = {}
    for i = 1, N do t[i] = 0 end
    return setmetatable(t, bint)
  end

  local function copy(x)
    local t = {}
    for i = 1, N do t[i] = x[i] end
    return setmetatable(t, bint)
  end

  local function isneg(x) return x[N] >> 31 == 1 end

  local function iszero(x)
    for i = 1, N do
      if x[i] ~= 0 then return false end
    end
    return true
  end

  -- x := -x in place (two's complement: invert and add one)
  local function negate_inplace(x)
    local carry = 1
    for i = 1, N do
      local v = (~x[i] & MASK) + carry
      x[i] = v & MASK
      carry = v >> 32
    end
    return x
  end

  -- x := x * m + a in place, for small non-negative m and a (m, a < 2^31)
  local function muladd_small(x, m, a)
    local carry = a
    for i = 1, N do
      local p = x[i] * m + carry
      x[i] = p & MASK
      carry = p >> 32
    end
  end

  -- x := x / d in place for 0 < d < 2^32; returns the remainder. Works in 16-bit steps so
  -- no intermediate reaches 2^63 (Lua's // is signed).
  local function divmod_small(x, d, top)
    local rem = 0
    for i = top or N, 1, -1 do
      local cur = (rem << 16) | (x[i] >> 16)
      local qh = cur // d
      rem = cur % d
      cur = (rem << 16) | (x[i] & 0xFFFF)
      local ql = cur // d
      rem = cur % d
      x[i] = (qh << 16) | ql
    end
    return rem
  end

  local function frominteger(n)
    local t = raw()
    t[1] = n & MASK
    t[2] = (n >> 32) & MASK
    local fill = n < 0 and MASK or 0
    for i = 3, N do t[i] = fill end
    return t
  end

  local function fromfloat(f)
    if f ~= f or f == math.huge or f == -math.huge or math.floor(f) ~= f then
      return nil
    end
    local n = math.tointeger(f)
    if n then return frominteger(n) end
    local t, a = raw(), math.abs(f)
    for i = 1, N do
      local limb = math.fmod(a, 4294967296.0)
      t[i] = math.tointeger(limb)
      a = (a - limb) / 4294967296.0
    end
    if f < 0 then negate_inplace(t) end
    return t
  end

  local digit_value = {}
  for i = 0, 9 do digit_value[48 + i] = i end
  for i = 0, 25 do
    digit_value[65 + i] = 10 + i -- A-Z
    digit_value[97 + i] = 10 + i -- a-z
  end

  --- Parses a string in `base` (default 10; `0x`/`0b` prefixes pick 16/2); nil if invalid.
  function bint.frombase(s, base)
    if type(s) ~= "string" then return nil end
    base = base or 10
    -- fast path: up to 18 plain digits always fit a Lua integer (balances, quantities)
    if base == 10 and #s <= 18 and s:find("^%d+$") then
      return frominteger(math.tointeger(tonumber(s)))
    end
    local sign, body = s:match("^%s*([-+]?)(.-)%s*$")
    if base == 10 then
      local prefix = body:sub(1, 2):lower()
      if prefix == "0x" then base, body = 16, body:sub(3)
      elseif prefix == "0b" then base, body = 2, body:sub(3)
      end
    end
    if body == "" then return nil end
    local t = raw()
    if base == 10 then
      -- nine digits at a time: far fewer passes over the limbs
      if not body:find("^%d+$") then return nil end
      local first = (#body - 1) % 9 + 1
      muladd_small(t, 1, tonumber(body:sub(1, first)))
      for i = first + 1, #body, 9 do
        muladd_small(t, 1000000000, tonumber(body:sub(i, i + 8)))
      end
    else
      for i = 1, #body do
        local v = digit_value[body:byte(i)]
        if v == nil or v >= base then return nil end
        muladd_small(t, base, v)
      end
    end
    if sign == "-" then negate_inplace(t) end
    return t
  end

  function bint.fromstring(s) return bint.frombase(s, 10) end
  function bint.frominteger(n)
    if math.type(n) ~= "integer" then return nil end
    return frominteger(n)
  end
  function bint.fromnumber(n)
    if math.type(n) == "integer" then return frominteger(n) end
    if math.type(n) == "float" then return fromfloat(n) end
    return nil
  end

  --- Converts a bint, number or numeric string to a bint of this width; nil if impossible.
  function bint.fromvalue(x)
    if getmetatable(x) == bint then return copy(x) end
    local ty = math.type(x)
    if ty == "integer" then return frominteger(x) end
    if ty == "float" then return fromfloat(x) end
    if type(x) == "string" then return bint.frombase(x, 10) end
    return nil
  end

  -- Operand conversion without copying bints (operators never mutate their inputs).
  local function tobint(x)
    if getmetatable(x) == bint then return x end
    return bint.fromvalue(x)
  end
  bint.tobint = function(x, clone)
    if clone and getmetatable(x) == bint then return copy(x) end
    return tobint(x)
  end

  --- bint.new(x): a copy of a bint, or a number or string converted (an error when it
  --- cannot be). As in aos, a value of any other type is returned as it is.
  function bint.new(x)
    if getmetatable(x) == bint then return copy(x) end
    local t = x
    local ty = type(x)
    if ty == "number" or ty == "string" then t = bint.fromvalue(x) end
    -- The text and position of aos's assert, which users see.
    if not t then error('[string ".bint"]:787: value cannot be represented by a bint', 0) end
    return t
  end

  function bint.zero() return raw() end
  function bint.one() return frominteger(1) end
  function bint.maxinteger()
    local t = raw()
    for i = 1, N do t[i] = MASK end
    t[N] = 0x7FFFFFFF
    return t
  end
  function bint.mininteger()
    local t = raw()
    t[N] = 0x80000000
    return t
  end

  function bint.isbint(x) return getmetatable(x) == bint end
  function bint.iszero(x) return iszero(tobint(x)) end
  function bint.isneg(x) return isneg(tobint(x)) end
  function bint.ispos(x)
    local t = tobint(x)
    return not isneg(t) and not iszero(t)
  end
  function bint.iseven(x) return tobint(x)[1] & 1 == 0 end
  function bint.isodd(x) return tobint(x)[1] & 1 == 1 end
  function bint.isone(x)
    local t = tobint(x)
    if t[1] ~= 1 then return false end
    for i = 2, N do
      if t[i] ~= 0 then return false end
    end
    return true
  end

  -------------------------------------------------------------------------------
  -- Conversions out
  -------------------------------------------------------------------------------

  local function tofloat(x)
    local neg = isneg(x)
    local a = neg and negate_inplace(copy(x)) or x
    local f = 0.0
    for i = N, 1, -1 do f = f * 4294967296.0 + a[i] end
    return neg and -f or f
  end

  -- The value as a Lua integer when it fits in 64 signed bits, else nil.
  local function tointeger(x)
    local hi = x[2]
    local fill = hi >> 31 == 1 and MASK or 0
    for i = 3, N do
      if x[i] ~= fill then return nil end
    end
    return (hi << 32) | x[1]
  end

  function bint.tointeger(x)
    local t = tobint(x)
    return t and tointeger(t)
  end

  --- A Lua integer when it fits, a float otherwise.
  function bint.tonumber(x)
    if type(x) == "number" then return x end
    local t = tobint(x)
    if t == nil then return nil end
    return tointeger(t) or tofloat(t)
  end

  local digits = "0123456789abcdefghijklmnopqrstuvwxyz"

  --- Text in `base` (2..36). Base 10 is signed unless `unsigned`; other bases default unsigned.
  function bint.tobase(x, base, unsigned)
    local t = tobint(x)
    base = base or 10
    if math.type(base) ~= "integer" or base < 2 or base > 36 then
      error("bint.tobase: base must be an integer from 2 to 36, got " .. tostring(base), 2)
    end
    if unsigned == nil then unsigned = base ~= 10 end
    if base == 10 and not unsigned then
      local n = tointeger(t) -- fast path: the value fits a Lua integer
      if n then return string.format("%d", n) end
    end
    local neg = not unsigned and isneg(t)
    local a = copy(t)
    if neg then negate_inplace(a) end
    if iszero(a) then return "0" end
    local parts = {}
    -- `top` is the highest non-zero limb: the quotient only shrinks, so skip the zeros above
    local top = N
    while a[top] == 0 do top = top - 1 end
    if base == 10 then
      while top > 0 do
        parts[#parts + 1] = divmod_small(a, 1000000000, top)
        while top > 0 and a[top] == 0 do top = top - 1 end
      end
      local out = { tostring(parts[#parts]) }
      for i = #parts - 1, 1, -1 do out[#out + 1] = string.format("%09d", parts[i]) end
      return (neg and "-" or "") .. table.concat(out)
    end
    while top > 0 do
      local r = divmod_small(a, base, top)
      parts[#parts + 1] = digits:sub(r + 1, r + 1)
      while top > 0 and a[top] == 0 do top = top - 1 end
    end
    return (neg and "-" or "") .. table.concat(parts):reverse()
  end

  -- Not a field: aos's bint has no bint.tostring (tostring(x) is the way).
  local function decimal(x) return bint.tobase(x, 10) end
  bint.__tostring = decimal

  function bint.__concat(a, b)
    local sa = getmetatable(a) == bint and decimal(a) or tostring(a)
    local sb = getmetatable(b) == bint and decimal(b) or tostring(b)
    return sa .. sb
  end

  -------------------------------------------------------------------------------
  -- Arithmetic
  -------------------------------------------------------------------------------

  -- A number for float fallback: bints become floats, numbers and strings stay numbers.
  local function tonum(x)
    if getmetatable(x) == bint then return tofloat(x) end
    local n = tonumber(x)
    if n == nil then
      error(string.format("bint: cannot use %s %q in arithmetic", type(x), tostring(x)), 0)
    end
    return n
  end

  local function add(x, y)
    local r, carry = raw(), 0
    for i = 1, N do
      local s = x[i] + y[i] + carry
      r[i] = s & MASK
      carry = s >> 32
    end
    return r
  end

  local function sub(x, y)
    local r, borrow = raw(), 0
    for i = 1, N do
      local d = x[i] - y[i] - borrow
      if d < 0 then
        r[i], borrow = d + 4294967296, 1
      else
        r[i], borrow = d, 0
      end
    end
    return r
  end

  local function mul(x, y)
    local r = raw()
    for i = 1, N do
      local xi = x[i]
      if xi ~= 0 then
        local carry = 0
        for j = 1, N - i + 1 do
          local k = i + j - 1
          -- at most (2^32-1)^2 + 2*(2^32-1) = 2^64-1: exact when read unsigned
          local p = xi * y[j] + r[k] + carry
          r[k] = p & MASK
          carry = p >> 32
        end
      end
    end
    return r
  end

  -- unsigned comparison: -1, 0, 1
  local function ucmp(x, y)
    for i = N, 1, -1 do
      local a, b = x[i], y[i]
      if a ~= b then return a < b and -1 or 1 end
    end
    return 0
  end

  -- unsigned division with remainder of the raw bit patterns
  local function udivmod(x, y)
    if iszero(y) then
      -- aos's text, with the position of its check.
      error('[string ".bint"]:2383: attempt to divide by zero', 0)
    end
    local small = true
    for i = 2, N do
      if y[i] ~= 0 then small = false break end
    end
    if small then
      local q = copy(x)
      local r = divmod_small(q, y[1])
      return q, frominteger(r)
    end
    if ucmp(x, y) < 0 then return raw(), copy(x) end
    -- shift-subtract long division, one bit at a time from the top
    local q, r = raw(), raw()
    for i = N, 1, -1 do
      local limb = x[i]
      for b = 31, 0, -1 do
        local carry = (limb >> b) & 1
        for k = 1, N do
          local v = (r[k] << 1) | carry
          r[k] = v & MASK
          carry = v >> 32
        end
        if ucmp(r, y) >= 0 then
          local borrow = 0
          for k = 1, N do
            local d = r[k] - y[k] - borrow
            if d < 0 then r[k], borrow = d + 4294967296, 1 else r[k], borrow = d, 0 end
          end
          q[i] = q[i] | (1 << b)
        end
      end
    end
    return q, r
  end

  -- floored signed division (Lua's // and %)
  local function idivmod(x, y)
    local xneg, yneg = isneg(x), isneg(y)
    local ax = xneg and negate_inplace(copy(x)) or x
    local ay = yneg and negate_inplace(copy(y)) or y
    local q, r = udivmod(ax, ay)
    if xneg ~= yneg then
      negate_inplace(q)
      if not iszero(r) then
        q = sub(q, frominteger(1))
        -- floored remainder takes the divisor's sign: r = |y| - r, signed like y
        r = sub(ay, r)
      end
    end
    if yneg then negate_inplace(r) end
    return q, r
  end

  -- Makes a binary operator: bint arithmetic when both sides convert, float otherwise.
  local function binop(f, float_op)
    return function(a, b)
      local x, y = tobint(a), tobint(b)
      if x and y then return f(x, y) end
      return float_op(tonum(a), tonum(b))
    end
  end

  bint.__add = binop(add, function(a, b) return a + b end)
  bint.__sub = binop(sub, function(a, b) return a - b end)
  bint.__mul = binop(mul, function(a, b) return a * b end)
  bint.__idiv = binop(function(x, y) return (idivmod(x, y)) end, function(a, b) return a // b end)
  bint.__mod = binop(function(x, y)
    local _, r = idivmod(x, y)
    return r
  end, function(a, b) return a % b end)
  function bint.__div(a, b) return tonum(a) / tonum(b) end
  function bint.__unm(a) return negate_inplace(copy(a)) end

  function bint.udivmod(a, b) return udivmod(bint.new(a), bint.new(b)) end
  function bint.idivmod(a, b) return idivmod(bint.new(a), bint.new(b)) end
  --- Truncated division (toward zero), like C.
  function bint.tdivmod(a, b)
    local x, y = bint.new(a), bint.new(b)
    local xneg, yneg = isneg(x), isneg(y)
    local q, r = udivmod(xneg and -x or x, yneg and -y or y)
    if xneg ~= yneg then negate_inplace(q) end
    if xneg then negate_inplace(r) end
    return q, r
  end
  function bint.udiv(a, b) return (bint.udivmod(a, b)) end
  function bint.umod(a, b)
    local _, r = bint.udivmod(a, b)
    return r
  end
  function bint.tdiv(a, b) return (bint.tdivmod(a, b)) end
  function bint.tmod(a, b)
    local _, r = bint.tdivmod(a, b)
    return r
  end
  function bint.idiv(a, b) return (bint.idivmod(a, b)) end
  function bint.imod(a, b)
    local _, r = bint.idivmod(a, b)
    return r
  end

  --- (x ^ e) % m for non-negative values, by square-and-multiply with reduction each step
  --- (exact while m < 2^(bits/2), since products wrap at the class width).
  function bint.upowmod(x, e, m)
    local base, exp, mod = bint.new(x), bint.new(e), bint.new(m)
    local result = frominteger(1)
    local _, r = udivmod(base, mod)
    base = r
    for i = 1, N do
      local limb = exp[i]
      for _ = 0, 31 do
        if limb & 1 == 1 then
          local _, rr = udivmod(mul(result, base), mod)
          result = rr
        end
        limb = limb >> 1
        local _, rb = udivmod(mul(base, base), mod)
        base = rb
      end
    end
    local _, final = udivmod(result, mod)
    return final
  end

  function bint.abs(a)
    local x = bint.new(a)
    return isneg(x) and negate_inplace(x) or x
  end

  --- Integer power by squaring (wrapping). A negative exponent gives a float.
  function bint.ipow(a, b)
    local x, e = bint.new(a), bint.new(b)
    if isneg(e) then return tofloat(x) ^ tofloat(e) end
    local result = frominteger(1)
    local base = x
    for i = 1, N do
      local limb = e[i]
      for _ = 0, 31 do
        if limb & 1 == 1 then result = mul(result, base) end
        limb = limb >> 1
        base = mul(base, base)
      end
    end
    return result
  end
  -- As in lua-bint (aos): `^` always gives a float, like Lua's own; bint.ipow stays exact.
  bint.__pow = function(a, b)
    return tonum(a) ^ tonum(b)
  end

  -------------------------------------------------------------------------------
  -- Bitwise
  -------------------------------------------------------------------------------

  local function bitop(f)
    return function(a, b)
      local x, y = bint.new(a), bint.new(b)
      local r = raw()
      for i = 1, N do r[i] = f(x[i], y[i]) & MASK end
      return r
    end
  end
  bint.__band = bitop(function(p, q) return p & q end)
  bint.__bor = bitop(function(p, q) return p | q end)
  bint.__bxor = bitop(function(p, q) return p ~ q end)
  function bint.__bnot(a)
    local x, r = bint.new(a), raw()
    for i = 1, N do r[i] = ~x[i] & MASK end
    return r
  end

  -- logical shift left by n bits (negative n shifts right)
  local function shl(x, n)
    if n < 0 then return bint.__shr(x, -n) end
    local r = raw()
    local limbs, b = n // 32, n % 32
    for i = N, limbs + 1, -1 do
      local v = x[i - limbs] << b
      if b > 0 and i - limbs - 1 >= 1 then v = v | (x[i - limbs - 1] >> (32 - b)) end
      r[i] = v & MASK
    end
    return r
  end
  function bint.__shl(a, n) return shl(bint.new(a), math.tointeger(n) or error("bint: shift by a non-integer", 2)) end
  function bint.__shr(a, n)
    local x = bint.new(a)
    n = math.tointeger(n) or error("bint: shift by a non-integer", 2)
    if n < 0 then return shl(x, -n) end
    local r = raw()
    local limbs, b = n // 32, n % 32
    for i = 1, N - limbs do
      local v = x[i + limbs] >> b
      if b > 0 and i + limbs + 1 <= N then v = v | (x[i + limbs + 1] << (32 - b)) end
      r[i] = v & MASK
    end
    return r
  end

  -------------------------------------------------------------------------------
  -- Comparison
  -------------------------------------------------------------------------------

  -- signed comparison: -1, 0, 1
  local function cmp(x, y)
    local xn, yn = isneg(x), isneg(y)
    if xn ~= yn then return xn and -1 or 1 end
    return ucmp(x, y)
  end

  function bint.__eq(a, b)
    local x, y = tobint(a), tobint(b)
    if x and y then return cmp(x, y) == 0 end
    return false
  end
  function bint.eq(a, b) return bint.__eq(a, b) end
  function bint.__lt(a, b)
    local x, y = tobint(a), tobint(b)
    if x and y then return cmp(x, y) < 0 end
    return tonum(a) < tonum(b)
  end
  function bint.__le(a, b)
    local x, y = tobint(a), tobint(b)
    if x and y then return cmp(x, y) <= 0 end
    return tonum(a) <= tonum(b)
  end
  function bint.lt(a, b) return bint.__lt(a, b) end
  function bint.le(a, b) return bint.__le(a, b) end
  function bint.ult(a, b) return ucmp(bint.new(a), bint.new(b)) < 0 end
  function bint.ule(a, b) return ucmp(bint.new(a), bint.new(b)) <= 0 end
  function bint.max(a, b)
    local x, y = bint.new(a), bint.new(b)
    return cmp(x, y) >= 0 and x or y
  end
  function bint.min(a, b)
    local x, y = bint.new(a), bint.new(b)
    return cmp(x, y) <= 0 and x or y
  end

  -- bint(x) is bint.new(x)
  return setmetatable(bint, {
    __call = function(_, x) return bint.new(x) end,
  })
end

--- require('.bint')(bits) -> the bint class of that width (default 256).
return function(bits)
  bits = bits or 256
  if math.type(bits) ~= "integer" or bits < 64 or bits % 32 ~= 0 then
    error("bint: the width must be a multiple of 32 bits, at least 64; got " .. tostring(bits), 2)
  end
  local class = classes[bits]
  if not class then
    class = new_class(bits)
    classes[bits] = class
  end
  return class
end
