--- json: JSON encode/decode for ao processes (required as `json` and `.json`).
--
-- encode(value) -> string
--   * Object keys are sorted (byte order), so the same table always gives the same text;
--     a process's results must not depend on the order `pairs` happens to walk a table.
--   * A table whose keys are exactly the integers 1..n is an array. A table with only
--     string keys is an object. The EMPTY table encodes as `[]` (there is no way to tell
--     an empty object from an empty array in Lua; `[]` is what aos users get from rxi json).
--   * Errors (never a partial result): NaN or infinite numbers, sparse arrays, tables
--     that mix key kinds, non-string/non-integer keys, cycles, functions, userdata, threads.
-- decode(text) -> value
--   * Full JSON (RFC 8259): \uXXXX escapes including surrogate pairs become UTF-8;
--     `null` becomes nil; integers that fit in 64 bits become Lua integers, other numbers
--     floats. Errors name what was expected and where ("at line L col C").

local json = { _version = "1.0.0" }

-------------------------------------------------------------------------------
-- Encode
-------------------------------------------------------------------------------

local escape_map = {
  ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t",
}

local function escape_char(c)
  return escape_map[c] or string.format("\\u%04x", c:byte())
end

local function encode_string(s)
  -- Control characters (and DEL) are escaped; other bytes, UTF-8 included, pass through.
  if not s:find('[%c"\\]') then return '"' .. s .. '"' end
  return '"' .. s:gsub('[%c"\\]', escape_char) .. '"'
end

local function encode_number(n)
  if math.type(n) == "integer" then
    return string.format("%d", n)
  end
  if n ~= n or n == math.huge or n == -math.huge then
    local what = n ~= n and "NaN" or (n > 0 and "inf" or "-inf")
    error("json.encode: cannot encode the number " .. what .. " (JSON has no NaN or infinity)", 0)
  end
  -- The shortest of the usual precisions that reads back as the same float.
  local s = string.format("%.14g", n)
  if tonumber(s) ~= n then
    s = string.format("%.17g", n)
  end
  return s
end

