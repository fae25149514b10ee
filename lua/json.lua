--[[ json.lua (`json`, `.json`): JSON encode/decode for ao processes.

It behaves as the json module of aos 2.0.6 (rxi's json.lua 0.2.0, which processes and
their clients depend on), because what it writes ends up in messages:

encode(value) -> string
  * A table is an array when t[1] is set or it is empty (so `{}` is `[]`): all its keys
    must be numbers and there must be no hole. Otherwise it is an object: all keys must be
    strings; fields holding a function are left out. Keys come in `pairs` order.
  * Every number is written with %.14g (2^53 → 9.007199254741e+15); NaN and infinities
    are errors, so are cycles and values of other types.
decode(text) -> value
  * `null` becomes nil; a number is what `tonumber` makes of its text (so `12` is an
    integer and `1e3` a float); \uXXXX escapes, surrogate pairs included, become UTF-8;
    a comma before `]` or `}` is accepted.
Errors read as aos's do, position included: `[string "json"]:261: expected string for
key at line 1 col 2` (the lines are those of aos's module, which users see).
]]

local json = { _version = "0.2.0" }

local type, pairs, rawget, next, tostring, tonumber = type, pairs, rawget, next, tostring,
  tonumber
local format, concat, char, floor = string.format, table.concat, string.char, math.floor

-- aos raises each error from a line of its json chunk; the text carries that position.
local function fail(line, text)
  error('[string "json"]:' .. line .. ": " .. text, 0)
end

-------------------------------------------------------------------------------
-- Encode
-------------------------------------------------------------------------------

local escapes = {
  ["\\"] = "\\\\", ['"'] = '\\"', ["\b"] = "\\b", ["\f"] = "\\f", ["\n"] = "\\n",
  ["\r"] = "\\r", ["\t"] = "\\t",
}
for i = 0, 31 do
  local c = char(i)
  if not escapes[c] then escapes[c] = format("\\u%04x", i) end
end

local encode

local function encode_string(s)
  return '"' .. s:gsub('[%z\1-\31\\"]', escapes) .. '"'
end

local function encode_number(n)
  if n ~= n or n <= -math.huge or n >= math.huge then
    fail(149, "unexpected number value '" .. tostring(n) .. "'")
  end
  return format("%.14g", n)
end

local function encode_table(t, stack)
  if stack[t] then fail(65, "circular reference") end
  stack[t] = true
  local out = {}
  if rawget(t, 1) ~= nil or next(t) == nil then
    local n = 0
    for k in pairs(t) do
      if type(k) ~= "number" then fail(83, "invalid table: mixed or invalid key types") end
      n = n + 1
    end
    if n ~= #t then fail(91, "invalid table: sparse array") end
    for i = 1, n do out[i] = encode(t[i], stack) end
    stack[t] = nil
    return "[" .. concat(out, ",") .. "]"
  end
  local i = 0
  for k, v in pairs(t) do
    if type(k) ~= "string" then fail(111, "invalid table: mixed or invalid key types") end
    if type(v) ~= "function" then
      i = i + 1
      out[i] = encode_string(k) .. ":" .. encode(v, stack)
    end
  end
  stack[t] = nil
  return "{" .. concat(out, ",") .. "}"
end

encode = function(v, stack)
  local t = type(v)
  if t == "string" then return encode_string(v) end
  if t == "number" then return encode_number(v) end
  if t == "table" then return encode_table(v, stack) end
  if t == "boolean" then return tostring(v) end
  if t == "nil" then return "null" end
  fail(183, "unexpected type '" .. t .. "'")
end

--- Encodes a Lua value as JSON text.
function json.encode(value)
  return (encode(value, {}))
end

-------------------------------------------------------------------------------
-- Decode
-------------------------------------------------------------------------------

-- Raises the error naming byte `pos` of `text` as line and column.
local function decode_error(text, pos, what)
  local line, col = 1, 1
  for i = 1, pos - 1 do
    col = col + 1
    if text:byte(i) == 10 then line, col = line + 1, 1 end
  end
  fail(261, format("%s at line %d col %d", what, line, col))
end

-- The first byte at or after `pos` that is not white space (#text + 1 if none).
local function skip_space(text, pos)
  return text:find("[^ \t\r\n]", pos) or #text + 1
end

-- The end (exclusive) of a number or literal: the next delimiter.
local function token_end(text, pos)
  return text:find("[ \t\r\n%]},]", pos) or #text + 1
end

local function utf8_of(n)
  if n <= 0x7f then return char(n) end
  if n <= 0x7ff then return char(floor(n / 64) + 192, n % 64 + 128) end
  if n <= 0xffff then
    return char(floor(n / 4096) + 224, floor(n % 4096 / 64) + 128, n % 64 + 128)
  end
  if n <= 0x10ffff then
    return char(floor(n / 262144) + 240, floor(n % 262144 / 4096) + 128,
      floor(n % 4096 / 64) + 128, n % 64 + 128)
  end
  fail(293, format("invalid unicode codepoint '%x'", n))
end

local unescape = { ["\\"] = "\\", ['"'] = '"', ["/"] = "/", b = "\b", f = "\f", n = "\n",
  r = "\r", t = "\t" }

local function decode_string(text, pos)
  local parts, n = {}, 0
  local i = pos + 1
  while true do
    local j = text:find('[%z\1-\31\\"]', i)
    if not j then decode_error(text, pos, "expected closing quote for string") end
    local b = text:byte(j)
    if b == 34 then -- "
      n = n + 1
      parts[n] = text:sub(i, j - 1)
      return concat(parts), j + 1
    elseif b == 92 then -- \
      n = n + 1
      parts[n] = text:sub(i, j - 1)
      local c = text:sub(j + 1, j + 1)
      if c == "u" then
        local hex = text:match("^[dD][89aAbB]%x%x\\u%x%x%x%x", j + 2) or
          text:match("^%x%x%x%x", j + 2) or
          decode_error(text, j, "invalid unicode escape in string")
        local hi, lo = tonumber(hex:sub(1, 4), 16), tonumber(hex:sub(7, 10), 16)
        n = n + 1
        parts[n] = lo and utf8_of((hi - 0xd800) * 0x400 + (lo - 0xdc00) + 0x10000) or
          utf8_of(hi)
        i = j + 2 + #hex
      else
        if not unescape[c] then
          decode_error(text, j, "invalid escape char '" .. c .. "' in string")
        end
        n = n + 1
        parts[n] = unescape[c]
        i = j + 2
      end
    else
      decode_error(text, j, "control character in string")
    end
  end
end

local function decode_number(text, pos)
  local stop = token_end(text, pos)
  local s = text:sub(pos, stop - 1)
  local v = tonumber(s)
  if not v then decode_error(text, pos, "invalid number '" .. s .. "'") end
  return v, stop
end

local literals = { ["true"] = true, ["false"] = false }

local function decode_literal(text, pos)
  local stop = token_end(text, pos)
  local word = text:sub(pos, stop - 1)
  if literals[word] == nil and word ~= "null" then
    decode_error(text, pos, "invalid literal '" .. word .. "'")
  end
  return literals[word], stop
end

local decode_value

local function decode_array(text, pos)
  local out, n = {}, 0
  pos = pos + 1
  while true do
    pos = skip_space(text, pos)
    if text:byte(pos) == 93 then return out, pos + 1 end -- ]
    local v
    v, pos = decode_value(text, pos)
    n = n + 1
    out[n] = v
    pos = skip_space(text, pos)
    local c = text:byte(pos)
    pos = pos + 1
    if c == 93 then return out, pos end
    if c ~= 44 then decode_error(text, pos, "expected ']' or ','") end
  end
end

local function decode_object(text, pos)
  local out = {}
  pos = pos + 1
  while true do
    pos = skip_space(text, pos)
    local c = text:byte(pos)
    if c == 125 then return out, pos + 1 end -- }
    if c ~= 34 then decode_error(text, pos, "expected string for key") end
    local key, v
    key, pos = decode_string(text, pos)
    pos = skip_space(text, pos)
    if text:byte(pos) ~= 58 then decode_error(text, pos, "expected ':' after key") end
    v, pos = decode_value(text, skip_space(text, pos + 1))
    out[key] = v
    pos = skip_space(text, pos)
    c = text:byte(pos)
    pos = pos + 1
    if c == 125 then return out, pos end
    if c ~= 44 then decode_error(text, pos, "expected '}' or ','") end
  end
end

-- The first byte of a value -> its decoder.
local decoders = { [34] = decode_string, [91] = decode_array, [123] = decode_object,
  [45] = decode_number, [116] = decode_literal, [102] = decode_literal,
  [110] = decode_literal }
for b = 48, 57 do decoders[b] = decode_number end

decode_value = function(text, pos)
  local f = decoders[text:byte(pos) or -1]
  if f then return f(text, pos) end
  decode_error(text, pos, "unexpected character '" .. text:sub(pos, pos) .. "'")
end

--- Decodes JSON text into a Lua value (`null` → nil).
function json.decode(text)
  if type(text) ~= "string" then
    fail(597, "expected argument of type string, got " .. type(text))
  end
  local value, pos = decode_value(text, skip_space(text, 1))
  pos = skip_space(text, pos)
  if pos <= #text then decode_error(text, pos, "trailing garbage") end
  return value
end

return json
