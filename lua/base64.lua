--- base64: standard base64 (RFC 4648 alphabet `A-Z a-z 0-9 + /`, `=` padding).
--
-- encode(s) -> string, always padded.
-- decode(s) -> string. Whitespace is ignored and missing padding is tolerated; any other
--   character outside the alphabet is an error that names it and its position.

local base64 = {}

local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

-- index -> character and character byte -> 6-bit value, built once
local enc_map, dec_map = {}, {}
for i = 1, 64 do
  local c = alphabet:sub(i, i)
  enc_map[i - 1] = c
  dec_map[c:byte()] = i - 1
end

--- Encodes a byte string as base64 text.
function base64.encode(s)
  if type(s) ~= "string" then
    error("base64.encode: expected a string, got a " .. type(s), 2)
  end
  local out, n = {}, 0
  for i = 1, #s - 2, 3 do
    local a, b, c = s:byte(i, i + 2)
    local v = (a << 16) | (b << 8) | c
    n = n + 1
    out[n] = enc_map[v >> 18] .. enc_map[(v >> 12) & 63] .. enc_map[(v >> 6) & 63] .. enc_map[v & 63]
  end
  local rest = #s % 3
  if rest == 1 then
    local v = s:byte(#s) << 16
    out[n + 1] = enc_map[v >> 18] .. enc_map[(v >> 12) & 63] .. "=="
  elseif rest == 2 then
    local a, b = s:byte(#s - 1, #s)
    local v = (a << 16) | (b << 8)
    out[n + 1] = enc_map[v >> 18] .. enc_map[(v >> 12) & 63] .. enc_map[(v >> 6) & 63] .. "="
  end
  return table.concat(out)
end

--- Decodes base64 text back to bytes.
function base64.decode(s)
  if type(s) ~= "string" then
    error("base64.decode: expected a string, got a " .. type(s), 2)
  end
  local out, n = {}, 0
  local acc, bits, pad = 0, 0, 0
  for i = 1, #s do
    local byte = s:byte(i)
    local v = dec_map[byte]
    if v then
      if pad > 0 then
        error(string.format("base64.decode: data after padding at position %d", i), 2)
      end
      acc = (acc << 6) | v
      bits = bits + 6
      if bits >= 8 then
        bits = bits - 8
        n = n + 1
        out[n] = string.char((acc >> bits) & 0xFF)
        acc = acc & ((1 << bits) - 1)
      end
    elseif byte == 61 then -- '='
      pad = pad + 1
    elseif not (byte == 32 or byte == 9 or byte == 10 or byte == 13) then
      error(string.format("base64.decode: invalid character %q at position %d", string.char(byte), i), 2)
    end
  end
  if bits >= 6 then
    -- a lone 6-bit group cannot encode a whole byte
    error("base64.decode: truncated input (" .. #s .. " characters)", 2)
  end
  return table.concat(out)
end

return base64
