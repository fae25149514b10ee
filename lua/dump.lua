--[[ dump.lua (`.dump`; the `Dump` global): values written as Lua source, as aos's Dump does.

  dump(value, indent?, padding?, filter?, udata?) -> string

aos ships the lua-dump library for this, and its Eval results carry `Dump(prints)` in
`Output.test`, so the layout here is that library's, byte for byte:

  * a table is `{`, one `key = value` per line indented by `indent` spaces (default 4)
    more than its parent (plus `padding` spaces before everything), then `}`; an empty
    table is `{}`; with indent 0 everything stays on one line, separated by spaces;
  * keys: numbers and booleans as `[k]`, identifiers as they are, other strings as
    `["..."]` (%q), table keys dumped; the lines are sorted, numeric keys first;
  * values: numbers and booleans by tostring, strings by %q, tables nested, anything
    else as the %q of its tostring;
  * a table met again on its own path is the string "<Circular table: ...>";
  * a value that is not a table is the %q of its tostring (`Dump(42)` is `"42"`).

`filter(value, depth, type, use, key, udata)` may replace a key or a value (use is "key",
"val" or "circular"); returning nil drops the field, a second true result means "write as
is" (no %q, no nesting).
]]

local type, tostring, floor, huge = type, tostring, math.floor, math.huge
local format, match, sort, concat = string.format, string.match, table.sort, table.concat

local reserved = {}
for word in ([[and break do else elseif end false for function goto if in local nil not or
  repeat return then true until while]]):gmatch("%a+") do
  reserved[word] = true
end

local function keep(value) return value end

-- The line order: within one key type, by key (false before true); numeric keys first.
local function line_before(a, b)
  if a.kind == b.kind then
    if a.kind == "boolean" then return b.key end
    return a.key < b.key
  end
  return a.kind == "number"
end

local table_text

local function key_text(key, nodump, depth, field_indent, ctx)
  local kind = type(key)
  if kind == "number" or kind == "boolean" then
    return "[" .. tostring(key) .. "]", key, kind
  end
  if kind == "table" and not nodump then
    local text = "[" .. table_text(key, depth + 1, field_indent, ctx) .. "]"
    return text, text, "string"
  end
  if kind ~= "string" or reserved[key] or not match(key, "^[a-zA-Z_][a-zA-Z0-9_]*$") then
    local text = format("[%q]", tostring(key))
    return text, text, "string"
  end
  return key, key, kind
end

local function value_text(value, nodump, depth, field_indent, ctx)
  local kind = type(value)
  if kind == "number" or kind == "boolean" then return tostring(value) end
  if kind == "string" then return nodump and value or format("%q", value) end
  if kind == "table" and not nodump then
    return table_text(value, depth + 1, field_indent, ctx)
  end
  return format("%q", tostring(value))
end

table_text = function(t, depth, indent, ctx)
  local ref = tostring(t)
  if ctx.open[ref] then
    local value, nodump = ctx.filter(t, depth, "table", "circular", t, ctx.udata)
    if value ~= nil and value ~= t then
      local kind = type(value)
      if kind == "table" then
        return nodump and tostring(value) or table_text(value, depth + 1, indent, ctx)
      end
      if kind == "number" or kind == "boolean" then return tostring(value) end
      return format("%q", kind == "string" and value or tostring(value))
    end
    return '"<Circular ' .. ref .. '>"'
  end
  local field_indent = indent .. ctx.step
  local lines = {}
  ctx.open[ref] = true
  for k, v in pairs(t) do
    local key, nokdump = ctx.filter(k, depth, type(k), "key", nil, ctx.udata)
    if key ~= nil then
      local value, novdump = ctx.filter(v, depth, type(v), "val", key, ctx.udata)
      if value ~= nil then
        local text, sort_key, kind = key_text(key, nokdump, depth, field_indent, ctx)
        lines[#lines + 1] = {
          kind = kind,
          key = sort_key,
          text = field_indent .. text .. " = " ..
            value_text(value, novdump, depth, field_indent, ctx),
        }
      end
    end
  end
  ctx.open[ref] = nil
  if #lines == 0 then return "{}" end
  sort(lines, line_before)
  local out = {}
  for i = 1, #lines do out[i] = lines[i].text end
  return "{" .. ctx.lf .. concat(out, "," .. ctx.lf) .. ctx.lf .. indent .. "}"
end

-- The layout of a sequence of strings, numbers and booleans with the default options,
-- written directly: that is every Eval's print log (Output.test), on every message.
-- Anything else (other keys, nested tables) gives nil and takes the general path.
local function flat_array(t)
  local n, count = #t, 0
  if n == 0 then return nil end
  for _, v in pairs(t) do
    count = count + 1
    local kind = type(v)
    if kind ~= "string" and kind ~= "number" and kind ~= "boolean" then return nil end
  end
  if count ~= n then return nil end
  local lines = {}
  for i = 1, n do
    local v = t[i]
    lines[i] = "    [" .. i .. "] = " .. (type(v) == "string" and format("%q", v) or tostring(v))
  end
  return "{\n" .. concat(lines, ",\n") .. "\n}"
end

local function is_count(v)
  return type(v) == "number" and v < huge and v >= 0 and floor(v) == v
end

local function dump(value, indent, padding, filter, udata)
  if indent == nil then
    indent = 4
  elseif not is_count(indent) then
    error("indent must be unsigned integer", 2)
  end
  if padding == nil then
    padding = 0
  elseif not is_count(padding) then
    error("padding must be unsigned integer", 2)
  end
  if filter == nil then
    filter = keep
  elseif type(filter) ~= "function" then
    error("filter must be function", 2)
  end
  local kind = type(value)
  if kind == "table" and filter == keep and indent == 4 and padding == 0 then
    local fast = flat_array(value)
    if fast then return fast end
  end
  if kind == "table" then
    local step = string.rep(" ", floor(indent))
    return table_text(value, 1, string.rep(" ", floor(padding)), {
      lf = step == "" and " " or "\n",
      step = step,
      open = {},
      filter = filter,
      udata = udata,
    })
  end
  local v, nodump = filter(value, 0, kind, "val", nil, udata)
  if nodump == true then return tostring(v) end
  return format("%q", tostring(v))
end

return dump
