--[[ bridge.lua: the Python ↔ Lua boundary of a process (see README.md, "Contract").

Executed once by aos.runtime with the sandbox control table; returns three functions the
runtime calls per message, in two steps:

  prepare(env_or_nil, nroot, key1, value1, …, keyN, valueN, tagname1, tagvalue1, …)
    → "thread: 0x…", the thread the message's first coroutine will be (for the watchdog)
  run() → the result as one JSON text with sorted keys
  discard()  (after a failed run: forget the prepared message)

`prepare` takes the message as a flat argument list (cheaper than converting a dict) and
builds `msg`; `env` is a Lua table, passed only when it changed. The runtime calls it with
the memory cap lifted, because lupa pushes those arguments outside any protected call, where
running out of memory would abort the OS process. `run` takes no argument, so lupa pushes
nothing under the cap, and everything it allocates is inside lupa's lua_pcall. This chunk
runs with the runtime's private globals and is not reachable with `require`, so no process
code can call the control functions.
]]

return function(control)
  local require = control.require
  -- Captured once: a process that assigns require(".process").run changes nothing here.
  local process_run = require(".process").run
  local raw_pcall, spare = control.pcall, control.spare
  local non_extractable = {}
  for _, k in ipairs(require(".ao").nonExtractableTags) do non_extractable[k] = true end

  -- The result is encoded inside the budget (still armed; the count hook is cleared, it
  -- would put every instruction on the VM's slow path), so an outbox that shares one large
  -- table many times, or a huge Output, ends with the instruction limit instead of running
  -- unbounded. The encoder charges its work itself: ENTRY per table entry (its Lua code and
  -- the C calls it makes per entry, measured), a unit per 8 bytes scanned, per 2 bytes of
  -- new string and 2 per byte escaped, and the key sort. With no hook set, the watchdog
  -- cannot poke the encoding either: these charges alone bound it. It touches process
  -- values only through captured originals and raw access: no metamethod, no global lookup.
  local charge, log2 = control.charge, control.log2
  local ENTRY = 48
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
    local n = #s
    if n > 128 then charge(n // 8 + n // 2) end
    if not str_find(s, '[%c"\\\128-\255]') then return '"' .. s .. '"' end
    if s == last_in then return last_out end
    local raw = s
    if n > 128 then charge(n // 2) end
    if not utf8_len(s) or str_find(s, "\237[\160-\191]") then s = valid_utf8(s) end
    s = '"' .. str_gsub(s, '[%c"\\]', escapes) .. '"'
    if #raw > 32 then last_in, last_out = raw, s end
    return s
  end

  local encode
  local raw_next = control.raw_next
  local tsort = table.sort

  -- The tables aos's json refuses, refused alike (lua/json.lua has the same rules): an
  -- array (t[1] set) has only number keys and no hole, an object only string keys. aos
  -- fails the whole message on such a result; here it is the message's Error ("the result
  -- could not be encoded: …"), never a table silently encoded as something else.
  local MIXED = "invalid table: mixed or invalid key types"

  local function encode_table(t, depth)
    if depth > 64 then error("result nested deeper than 64 levels", 0) end
    local k = raw_next(t)
    if k == nil then return "[]" end   -- outbox lists are the common empty table
    -- One traversal: count the keys and keep them, in case this is an object.
    local keys, count, all_strings, all_numbers = {}, 0, true, true
    while k ~= nil do
      count = count + 1
      keys[count] = k
      local tk = type(k)
      if tk ~= "string" then all_strings = false end
      if tk ~= "number" then all_numbers = false end
      k = raw_next(t, k)
    end
    -- Per entry the encoder also calls into C (a find, a format or two, new strings) for
    -- about what its own instructions take.
    charge(count * ENTRY)
    local parts = {}
    if rawget(t, 1) ~= nil then
      if not all_numbers then error(MIXED, 0) end
      local n = rawlen(t)
      if count ~= n then error("invalid table: sparse array", 0) end
      for i = 1, n do parts[i] = encode(rawget(t, i), depth + 1) end
      local out = "[" .. tconcat(parts, ",") .. "]"
      charge(#out)
      return out
    end
    if not all_strings then error(MIXED, 0) end
    -- Only string keys: one C sort, no grouping.
    if count > 16 then charge(count * log2(count) * 12) end
    tsort(keys)
    local np = 0
    for i = 1, count do
      local key = keys[i]
      local v = rawget(t, key)
      if type(v) ~= "function" then   -- as json: a function is left out of an object
        np = np + 1
        parts[np] = encode_string(key) .. ":" .. encode(v, depth + 1)
      end
    end
    local out = "{" .. tconcat(parts, ",") .. "}"
    charge(#out)
    return out
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
    if tv == "nil" then return "null" end
    error("unexpected type '" .. tv .. "'", 0)   -- json's words, for aos's failure
  end

  -- Key and tag names are normalised before the budget is armed, so nothing a process can
  -- reach may run here: utils.normalize looks up string.lower and friends when it is
  -- called, and a process can replace those (or `string`, or `type`). This copy gives the
  -- same names (a test holds the two equal) with the private originals: this chunk's
  -- globals are the runtime's private table.
  local lower, upper, gsub = string.lower, string.upper, string.gsub
  local normalized, cached = {}, 0
  local function normalize(name)
    if type(name) ~= "string" then return name end
    local hit = normalized[name]
    if hit then return hit end
    local out = lower((gsub(name, "_", "-")))
    out = gsub(out, "^%l", upper)
    out = gsub(out, "%-%l", upper)
    -- A bounded memo: the same few tag names arrive on nearly every message.
    if cached < 512 then
      cached = cached + 1
      normalized[name] = out
    end
    return out
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
  -- What `run` returns when the watchdog stopped the message: not JSON, so no result a
  -- process produces can look like it (aos.runtime raises MessageStopped on it).
  local STOPPED = "stopped"

  local function encode_parts(result)
    return encode(rawget(result, "Assignments") or empty, 0),
      encode(rawget(result, "Messages") or empty, 0),
      encode(rawget(result, "Output") or "", 0),
      encode(rawget(result, "Spawns") or empty, 0)
  end
  local pending = nil   -- the msg `prepare` built, until `run` takes it

  local function prepare(env, nroot, ...)
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
    pending = msg
    return spare()
  end

  local function discard() pending = nil end

  local function run()
    local msg = pending
    pending = nil
    if msg == nil then
      return '{"Assignments":[],"Error":"no message was prepared","GasUsed":0,' ..
        '"Messages":[],"Output":"","Spawns":[]}'
    end
    control.begin(msg.Timestamp)
    local ok, res = raw_pcall(process_run, msg, env_cache)
    local parts, failure = nil, nil
    if ok and type(res) == "table" and rawget(res, "Error") == nil then
      control.quiet()
      local encoded, a, m, o, sp = raw_pcall(encode_parts, res)
      if encoded then parts = { a, m, o, sp } else failure = a end
    end
    local used, limit, stopped = control.finish(failure or (not ok and res) or nil)
    if stopped then return STOPPED end
    local err
    if limit then
      err = limit
    elseif not ok then
      err = type(res) == "string" and res or
        ("the process failed with a " .. type(res) .. " error value")
    elseif type(res) ~= "table" then
      err = "the process returned a " .. type(res) .. " instead of a result"
    elseif parts == nil then
      err = rawget(res, "Error")
      if err == nil then
        err = type(failure) == "string" and ("the result could not be encoded: " .. failure)
          or "the result could not be encoded"
      end
    end
    if err == nil then
      -- The common case, keys in sorted order, one concatenation.
      return '{"Assignments":' .. parts[1] .. ',"GasUsed":' .. str_format("%d", used) ..
        ',"Messages":' .. parts[2] .. ',"Output":' .. parts[3] .. ',"Spawns":' .. parts[4] .. "}"
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
  return prepare, run, discard, state
end
