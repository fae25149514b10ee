--- dump: a serializer that writes values as Lua source (required as `.dump`; the `Dump` global).
--
-- dump(value) -> string that reads back as an equal value with `load("return " .. s)`
-- for nil, booleans, numbers, strings and tables of those. Tables print their array part
-- (1..n) first, then the other keys in a fixed order (numbers, strings, then by type), as
-- `name = v` for identifier keys and `[k] = v` otherwise. A table of scalars fits on one
-- line; a table holding tables is spread over lines indented by two spaces. Functions,
-- threads and userdata become `nil --[[function]]` (no memory address ever appears), and
-- a table met again on its own path becomes `nil --[[circular]]`.

local dump = { _version = "1.0.0" }

local keywords = {}
for word in ([[and break do else elseif end false for function goto if in local nil not or
  repeat return then true until while]]):gmatch("%a+") do
  keywords[word] = true
end

local type_rank = { number = 1, string = 2, boolean = 3 }

local function key_less(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then
    local ra, rb = type_rank[ta] or 4, type_rank[tb] or 4
    if ra ~= rb then return ra < rb end
    return ta < tb
  end
  if ta == "number" or ta == "string" then return a < b end
  if ta == "boolean" then return not a and b end
  return false
end

local function number_literal(n)
  if math.type(n) == "integer" then
    return n == math.mininteger and "math.mininteger" or string.format("%d", n)
  end
  if n ~= n then return "0/0" end
  if n == math.huge then return "math.huge" end
  if n == -math.huge then return "-math.huge" end
  local s
  for _, precision in ipairs({ "%.14g", "%.15g", "%.16g", "%.17g" }) do
    s = string.format(precision, n) -- the shortest text that reads back exactly
    if tonumber(s) == n then break end
  end
  if math.tointeger(tonumber(s)) and not s:find("[.eEn]") then s = s .. ".0" end
  return s
end

local serialize -- forward declaration: tables recurse

local function key_literal(k, seen, indent)
  if type(k) == "string" and k:match("^[%a_][%w_]*$") and not keywords[k] then
    return k
  end
  return "[" .. serialize(k, seen, indent) .. "]"
end

local function table_literal(t, seen, indent)
  if seen[t] then return "nil --[[circular]]" end
  seen[t] = true
  local items, nested = {}, false
  local n = #t
  for i = 1, n do
    if type(t[i]) == "table" then nested = true end
    items[#items + 1] = serialize(t[i], seen, indent .. "  ")
  end
  local keys = {}
  for k in pairs(t) do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then keys[#keys + 1] = k end
  end
  table.sort(keys, key_less)
  for _, k in ipairs(keys) do
    if type(t[k]) == "table" then nested = true end
    items[#items + 1] = key_literal(k, seen, indent .. "  ") .. " = " .. serialize(t[k], seen, indent .. "  ")
  end
  seen[t] = nil
  if #items == 0 then return "{}" end
  if not nested then return "{ " .. table.concat(items, ", ") .. " }" end
  local inner = indent .. "  "
  return "{\n" .. inner .. table.concat(items, ",\n" .. inner) .. "\n" .. indent .. "}"
end

serialize = function(v, seen, indent)
  local ty = type(v)
  if ty == "string" then return string.format("%q", v):gsub("\\\n", "\\n") end
  if ty == "number" then return number_literal(v) end
  if ty == "table" then return table_literal(v, seen, indent) end
  if ty == "nil" or ty == "boolean" then return tostring(v) end
  return "nil --[[" .. ty .. "]]"
end

--- Writes a value as Lua source text.
function dump.dump(value)
  return (serialize(value, {}, ""))
end

return setmetatable(dump, {
  __call = function(_, value) return dump.dump(value) end,
})
