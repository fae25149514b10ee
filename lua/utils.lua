--[[ utils.lua (`.utils`, the `Utils` global): small functional helpers and the message
pattern matcher that Handlers uses (docs/compat.md §3.6 "Pattern matching").

Collection helpers take the function first and the table second, and are curried: a call
with fewer arguments returns a function waiting for the rest (`Utils.map(f)(t)`).
]]

local utils = { _version = "0.0.5" }

local MAGIC = "[%^%$%(%)%%%.%[%]%*%+%?]"

--- Curry `fn` of `arity` arguments (default 2).
function utils.curry(fn, arity)
  if type(fn) ~= "function" then
    error("utils.curry: fn must be a function, got " .. type(fn), 2)
  end
  arity = arity or 2
  if arity < 2 then return fn end
  return function(...)
    local args = { ... }
    local n = select("#", ...)
    if n >= arity then return fn(...) end
    return utils.curry(function(...)
      local all = { table.unpack(args, 1, n) }
      local m = select("#", ...)
      local more = { ... }
      for i = 1, m do all[n + i] = more[i] end
      return fn(table.unpack(all, 1, n + m))
    end, arity - n)
  end
end

-- A table whose keys are all positive integers, the largest being its length.
local function is_array(t)
  if type(t) ~= "table" then return false end
  local max = 0
  for k in pairs(t) do
    if type(k) ~= "number" or k < 1 or math.floor(k) ~= k then return false end
    if k > max then max = k end
  end
  return max == #t
end

-- The argument checks are aos's asserts; their text carries the line of aos's bundled
-- utils module, which users see, so it is written as aos writes it.
local function check(ok, line, text)
  if not ok then error('[string ".utils"]:' .. line .. ": " .. text, 0) end
end

utils.concat = utils.curry(function(a, b)
  check(type(a) == "table", 395, "first argument should be a table that is an array")
  check(type(b) == "table", 397, "second argument should be a table that is an array")
  check(is_array(a), 399, "first argument should be a table")
  check(is_array(b), 401, "second argument should be a table")
  local out = {}
  for i = 1, #a do out[#out + 1] = a[i] end
  for i = 1, #b do out[#out + 1] = b[i] end
  return out
end, 2)

--- reduce(fn, initial, t): folds t in `pairs` order; with a nil initial the first value
--- starts the fold.
utils.reduce = utils.curry(function(fn, initial, t)
  check(type(fn) == "function", 443,
    "first argument should be a function that accepts (result, value, key)")
  check(type(t) == "table" and is_array(t), 445,
    "third argument should be a table that is an array")
  local acc = initial
  for k, v in pairs(t) do
    if acc == nil then acc = v else acc = fn(acc, v, k) end
  end
  return acc
end, 3)

utils.map = utils.curry(function(fn, t)
  check(type(fn) == "function", 485, "first argument should be a unary function")
  check(type(t) == "table" and is_array(t), 487, "second argument should be an Array")
  local out = {}
  for k, v in pairs(t) do out[k] = fn(v, k) end
  return out
end, 2)

utils.filter = utils.curry(function(fn, t)
  check(type(fn) == "function", 523, "first argument should be a unary function")
  check(type(t) == "table" and is_array(t), 525, "second argument should be an Array")
  local out = {}
  for _, v in pairs(t) do
    if fn(v) then out[#out + 1] = v end
  end
  return out
end, 2)

utils.find = utils.curry(function(fn, t)
  check(type(fn) == "function", 565, "first argument should be a unary function")
  check(type(t) == "table", 567, "second argument should be a table that is an array")
  for _, v in pairs(t) do
    if fn(v) then return v end
  end
end, 2)

utils.propEq = utils.curry(function(name, value, t)
  check(type(name) == "string", 601, "first argument should be a string")
  check(type(value) == "string", 603, "second argument should be a string")
  check(type(t) == "table", 605, "third argument should be a table<object>")
  return t[name] == value
end, 3)

utils.reverse = function(t)
  check(type(t) == "table", 629, "argument needs to be a table that is an array")
  local out, n = {}, #t
  for i, v in pairs(t) do out[n - i + 1] = v end
  return out
end

--- compose(f, g, h)(x) == f(g(h(x))) (one value passes from function to function).
utils.compose = utils.curry(function(...)
  local fns = { ... }
  return function(v)
    for i = #fns, 1, -1 do
      check(type(fns[i]) == "function", 675, "each argument needs to be a function")
      v = fns[i](v)
    end
    return v
  end
end, 2)

utils.prop = utils.curry(function(name, t) return t[name] end, 2)

utils.includes = utils.curry(function(v, t)
  check(type(t) == "table", 727, "argument needs to be a table")
  check(is_array(t), 729, "argument should be a table that is an array")
  for _, x in pairs(t) do
    if x == v then return true end
  end
  return false
end, 2)

function utils.keys(t)
  check(type(t) == "table", 749, "argument needs to be a table")
  local out = {}
  for k in pairs(t) do out[#out + 1] = k end
  return out
end

function utils.values(t)
  check(type(t) == "table", 777, "argument needs to be a table")
  local out = {}
  for _, v in pairs(t) do out[#out + 1] = v end
  return out
end

--- "hELLO" → "Hello".
function utils.capitalize(s)
  if type(s) ~= "string" or s == "" then return s end
  return s:sub(1, 1):upper() .. s:sub(2):lower()
end

--- Title-Case a tag or key name: "_" → "-", lowercase, capital after start and "-".
local normalized, cached = {}, 0
function utils.normalize(name)
  if type(name) ~= "string" then return name end
  local hit = normalized[name]
  if hit then return hit end
  local out = string.lower((string.gsub(name, "_", "-")))
  out = string.gsub(out, "^%l", string.upper)
  out = string.gsub(out, "%-%l", string.upper)
  -- A bounded memo: the same few tag names arrive on nearly every message.
  if cached < 512 then
    cached = cached + 1
    normalized[name] = out
  end
  return out
end

--- Does `value` (a field of `msg`) match `pattern`? See docs/compat.md §3.6.
function utils.matchesPattern(pattern, value, msg)
  if pattern == "_" then return true end
  local tp = type(pattern)
  if tp == "function" then return pattern(value, msg) and true or false end
  if tp == "table" then
    for _, sub in ipairs(pattern) do
      if utils.matchesPattern(sub, value, msg) then return true end
    end
    return false
  end
  if value == nil then return false end
  local tv = type(value)
  if tv ~= "string" and tv ~= "number" and tv ~= "boolean" then return false end
  value = string.lower(tostring(value))
  local p = string.lower(tostring(pattern))
  if tp == "string" and string.find(pattern, MAGIC) then
    return string.match(value, p) ~= nil
  end
  return value == p
end

--- Does `msg` match `spec` (a function, an Action string, or a table of field patterns)?
function utils.matchesSpec(msg, spec)
  local ts = type(spec)
  if ts == "function" then return spec(msg) end
  if ts == "string" then return msg.Action == spec end
  if ts == "table" then
    for key, pattern in pairs(spec) do
      local value = msg[key]
      if value == nil then return false end
      if not utils.matchesPattern(pattern, value, msg) then return false end
    end
    return true
  end
  return false
end

return utils
