--[[ bridge.lua: the Python ↔ Lua boundary of a process (see README.md, "Contract").

Executed once by aos.runtime with the sandbox control table; returns `entry`, which the
runtime calls per message with a flat argument list (cheaper than converting a dict):

  entry(env_or_nil, nroot, key1, value1, …, keyN, valueN, tagname1, tagvalue1, …)

`env` is a Lua table, passed only when it changed. The answer is the result as a JSON
text with sorted keys, built here so the Python side needs one json.loads. This chunk is
not reachable with `require`, so no process code can call the control functions.
]]

return function(control)
  local process = require(".process")
  local utils = require(".utils")
  local normalize = utils.normalize
  local raw_pcall = control.pcall
  local sorted_keys = control.sorted_keys
  local non_extractable = {}
  for _, k in ipairs(require(".ao").nonExtractableTags) do non_extractable[k] = true end

  -- Everything below runs after the budget is disarmed, so it touches process values
  -- only through captured originals and raw access: no metamethod, no global lookup.
  local raw = control.strings
  local str_format, str_gsub, str_find, str_sub = raw.format, raw.gsub, raw.find, raw.sub
  local utf8_len, tconcat, mtype, mfloor = utf8.len, control.concat, math.type, math.floor
  local type, rawget, rawlen, ipairs, error = type, rawget, rawlen, ipairs, error
  local huge = math.huge

  local escapes = {
    ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f", ["\n"] = "\\n",
    ["\r"] = "\\r", ["\t"] = "\\t",
  }
  for i = 0, 31 do
    local c = string.char(i)
    if not escapes[c] then escapes[c] = str_format("\\u%04x", i) end
  end
  escapes["\127"] = "\\u007f"

  -- Python decodes the answer as strict UTF-8: invalid bytes and encoded surrogates
  -- become U+FFFD so a process printing binary cannot break the boundary.
  local function valid_utf8(s)
    local out, pos = {}, 1
    while true do
      local ok, bad = utf8_len(s, pos)
      if ok then
        out[#out + 1] = str_sub(s, pos)
        break
      end
      out[#out + 1] = str_sub(s, pos, bad - 1)
      out[#out + 1] = "\239\191\189"
      pos = bad + 1
    end
    s = tconcat(out)
    return (str_gsub(s, "\237[\160-\191][\128-\191]", "\239\191\189"))
  end

  -- The prompt repeats on every result: remember the last long string encoded.
  local last_in, last_out = nil, nil
  local function encode_string(s)
    if not str_find(s, '[%c"\\\128-\255]') then return '"' .. s .. '"' end
    if s == last_in then return last_out end
    local raw = s
    if not utf8_len(s) or str_find(s, "\237[\160-\191]") then s = valid_utf8(s) end
    s = '"' .. str_gsub(s, '[%c"\\]', escapes) .. '"'
    if #raw > 32 then last_in, last_out = raw, s end
    return s
  end

  local encode
  local raw_next = control.raw_next
  local tsort = table.sort

  local function encode_object(t, depth)
    local keys, count = sorted_keys(t)
    local parts = {}
    for i = 1, count do
      local k = keys[i]
      local v = rawget(t, k)
      local tv, tk = type(v), type(k)
      if tv ~= "function" and tv ~= "thread" and tv ~= "userdata"
          and (tk == "string" or tk == "number") then
        if tk == "number" then k = encode(k) end
        parts[#parts + 1] = encode_string(k) .. ":" .. encode(v, depth + 1)
      end
    end
    return "{" .. tconcat(parts, ",") .. "}"
  end

  local function encode_table(t, depth)
    if depth > 64 then error("result nested deeper than 64 levels", 0) end
    local k = raw_next(t)
    if k == nil then return "[]" end   -- outbox lists are the common empty table
    -- One traversal: count the keys and keep them, in case this is an object.
    local keys, count, all_strings = {}, 0, true
    while k ~= nil do
      count = count + 1
      keys[count] = k
      if type(k) ~= "string" then all_strings = false end
      k = raw_next(t, k)
    end
    local parts = {}
    if not all_strings then
      local n = rawlen(t)
      if count == n then
        -- A sequence 1..n (count == border means there is no hole and no other key).
        for i = 1, n do parts[i] = encode(rawget(t, i), depth + 1) end
        return "[" .. tconcat(parts, ",") .. "]"
      end
      return encode_object(t, depth)
    end
    -- Only string keys: one C sort, no grouping.
    tsort(keys)
    local np = 0
    for i = 1, count do
      local key = keys[i]
      local v = rawget(t, key)
      local tv = type(v)
      if tv ~= "function" and tv ~= "thread" and tv ~= "userdata" then
        np = np + 1
        parts[np] = encode_string(key) .. ":" .. encode(v, depth + 1)
      end
    end
    return "{" .. tconcat(parts, ",") .. "}"
  end

  encode = function(v, depth)
    local tv = type(v)
    if tv == "string" then return encode_string(v) end
    if tv == "number" then
      if mtype(v) == "integer" then return str_format("%d", v) end
      if v ~= v or v == huge or v == -huge then return "null" end
      if v == mfloor(v) and v > -1e15 and v < 1e15 then return str_format("%d", v) end
      return str_format("%.17g", v)
    end
    if tv == "boolean" then return v and "true" or "false" end
    if tv == "table" then return encode_table(v, depth or 0) end
    return "null"
  end

  -- Names that are already Title-Case map to themselves without a call.
  local names = {}
  for _, n in ipairs({ "Id", "Signature", "Owner", "From", "Forwarded-By", "Target", "Anchor",
    "Data", "Epoch", "Nonce", "Timestamp", "Block-Height", "Hash-Chain", "Cron", "Read-Only",
    "Module", "Action", "Data-Protocol", "Variant", "Type", "SDK", "Content-Type",
    "Reference", "X-Reference", "From-Process", "Pushed-For", "Message" }) do
    names[n] = n
  end

  local env_cache = {}
  local empty = {}

  local function entry(env, nroot, ...)
    if env ~= nil then env_cache = env end
    local args = { ... }
    -- Sized for a typical message up front (the constructor's 20 record fields make room
    -- for 32 keys), instead of growing through five rehashes.
    local msg = { Id = nil, Signature = nil, Owner = nil, From = nil, Target = nil,
      Anchor = nil, Data = nil, Epoch = nil, Nonce = nil, Timestamp = nil, Cron = nil,
      ["Block-Height"] = nil, ["Hash-Chain"] = nil, ["Read-Only"] = nil, Action = nil,
      ["Data-Protocol"] = nil, Variant = nil, Type = nil, TagArray = nil, Tags = nil }
    local last = 2 * nroot
    for i = 1, last, 2 do
      local k = args[i]
      if k ~= "Tags" then msg[names[k] or normalize(k)] = args[i + 1] end
    end
    local tags, map, nt = {}, {}, 0
    for i = last + 1, #args, 2 do
      local name = names[args[i]] or normalize(args[i])
      local value = args[i + 1]
      nt = nt + 1
      tags[nt] = { name = name, value = value }
      if map[name] == nil then map[name] = value end
      if not non_extractable[name] then msg[name] = value end
    end
    msg.TagArray = tags
    msg.Tags = map

    control.begin(msg.Timestamp)
    local ok, res = raw_pcall(process.run, msg, env_cache)
    local used, limit = control.finish(not ok and res or nil)
    local result
    if limit then
      result = { Error = limit }
    elseif not ok then
      result = { Error = type(res) == "string" and res or
        ("the process failed with a " .. type(res) .. " error value") }
    elseif type(res) ~= "table" then
      result = { Error = "the process returned a " .. type(res) .. " instead of a result" }
    else
      result = res
    end
    local err = rawget(result, "Error")
    if err == nil then
      -- The common case, keys in sorted order, one concatenation.
      return '{"Assignments":' .. encode(rawget(result, "Assignments") or empty, 0) ..
        ',"GasUsed":' .. str_format("%d", used) ..
        ',"Messages":' .. encode(rawget(result, "Messages") or empty, 0) ..
        ',"Output":' .. encode(rawget(result, "Output") or "", 0) ..
        ',"Spawns":' .. encode(rawget(result, "Spawns") or empty, 0) .. "}"
    end
    -- An Error: empty outbox and Output, and the Error always a string (the contract;
    -- aos's truthy-second-value quirk can give a number).
    local te = type(err)
    if te == "number" then
      err = mtype(err) == "integer" and str_format("%d", err) or str_format("%.14g", err)
    elseif te ~= "string" then
      err = "(an error value of type " .. te .. ")"
    end
    return '{"Assignments":[],"Error":' .. encode_string(err) .. ',"GasUsed":' ..
      str_format("%d", used) .. ',"Messages":[],"Output":"","Spawns":[]}'
  end

  -- The env a process was last handed is part of its state (a snapshot carries it).
  local state = {
    get_env = function() return env_cache end,
    set_env = function(e) env_cache = e end,
  }
  return entry, state
end