-- "$.a[2].b": where in the value being encoded an error happened, built only for errors.
local function where(path, depth)
  local out = { "$" }
  for i = 1, depth do
    local k = path[i]
    out[#out + 1] = type(k) == "number" and "[" .. k .. "]" or "." .. tostring(k)
  end
  return table.concat(out)
end

-- Classifies a table as "array" (keys exactly 1..n) or "object" (string keys only).
local function table_kind(t, path, depth)
  local count, max_index, has_string = 0, 0, false
  for k in pairs(t) do
    count = count + 1
    local kt = type(k)
    if kt == "string" then
      has_string = true
    elseif math.type(k) == "integer" and k >= 1 then
      if k > max_index then max_index = k end
    else
      error(string.format("json.encode: invalid key %s (a %s) in the table at %s; "
        .. "keys must be strings or array indexes 1..n", tostring(k), kt, where(path, depth)), 0)
    end
  end
  if has_string then
    if max_index > 0 then
      error("json.encode: the table at " .. where(path, depth) .. " mixes string keys and array indexes", 0)
    end
    return "object", count
  end
  if max_index ~= count then
    error("json.encode: the table at " .. where(path, depth) .. " is a sparse array ("
      .. count .. " values, highest index " .. max_index .. ")", 0)
  end
  return "array", count
end

-- Appends the JSON text of v to buf. `stack` holds the tables on the current path (cycle
-- check) and `path` the keys leading to v, for error messages.
local function encode_into(v, buf, stack, path, depth)
  local ty = type(v)
  if ty == "string" then
    buf[#buf + 1] = encode_string(v)
  elseif ty == "number" then
    buf[#buf + 1] = encode_number(v)
  elseif ty == "boolean" then
    buf[#buf + 1] = v and "true" or "false"
  elseif ty == "nil" then
    buf[#buf + 1] = "null"
  elseif ty == "table" then
    if stack[v] then
      error("json.encode: circular reference at " .. where(path, depth), 0)
    end
    stack[v] = true
    local kind, count = table_kind(v, path, depth)
    if kind == "array" then
      buf[#buf + 1] = "["
      for i = 1, count do
        if i > 1 then buf[#buf + 1] = "," end
        path[depth + 1] = i
        encode_into(v[i], buf, stack, path, depth + 1)
      end
      buf[#buf + 1] = "]"
    else
      local keys = {}
      for k in pairs(v) do keys[#keys + 1] = k end
      table.sort(keys)
      buf[#buf + 1] = "{"
      for i = 1, #keys do
        local k = keys[i]
        buf[#buf + 1] = (i > 1 and "," or "") .. encode_string(k) .. ":"
        path[depth + 1] = k
        encode_into(v[k], buf, stack, path, depth + 1)
      end
      buf[#buf + 1] = "}"
    end
    path[depth + 1] = nil
    stack[v] = nil
  else
    error("json.encode: cannot encode a value of type " .. ty .. " at " .. where(path, depth), 0)
  end
end

--- Encodes a Lua value as JSON text (object keys sorted).
function json.encode(value)
  local buf = {}
  encode_into(value, buf, {}, {}, 0)
  return table.concat(buf)
end

-------------------------------------------------------------------------------
-- Decode
-------------------------------------------------------------------------------

-- Raises an error naming the position of byte `pos` in `text` as line and column.
local function decode_error(text, pos, what)
  local line, col = 1, 1
  for i = 1, math.min(pos - 1, #text) do
    col = col + 1
    if text:byte(i) == 10 then
      line, col = line + 1, 1
    end
  end
  error(string.format("json.decode: %s at line %d col %d", what, line, col), 0)
end

local function skip_space(text, pos)
  return text:find("[^ \t\r\n]", pos) or #text + 1
end

local function codepoint_to_utf8(n)
  if n < 0x80 then
    return string.char(n)
  elseif n < 0x800 then
    return string.char(0xC0 | (n >> 6), 0x80 | (n & 0x3F))
  elseif n < 0x10000 then
    return string.char(0xE0 | (n >> 12), 0x80 | ((n >> 6) & 0x3F), 0x80 | (n & 0x3F))
  end
  return string.char(0xF0 | (n >> 18), 0x80 | ((n >> 12) & 0x3F), 0x80 | ((n >> 6) & 0x3F), 0x80 | (n & 0x3F))
end

local simple_escapes = {
  ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t",
}

local function read_hex4(text, pos)
  local hex = text:match("^%x%x%x%x", pos)
  if not hex then
    decode_error(text, pos, "expected 4 hex digits after \\u")
  end
  return tonumber(hex, 16)
end

local function decode_string(text, pos)
  -- pos is at the opening quote
  local parts = {}
  local i = pos + 1
  while true do
    local j = text:find('["\\%c]', i)
    if not j then
      decode_error(text, pos, "unterminated string")
    end
    parts[#parts + 1] = text:sub(i, j - 1)
    local c = text:sub(j, j)
    if c == '"' then
      return table.concat(parts), j + 1
    elseif c == "\\" then
      local e = text:sub(j + 1, j + 1)
      if simple_escapes[e] then
        parts[#parts + 1] = simple_escapes[e]
        i = j + 2
      elseif e == "u" then
        local n = read_hex4(text, j + 2)
        i = j + 6
        if n >= 0xD800 and n <= 0xDBFF then
          -- a high surrogate must be followed by \u and a low surrogate
          local low = text:match("^\\u(%x%x%x%x)", i)
          local lo = low and tonumber(low, 16)
          if not lo or lo < 0xDC00 or lo > 0xDFFF then
            decode_error(text, j, "expected a low surrogate \\uDC00-\\uDFFF after a high surrogate")
          end
          n = 0x10000 + ((n - 0xD800) << 10) + (lo - 0xDC00)
          i = i + 6
        elseif n >= 0xDC00 and n <= 0xDFFF then
          decode_error(text, j, "unexpected low surrogate without a high surrogate")
        end
        parts[#parts + 1] = codepoint_to_utf8(n)
      else
        decode_error(text, j, "invalid escape '\\" .. e .. "' in string")
      end
    else
      decode_error(text, j, string.format("control character 0x%02x in string (escape it)", c:byte()))
    end
  end
end

local function decode_number(text, pos)
  -- JSON grammar: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
  local i = pos
  if text:sub(i, i) == "-" then i = i + 1 end
  local int = text:match("^0", i) or text:match("^[1-9]%d*", i)
  if not int then
    decode_error(text, pos, "invalid number (expected a digit)")
  end
  i = i + #int
  local is_float = false
  if text:sub(i, i) == "." then
    local frac = text:match("^%d+", i + 1)
    if not frac then
      decode_error(text, i + 1, "invalid number (expected a digit after '.')")
    end
    i, is_float = i + 1 + #frac, true
  end
  if text:match("^[eE]", i) then
    local exp = text:match("^[-+]?%d+", i + 1)
    if not exp then
      decode_error(text, i + 1, "invalid number (expected digits in the exponent)")
    end
    i, is_float = i + 1 + #exp, true
  end
  local s = text:sub(pos, i - 1)
  local n = tonumber(s)
  if not is_float then
    -- tonumber wraps nothing: a decimal integer too large for 64 bits comes back as a float
    n = math.tointeger(n) or n
    if math.type(n) == "integer" and string.format("%d", n) ~= s:gsub("^%-0$", "0") then
      n = tonumber(s .. ".0")
    end
  end
  return n, i
end

local decode_value -- forward declaration: containers recurse

local function decode_array(text, pos, depth)
  local result, n = {}, 0
  pos = skip_space(text, pos + 1)
  if text:byte(pos) == 93 then -- ]
    return result, pos + 1
  end
  while true do
    local v
    v, pos = decode_value(text, pos, depth)
    n = n + 1
    result[n] = v
    pos = skip_space(text, pos)
    local c = text:byte(pos)
    if c == 93 then -- ]
      return result, pos + 1
    elseif c ~= 44 then -- ,
      decode_error(text, pos, "expected ',' or ']' in array")
    end
    pos = skip_space(text, pos + 1)
  end
end

local function decode_object(text, pos, depth)
  local result = {}
  pos = skip_space(text, pos + 1)
  if text:byte(pos) == 125 then -- }
    return result, pos + 1
  end
  while true do
    if text:byte(pos) ~= 34 then -- "
      decode_error(text, pos, "expected a string key in object")
    end
    local key
    key, pos = decode_string(text, pos)
    pos = skip_space(text, pos)
    if text:byte(pos) ~= 58 then -- :
      decode_error(text, pos, "expected ':' after object key")
    end
    local v
    v, pos = decode_value(text, skip_space(text, pos + 1), depth)
    result[key] = v
    pos = skip_space(text, pos)
    local c = text:byte(pos)
    if c == 125 then -- }
      return result, pos + 1
    elseif c ~= 44 then -- ,
      decode_error(text, pos, "expected ',' or '}' in object")
    end
    pos = skip_space(text, pos + 1)
  end
end

local literals = { ["true"] = true, ["false"] = false } -- null decodes to nil

local function decode_literal(text, pos)
  local word = text:match("^%a+", pos)
  if word == nil or literals[word] == nil and word ~= "null" then
    decode_error(text, pos, "unexpected '" .. (word or text:sub(pos, pos)) .. "'")
  end
  return literals[word], pos + #word
end

-- first byte of a value -> its decoder
local value_decoders = {
  [34] = decode_string, [123] = decode_object, [91] = decode_array, [45] = decode_number,
  [116] = decode_literal, [102] = decode_literal, [110] = decode_literal,
}
for b = 48, 57 do value_decoders[b] = decode_number end

local MAX_DEPTH = 1000 -- nesting limit: a clear error instead of a Lua stack overflow

decode_value = function(text, pos, depth)
  local f = value_decoders[text:byte(pos) or -1]
  if not f then
    local c = text:sub(pos, pos)
    decode_error(text, pos, c == "" and "unexpected end of input" or "unexpected character '" .. c .. "'")
  end
  if depth >= MAX_DEPTH and (f == decode_array or f == decode_object) then
    decode_error(text, pos, "arrays and objects nested deeper than " .. MAX_DEPTH)
  end
  return f(text, pos, depth + 1)
end

--- Decodes JSON text into a Lua value (`null` → nil).
function json.decode(text)
  if type(text) ~= "string" then
    error("json.decode: expected a string, got a " .. type(text), 0)
  end
  local value, pos = decode_value(text, skip_space(text, 1), 0)
  pos = skip_space(text, pos)
  if pos <= #text then
    decode_error(text, pos, "trailing garbage")
  end
  return value
end

return json
