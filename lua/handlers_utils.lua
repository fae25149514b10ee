--[[ handlers_utils.lua (`.handlers-utils`, `Handlers.utils`): ready-made patterns and
handlers for Handlers.add (docs/compat.md §3.6).
]]

local utils = require(".utils")

local hu = { _version = "0.0.2" }

local function check_string(fn, what, v)
  if type(v) ~= "string" then
    error("Handlers.utils." .. fn .. ": " .. what .. " must be a string, got " .. type(v), 3)
  end
end

--- A pattern: the tag `name` equals `value` exactly.
function hu.hasMatchingTag(name, value)
  check_string("hasMatchingTag", "name", name)
  return function(msg)
    return msg.Tags ~= nil and msg.Tags[name] == value
  end
end

--- A pattern: the tag `name` equals one of `values` exactly.
function hu.hasMatchingTagOf(name, values)
  check_string("hasMatchingTagOf", "name", name)
  if type(values) ~= "table" then
    error("Handlers.utils.hasMatchingTagOf: values must be a list, got " .. type(values), 2)
  end
  return function(msg)
    if msg.Tags == nil then return false end
    local v = msg.Tags[name]
    for _, want in ipairs(values) do
      if v == want then return true end
    end
    return false
  end
end

--- A pattern: msg.Data equals `value` exactly.
function hu.hasMatchingData(value)
  return function(msg) return msg.Data == value end
end

--- A handler that replies with `input` (Data if a string, the whole reply if a table).
function hu.reply(input)
  local t = type(input)
  if t ~= "string" and t ~= "table" then
    error("Handlers.utils.reply: input must be a string or a table, got " .. t, 2)
  end
  return function(msg)
    if t == "string" then
      msg.reply({ Data = input })
    else
      msg.reply(input)
    end
  end
end

--- A pattern that matches like `pattern` but lets the next handlers run too.
function hu.continue(pattern)
  return function(msg)
    local r = utils.matchesSpec(msg, pattern)
    if r == true or r == -1 or r == "break" then return 1 end
    if r == false or r == nil then return 0 end
    return r
  end
end

return hu
