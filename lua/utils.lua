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

--- true when `t` is a sequence 1..n with no other keys (an empty table counts).
function utils.isArray(t)
  if type(t) ~= "table" then return false end
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  for i = 1, n do
    if t[i] == nil then return false end
  end
  return true
end

local function check_table(name, t)
  if type(t) ~= "table" then
    error("utils." .. name .. ": expected a table, got " .. type(t), 3)
  end
end

utils.concat = utils.curry(function(a, b)
  check_table("concat", a); check_table("concat", b)
  local out = {}
  for i = 1, #a do out[#out + 1] = a[i] end
  for i = 1, #b do out[#out + 1] = b[i] end
  return out
end, 2)

utils.reduce = utils.curry(function(fn, initial, t)
  check_table("reduce", t)
  local acc = initial
  for i = 1, #t do
    if acc == nil and i == 1 then acc = t[1] else acc = fn(acc, t[i], i) end
  end
  return acc
end, 3)

utils.map = utils.curry(function(fn, t)
  check_table("map", t)
  local out = {}
  for i = 1, #t do out[i] = fn(t[i], i) end
  return out
end, 2)

utils.filter = utils.curry(function(fn, t)
  check_table("filter", t)
  local out = {}
  for i = 1, #t do
    if fn(t[i]) then out[#out + 1] = t[i] end
  end
  return out
end, 2)

utils.find = utils.curry(function(fn, t)
  check_table("find", t)
  for i = 1, #t do
    if fn(t[i]) then return t[i] end
  end
  return nil
end, 2)

utils.reverse = function(t)
  check_table("reverse", t)
  local out, n = {}, #t
  for i = n, 1, -1 do out[#out + 1] = t[i] end
  return out
end

utils.includes = utils.curry(function(v, t)
  check_table("includes", t)
  for i = 1, #t do
    if t[i] == v then return true end
  end
  return false
end, 2)

utils.prop = utils.curry(function(name, t) return t[name] end, 2)

utils.propEq = utils.curry(function(name, value, t) return t[name] == value end, 3)

--- compose(f, g, h)(x) == f(g(h(x)))
function utils.compose(...)
  local fns = { ... }
  return function(...)
    local result = table.pack(...)
    for i = #fns, 1, -1 do result = table.pack(fns[i](table.unpack(result, 1, result.n))) end
    return table.unpack(result, 1, result.n)
  end
end

function utils.keys(t)
  check_table("keys", t)
  local out = {}
  for k in pairs(t) do out[#out + 1] = k end
  return out
end

function utils.values(t)
  check_table("values", t)
  local out = {}
  for _, v in pairs(t) do out[#out + 1] = v end
  return out
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
