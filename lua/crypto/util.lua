--- crypto.util: hex, byte-array and stream helpers shared by the crypto modules.
--
-- A stream is a function returning the next byte (a number), nil at the end; an array is a
-- Lua list of byte values. `tobytes` turns any of string / stream / array into a string and
-- `result` wraps digest bytes in the aos result object (asHex, asBytes, asString).


local hex = {}

function hex.stringToHex(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

function hex.hexToString(h)
  if type(h) ~= "string" or #h % 2 ~= 0 or h:find("[^%x]") then
    error("crypto.utils.hex.hexToString: expected an even-length hex string, got " .. tostring(h), 2)
  end
  return (h:gsub("%x%x", function(pair) return string.char(tonumber(pair, 16)) end))
end

local array = {}

function array.fromString(s) return { s:byte(1, -1) } end
function array.toString(a)
  local parts = {}
  for i = 1, #a, 4096 do parts[#parts + 1] = string.char(table.unpack(a, i, math.min(i + 4095, #a))) end
  return table.concat(parts)
end
function array.fromHex(h) return array.fromString(hex.hexToString(h)) end
function array.toHex(a) return hex.stringToHex(array.toString(a)) end
function array.size(a) return #a end
function array.copy(a) return table.move(a, 1, #a, 1, {}) end
function array.slice(a, start, stop)
  local out = {}
  for i = start, stop do out[#out + 1] = a[i] end
  return out
end
function array.concat(a, b)
  local out = table.move(a, 1, #a, 1, {})
  return table.move(b, 1, #b, #a + 1, out)
end
function array.truncate(a, n) return table.move(a, 1, math.min(n, #a), 1, {}) end
function array.XOR(a, b)
  local out = {}
  for i = 1, #a do out[i] = a[i] ~ (b[i] or 0) end
  return out
end

-- A stream is a function that returns the next byte (a number) and nil at the end.
local stream = {}

function stream.fromString(s)
  local i = 0
  return function()
    i = i + 1
    return s:byte(i)
  end
end
function stream.fromArray(a)
  local i = 0
  return function()
    i = i + 1
    return a[i]
  end
end
function stream.fromHex(h) return stream.fromString(hex.hexToString(h)) end
function stream.toArray(st)
  local out = {}
  for b in st do out[#out + 1] = b end
  return out
end
function stream.toString(st) return array.toString(stream.toArray(st)) end
function stream.toHex(st) return hex.stringToHex(stream.toString(st)) end

function array.fromStream(st) return stream.toArray(st) end
function array.toStream(a) return stream.fromArray(a) end

-- Any accepted input (string, stream, byte array) as a byte string.
local function tobytes(input, who)
  local ty = type(input)
  if ty == "string" then return input end
  if ty == "function" then return stream.toString(input) end
  if ty == "table" then return array.toString(input) end
  error(who .. ": expected a string, a stream or a byte array, got a " .. ty, 3)
end

-- The result object aos digests return.
-- (`upper`: hex in capitals, which is what aos's ciphers return; digests are lowercase)
local function result(bytes, upper)
  return {
    asString = function() return bytes end,
    asHex = function()
      local h = hex.stringToHex(bytes)
      return upper and h:upper() or h
    end,
    asBytes = function() return { bytes:byte(1, -1) } end,
  }
end

-- msg .. 0x80 .. zeros .. length in bits (lenbytes wide, "<" or ">" endian), block-aligned:
-- the Merkle-Damgard padding of MD4, MD5, SHA-1 and SHA-2.
local function md_pad(msg, block, lenbytes, endian)
  local zeros = (block - (#msg + 1 + lenbytes) % block) % block
  local len = string.pack(endian .. "I8", #msg * 8)
  if lenbytes > 8 then
    local extra = string.rep("\0", lenbytes - 8)
    len = endian == ">" and extra .. len or len .. extra
  end
  return msg .. "\128" .. string.rep("\0", zeros) .. len
end

return {
  hex = hex,
  array = array,
  stream = stream,
  tobytes = tobytes,
  result = result,
  md_pad = md_pad,
}
