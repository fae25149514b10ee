--[[ sandbox.lua: the determinism shims and limits of one process state.

Loaded first, by aos.runtime, into a fresh Lua 5.3 state. It returns `install`, which
hardens the globals in place and returns the control table the runtime drives:

  * no Python bridge, no io, os reduced to time/clock/date/difftime, no loadfile/dofile,
    load/loadstring text-only, no string.dump, debug reduced to traceback,
    collectgarbage reduced to "collect"/"count" (count is a constant: memory is not
    deterministic across builds);
  * pairs/next iterate in a deterministic order (numbers, strings, booleans, then other
    keys by a per-process id), tostring/string.format never show an address;
  * an instruction budget counted by a count hook, which pcall/xpcall/coroutine cannot
    swallow: once exceeded, every protected call re-raises the limit error;
  * require resolves only our own modules (from the sources handed in) and whatever the
    process put into package.loaded / package.preload.

Everything the limits depend on lives in locals of this chunk, so no Lua code can reach
the originals (debug.getupvalue and friends are removed).
]]

local install

do
  -- Originals, captured before anything is replaced.
  local raw_next, raw_type, raw_pcall, raw_xpcall = next, type, pcall, xpcall
  local raw_error, raw_select, raw_rawget = error, select, rawget
  local raw_setmetatable, raw_getmetatable = setmetatable, getmetatable
  local raw_tostring, raw_load, raw_collect = tostring, load, collectgarbage
  local sethook = debug.sethook
  local traceback = debug.traceback
  local co_create, co_resume = coroutine.create, coroutine.resume
  local os_date = os.date
  local str_format, str_sub, str_byte, str_gsub, str_find = string.format, string.sub,
    string.byte, string.gsub, string.find
  local raw_str_find = str_find
  local tsort, tunpack, c_concat = table.sort, table.unpack, table.concat
  local math_floor, math_type = math.floor, math.type
  local getinfo = debug.getinfo
  -- For snapshots (lua/snapshot.lua), the runtime's own use only: never given to a process.
  local snapshot_raw = {
    dump = string.dump, getupvalue = debug.getupvalue, setupvalue = debug.setupvalue,
    upvalueid = debug.upvalueid, upvaluejoin = debug.upvaluejoin, getinfo = debug.getinfo,
    getmetatable = debug.getmetatable, setmetatable = debug.setmetatable, load = load,
    next = next, co_status = coroutine.status, co_create = coroutine.create,
    co_resume = coroutine.resume,
  }

  -- The instruction budget. `step` instructions pass between two hook calls; `used` is
  -- what the current message has counted so far.
  local step = 1000
  local limit = 100000000
  local used = 0
  local armed = false        -- true while a message runs untrusted code
  local exceeded = nil       -- the limit error text once a limit was hit in this message
  local limit_text = "instruction limit exceeded"
  local memory_text = "memory limit exceeded"

  -- Raise a limit error. Disarming first keeps the hook from raising again once the
  -- error has unwound into the runtime's own code (between its pcall and `finish`);
  -- the process cannot catch it meanwhile, because every protected call re-raises
  -- while `exceeded` is set.
  local function trip(text)
    exceeded = exceeded or text
    armed = false
    raw_error(exceeded, 0)
  end

  local function hook()
    if not armed then return end
    used = used + step
    if exceeded or used > limit then trip(limit_text) end
  end

  local function arm(co)
    if co then sethook(co, hook, "", step) else sethook(hook, "", step) end
  end

  -- Line coverage (`aos test --cov`): a state installed with opts.cover also takes line
  -- events and records the lines run of the chunks named there. Only such a state runs
  -- this (install replaces its `arm`), because the line events run Lua code that the count
  -- hook counts: its GasUsed is not a process's, so aos test replays processes in it for
  -- their lines and never reports its results.
  local covered = nil   -- {[chunk name] = {[line] = true}}
  local function cover_hook(event, line)
    if event ~= "line" then return hook() end
    local lines = covered[getinfo(2, "S").source]
    if lines then lines[line] = true end
  end
  local function cover_arm(co)
    if co then sethook(co, cover_hook, "l", step) else sethook(cover_hook, "l", step) end
  end

  -- A limit error must not be swallowed by the process's own protected calls.
  -- Memory errors arrive as "not enough memory" (LUA_ERRMEM) or as a runtime error that
  -- mentions it (lauxlib buffers); either way the cap was hit.
  local function is_memory_error(e)
    return raw_type(e) == "string" and str_find(e, "not enough memory", 1, true) ~= nil
  end

  local function check_limits(ok, ...)
    if exceeded then raw_error(exceeded, 0) end
    if not ok and is_memory_error((...)) then trip(memory_text) end
    return ok, ...
  end

  local function safe_pcall(f, ...)
    return check_limits(raw_pcall(f, ...))
  end

  local function safe_xpcall(f, handler, ...)
    return check_limits(raw_xpcall(f, function(e)
      if exceeded then return exceeded end
      return handler(e)
    end, ...))
  end

  -- The count hook fires every `step` instructions *per thread*, so a thread that ends
  -- sooner is never counted. Charging `step` for each new thread bounds what escapes the
  -- count (and keeps a storm of short coroutines inside the budget).
  local function safe_co_create(f)
    if armed then
      used = used + step
      if exceeded or used > limit then trip(limit_text) end
    end
    local co = co_create(f)
    arm(co)   -- new threads inherit the hook in 5.3; setting it again resets their count
    return co
  end

  -- A standard function replaced by a Lua wrapper must fail as the C function does when
  -- the user calls it: "[string "aos"]:1: bad argument #2 to 'format' (...)", not with the
  -- wrapper's chunk, line and local name. `public(name, f)` runs f protected and, when
  -- the error was raised at a line of this runtime's own chunks ("<python>"), raises it
  -- again at the caller's position under the public name. Limit errors and errors from
  -- elsewhere (a gsub callback, say) pass unchanged.
  local function reraise(name, ok, ...)
    if ok then return ... end
    local err = ...
    if exceeded or raw_type(err) ~= "string" then raw_error(err, 0) end
    local bare, n = str_gsub(err, '^%[string "<python>"%]:%d+: ', "", 1)
    if n == 0 then raw_error(err, 0) end
    bare = str_gsub(bare, "^(bad argument #%d+ to )'[^']*'", "%1'" .. name .. "'", 1)
    raw_error(bare, 2)
  end
  local function public(name, f)
    return function(...) return reraise(name, raw_pcall(f, ...)) end
  end

  local function safe_resume(co, ...)
    return check_limits(co_resume(co, ...))
  end

  local function safe_wrap(f)
    local co = safe_co_create(f)
    return function(...)
      local function unwrap(ok, ...)
        -- As the C coroutine.wrap: a string error gets the caller's position.
        if not ok then
          local e = ...
          if exceeded or raw_type(e) ~= "string" then raw_error(e, 0) end
          raw_error(e, 2)
        end
        return ...
      end
      return unwrap(safe_resume(co, ...))
    end
  end

  -- Deterministic identities for values that have no natural order or printable form.
  local ids = raw_setmetatable({}, { __mode = "k" })
  local next_id = 0
  local function id_of(v)
    local id = ids[v]
    if not id then
      next_id = next_id + 1
      id = next_id
      ids[v] = id
    end
    return id
  end

  -- Keys in a fixed order: numbers ascending, strings bytewise, false, true, then every
  -- other key by the per-process id it got when first ordered or printed. Each group is
  -- sorted by table.sort's built-in comparison (in C), which keeps pairs cheap.
  local function by_id(a, b) return ids[a] < ids[b] end

  -- Keys that have no id yet get theirs in the order of a fingerprint built from what a
  -- replay sees too (their contents, their value in the table), never from the hash
  -- order of their addresses, which differs between OS processes. Only keys that are
  -- alike in every respect are left in hash order (and then nothing tells them apart).
  local function text_of(v)
    local tv = raw_type(v)
    if tv == "string" then return "s" .. v end
    if tv == "number" then
      if math_type(v) == "integer" then return str_format("i%d", v) end
      return str_format("f%.17g", v)
    end
    if tv == "boolean" then return v and "T" or "F" end
    if tv == "nil" then return "n" end
    local id = ids[v]
    if id then return str_format("#%d", id) end
    return tv
  end

  local function fingerprint(k, v)
    local tk = raw_type(k)
    local out = { tk, text_of(v) }
    if tk == "table" then
      local entries, x = {}, raw_next(k)
      while x ~= nil do
        entries[#entries + 1] = text_of(x) .. "=" .. text_of(raw_rawget(k, x))
        x = raw_next(k, x)
      end
      tsort(entries)
      out[3] = c_concat(entries, ",")
    elseif tk == "function" then
      local info = getinfo(k, "S")
      out[3] = str_format("%s:%d", info.source, info.linedefined)
    end
    return c_concat(out, "|")
  end

  local function name_new_keys(t, others)
    local fresh, prints = nil, nil
    for i = 1, #others do
      local k = others[i]
      if not ids[k] then
        fresh, prints = fresh or {}, prints or {}
        fresh[#fresh + 1] = k
        prints[k] = fingerprint(k, raw_rawget(t, k))
      end
    end
    if not fresh then return end
    if #fresh > 1 then tsort(fresh, function(a, b) return prints[a] < prints[b] end) end
    for i = 1, #fresh do id_of(fresh[i]) end
  end

  local function sorted_keys(t)
    local nums, strs, others = {}, {}, nil
    local nn, ns = 0, 0
    local has_false, has_true = false, false
    local k = raw_next(t)
    while k ~= nil do
      local tk = raw_type(k)
      if tk == "string" then
        ns = ns + 1
        strs[ns] = k
      elseif tk == "number" then
        nn = nn + 1
        nums[nn] = k
      elseif k == true then
        has_true = true
      elseif k == false then
        has_false = true
      else
        others = others or {}
        others[#others + 1] = k
      end
      k = raw_next(t, k)
    end
    if nn > 1 then
      -- Array parts come out of next() already in order; sort only when they are not.
      local sorted = true
      for i = 2, nn do
        if nums[i - 1] > nums[i] then sorted = false break end
      end
      if not sorted then tsort(nums) end
    end
    if ns > 1 then tsort(strs) end
    local n = nn
    for i = 1, ns do nums[n + i] = strs[i] end
    n = n + ns
    if has_false then n = n + 1; nums[n] = false end
    if has_true then n = n + 1; nums[n] = true end
    if others then
      name_new_keys(t, others)
      tsort(others, by_id)
      for i = 1, #others do nums[n + i] = others[i] end
      n = n + #others
    end
    return nums, n
  end

  -- Per table: the sorted key list of its last traversal, so that `next(t, k)` in a loop
  -- stays linear. A weak-keyed cache; rebuilt whenever next(t, nil) starts a traversal.
  local order_cache = raw_setmetatable({}, { __mode = "k" })

  local function det_next(t, k)
    if k == nil then
      if raw_next(t) == nil then return nil end
      local keys, n = sorted_keys(t)
      local pos = {}
      for i = 1, n do pos[keys[i]] = i end
      order_cache[t] = { keys = keys, pos = pos, n = n }
      local first = keys[1]
      return first, t[first]
    end
    local c = order_cache[t]
    if not c or not c.pos[k] then
      local keys, n = sorted_keys(t)
      local pos = {}
      for i = 1, n do pos[keys[i]] = i end
      c = { keys = keys, pos = pos, n = n }
      order_cache[t] = c
      if not pos[k] then raw_error("invalid key to 'next'", 2) end
    end
    local i = c.pos[k] + 1
    local keys = c.keys
    while i <= c.n do
      local key = keys[i]
      local v = raw_rawget(t, key)
      if v ~= nil then return key, v end
      i = i + 1
    end
    return nil
  end

  local function det_pairs(t)
    local mt = raw_getmetatable(t)
    if raw_type(mt) == "table" then
      local p = raw_rawget(mt, "__pairs")
      if p then
        local a, b, c = p(t)
        return a, b, c
      end
    end
    if raw_type(t) ~= "table" then
      raw_error("bad argument #1 to 'pairs' (table expected, got " .. raw_type(t) .. ")", 2)
    end
    -- Iterate over a snapshot of sorted keys: linear, and order independent of hashing.
    local keys, n = sorted_keys(t)
    local i = 0
    return function()
      while true do
        i = i + 1
        if i > n then return nil end
        local key = keys[i]
        local v = raw_rawget(t, key)
        if v ~= nil then return key, v end
      end
    end, t, nil
  end

  local function det_tostring(v)
    local tv = raw_type(v)
    if tv == "table" or tv == "function" or tv == "thread" or tv == "userdata" then
      local mt = raw_getmetatable(v)
      if raw_type(mt) == "table" and raw_rawget(mt, "__tostring") ~= nil then
        local s = raw_rawget(mt, "__tostring")(v)
        if raw_type(s) ~= "string" then raw_error("'__tostring' must return a string", 2) end
        return s
      end
      if raw_type(mt) == "table" and raw_type(raw_rawget(mt, "__name")) == "string" then
        return str_format("%s: 0x%08x", raw_rawget(mt, "__name"), id_of(v))
      end
      return str_format("%s: 0x%08x", tv, id_of(v))
    end
    return raw_tostring(v)
  end

  local function plain(v)
    local tv = raw_type(v)
    return tv ~= "table" and tv ~= "function" and tv ~= "thread" and tv ~= "userdata"
  end

  local function det_format(fmt, ...)
    local n = raw_select("#", ...)
    if n == 0 then return str_format(fmt) end
    -- The usual calls (one or two plain arguments) without building a table.
    if n == 1 then
      local a = ...
      if plain(a) then return str_format(fmt, a) end
    elseif n == 2 then
      local a, b = ...
      if plain(a) and plain(b) then return str_format(fmt, a, b) end
    end
    local args = { ... }
    for i = 1, n do
      local tv = raw_type(args[i])
      if tv == "table" or tv == "function" or tv == "thread" or tv == "userdata" then
        args[i] = det_tostring(args[i])
      end
    end
    return str_format(fmt, tunpack(args, 1, n))
  end

  -- load: text chunks only, whatever mode the caller asks for.
  local function safe_load(chunk, chunkname, mode, ...)
    if raw_type(chunk) == "string" and str_byte(chunk, 1) == 27 then
      return nil, "attempt to load a binary chunk (only text chunks are allowed)"
    end
    if raw_select("#", ...) > 0 then
      return raw_load(chunk, chunkname, "t", (...))
    end
    return raw_load(chunk, chunkname, "t")
  end

  local function safe_collect(opt, ...)
    if opt == nil or opt == "collect" then
      raw_collect("collect")
      return 0
    elseif opt == "count" then
      -- Real memory figures differ between builds; a constant keeps results replayable.
      return 0
    elseif opt == "step" or opt == "isrunning" then
      return opt == "isrunning"
    end
    raw_error("collectgarbage: option '" .. raw_tostring(opt) ..
      "' is not available in a process (use \"collect\" or \"count\")", 2)
  end

  local function safe_setmetatable(t, mt)
    if raw_type(mt) == "table" and raw_rawget(mt, "__gc") ~= nil then
      raw_error("setmetatable: __gc finalizers are not allowed in a process " ..
        "(they would run at nondeterministic times)", 2)
    end
    return raw_setmetatable(t, mt)
  end

  -- Charge `n` instructions of work done outside the VM (see pattern.lua's guard).
  local function charge(n)
    if armed then
      used = used + n
      if exceeded or used > limit then trip(limit_text) end
    end
  end

  install = function(sources, opts, pattern, snapshots)
    limit = opts.instruction_limit or limit
    step = opts.step or step
    limit_text = str_format("instruction limit exceeded (%d instructions)", limit)
    memory_text = opts.memory_text or "memory limit exceeded"
    if opts.cover then covered, arm = opts.cover, cover_arm end
    local G = _G
    local clock_now = 0   -- msg.Timestamp (ms) of the message being handled

    G.python = nil
    G.io = nil
    G.dofile = nil
    G.loadfile = nil
    G.pairs = det_pairs
    G.next = det_next
    G.tostring = det_tostring
    G.load = safe_load
    G.loadstring = safe_load
    G.pcall = safe_pcall
    G.xpcall = safe_xpcall
    G.collectgarbage = safe_collect
    G.setmetatable = safe_setmetatable
    string.dump = nil
    string.format = public("format", det_format)
    if pattern then
      pattern.guard(string, charge)
      for _, name in ipairs({ "find", "match", "gmatch", "gsub" }) do
        string[name] = public(name, string[name])
      end
    end
    -- Bulk builders do work proportional to their result inside one instruction: charge
    -- one instruction per 16 bytes produced, so a loop of them cannot outrun the budget.
    local c_rep, c_concat = string.rep, table.concat
    string.rep = public("rep", function(...)
      local out = c_rep(...)
      if #out > 4096 then charge(#out // 16) end
      return out
    end)
    table.concat = public("concat", function(...)
      local out = c_concat(...)
      if #out > 4096 then charge(#out // 16) end
      return out
    end)
    coroutine.create = safe_co_create
    coroutine.resume = safe_resume
    coroutine.wrap = safe_wrap
    G.debug = { traceback = traceback }
    G.os = {
      time = function() return clock_now end,
      clock = function() return used / 1e8 end,
      difftime = os.difftime,
      date = function(fmt, t)
        fmt = fmt or "%c"
        if raw_type(fmt) ~= "string" then
          raw_error("bad argument #1 to 'date' (string expected, got " .. raw_type(fmt) .. ")", 2)
        end
        if str_sub(fmt, 1, 1) ~= "!" then fmt = "!" .. fmt end
        if t == nil then t = math_floor(clock_now / 1000) end
        return os_date(fmt, t)
      end,
    }
    -- The shared string metatable stays ours: getmetatable("") hands out a decoy.
    local smt = raw_getmetatable("")
    smt.__metatable = { __index = string }

    -- Modules: our own sources by name, plus what the process defines itself.
    local package = G.package
    local preload = package.preload
    local loaded = package.loaded
    loaded.python = nil
    loaded.io = nil
    loaded.os = G.os
    loaded.debug = G.debug
    local lpackage = { loaded = loaded, preload = preload, path = "", cpath = "",
      config = package.config }
    G.package = lpackage
    loaded.package = lpackage

    -- Module name → source key: ".handlers-utils" → "handlers_utils", ".crypto.digest" →
    -- "crypto/digest"; "ao" and "json" also without the dot.
    local function source_key(name)
      local key = name
      if str_sub(key, 1, 1) == "." then key = str_sub(key, 2) end
      key = str_gsub(str_gsub(key, "%.", "/"), "%-", "_")
      if sources[key] then return key end
      return nil
    end

    local loading = {}
    local function require(name)
      if raw_type(name) ~= "string" then
        raw_error("bad argument #1 to 'require' (string expected, got " .. raw_type(name) .. ")", 2)
      end
      local v = loaded[name]
      if v ~= nil then return v end
      local pre = preload[name]
      if pre ~= nil then
        v = pre(name)
        if v == nil then v = true end
        if loaded[name] == nil then loaded[name] = v end
        return loaded[name]
      end
      local key = source_key(name)
      if not key then
        raw_error("module '" .. name .. "' not found: a process can require its own " ..
          "modules (package.loaded / package.preload) and the aos library modules only", 2)
      end
      local canon = "." .. str_gsub(str_gsub(key, "/", "."), "_", "-")
      v = loaded[canon]
      if v == nil then
        if loading[key] then
          raw_error("module '" .. name .. "' is required in a loop", 2)
        end
        local fn, err = raw_load(sources[key], canon, "t", G)
        if not fn then raw_error(err, 0) end
        loading[key] = true
        local ok, res = raw_pcall(fn, canon)
        loading[key] = nil
        if not ok then raw_error(res, 0) end
        v = res
        if v == nil then v = loaded[canon] end
        if v == nil then v = true end
        loaded[canon] = v
      end
      loaded[name] = v
      return v
    end
    G.require = require

    arm(nil)

    local control = {}
    -- Called by the process library around the untrusted part of one message.
    function control.begin(timestamp)
      used = 0
      exceeded = nil
      clock_now = timestamp or 0
      arm(nil)
      armed = true
    end
    function control.finish(err)
      armed = false
      -- A count hook makes the VM take a slow path on every instruction, so the runtime's
      -- own work between messages (building msg, encoding the result) runs without it;
      -- `begin` sets it again, counting from zero as before.
      sethook()
      local e = exceeded
      if not e and is_memory_error(err) then e = memory_text end
      exceeded = nil
      return used, e
    end
    function control.collect() raw_collect("collect") end
    control.pcall = raw_pcall
    control.raw_next = raw_next
    control.concat = c_concat
    -- The originals, for the bridge's own encoding (no cost estimate, no address hiding).
    control.strings = { find = raw_str_find, gsub = str_gsub, format = str_format, sub = str_sub }
    control.sorted_keys = sorted_keys
    if snapshots then
      -- Built now, before the library loads, so that it names the runtime's functions.
      local tools = {}
      for k, v in raw_next, snapshot_raw do tools[k] = v end
      tools.ids = ids
      tools.get_next_id = function() return next_id end
      tools.set_next_id = function(n) next_id = n end
      tools.forget_order = function(t) order_cache[t] = nil end
      tools.anchors = { G = G, loaded = loaded, preload = preload, string = smt.__index,
        decoy = smt.__metatable }
      tools.probes = {
        ["ipairs()"] = function() return (ipairs({})) end,
        ["utf8.codes()"] = function() return (utf8.codes("")) end,
      }
      control.snapshot = snapshots(tools)
    end
    return control
  end
end

return install
