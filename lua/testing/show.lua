--[[ show.lua (`.testing.show`): a value written as Lua source, for the messages of
`aos test`'s assertions.

  inline(v)   one line: "90", 42, 1.5, true, nil, {1, 2, a = "x"}
  block(v)    tables one field a line, indented, for the diff of expected and actual

Keys come in the sandbox's `pairs` order (numbers, then strings bytewise, ...), strings are
quoted with their control bytes escaped, and a table met again inside itself is written
<cycle>, so the same value always reads the same.
]]

local show = {}

local escapes = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\r"] = "\\r",
  ["\t"] = "\\t" }

-- `s` with each byte that is not part of valid UTF-8 replaced by replace(byte).
local function fix_utf8(s, replace)
  if utf8.len(s) then return s end
  local out, pos = {}, 1
  while pos <= #s do
    local ok, bad = utf8.len(s, pos)
    if ok then
      out[#out + 1] = s:sub(pos)
      break
    end
    out[#out + 1] = s:sub(pos, bad - 1) .. replace(s:byte(bad))
    pos = bad + 1
  end
  return table.concat(out)
end

--- `s` with every byte that is not part of valid UTF-8 replaced by U+FFFD: what leaves
--- the runner for Python must decode.
function show.utf8(s)
  return fix_utf8(s, function() return "\239\191\189" end)
end

-- Quoted, with control bytes and bytes that are not UTF-8 escaped (\27, \255).
local function quote(s)
  local body = s:gsub('[%c"\\]', function(c)
    return escapes[c] or string.format("\\%d", c:byte())
  end)
  return '"' .. fix_utf8(body, function(b) return string.format("\\%d", b) end) .. '"'
end

local function is_name(k)
  return type(k) == "string" and k:match("^[%a_][%w_]*$") ~= nil
end

-- 1..n without holes and no other key: written without indices.
local function is_sequence(t)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  return n == #t
end

local function scalar(v)
  local t = type(v)
  if t == "string" then return quote(v) end
  if t == "number" or t == "boolean" or t == "nil" then return tostring(v) end
  return nil
end

local function key_text(k)
  if is_name(k) then return k end
  return "[" .. (scalar(k) or tostring(k)) .. "]"
end

function show.inline(v, seen)
  local s = scalar(v)
  if s then return s end
  if type(v) ~= "table" then return tostring(v) end
  seen = seen or {}
  if seen[v] then return "<cycle>" end
  seen[v] = true
  local parts = {}
  if is_sequence(v) then
    for i = 1, #v do parts[i] = show.inline(v[i], seen) end
  else
    for k, x in pairs(v) do
      parts[#parts + 1] = key_text(k) .. " = " .. show.inline(x, seen)
    end
  end
  seen[v] = nil
  return "{" .. table.concat(parts, ", ") .. "}"
end

local function block(v, indent, seen, out, prefix)
  if type(v) ~= "table" or next(v) == nil or seen[v] then
    out[#out + 1] = indent .. prefix .. (seen[v] and "<cycle>" or show.inline(v))
    return
  end
  seen[v] = true
  out[#out + 1] = indent .. prefix .. "{"
  local sequence = is_sequence(v)
  for k, x in pairs(v) do
    block(x, indent .. "  ", seen, out, (sequence and "" or key_text(k) .. " = "))
    out[#out] = out[#out] .. ","
  end
  out[#out + 1] = indent .. "}"
  seen[v] = nil
end

function show.block(v)
  local out = {}
  block(v, "", {}, out, "")
  return table.concat(out, "\n")
end

return show
