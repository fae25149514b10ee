--[[ sandbox.lua: the determinism shims and limits of one process state.

Loaded first, by aos.runtime, into a fresh Lua 5.3 state. It returns `install`, which
hardens the globals in place and returns the control table the runtime drives:

  * no Python bridge, no io, os reduced to time/clock/date/difftime, no loadfile/dofile,
    load/loadstring text-only, no string.dump, debug reduced to traceback,
    collectgarbage reduced to "collect"/"count" (count is a constant: memory is not
    deterministic across builds);
  * pairs/next iterate in a deterministic order (numbers, strings, booleans, then other
    keys by a per-process id: lua/order.lua), tostring/string.format never show an
    address;
  * an instruction budget counted by a count hook, which pcall/xpcall/coroutine cannot
    swallow: once exceeded, every protected call re-raises the limit error; C functions
    whose work depends on their arguments are charged for it (meter.lua, pattern.lua,
    the key sort of pairs/next in order.lua);
  * a wall-clock watchdog in the same hook, the one limit that is not counted (see
    lua/README.md, "Limits"): a message that runs too long anyway is stopped;
  * require resolves only our own modules (from the sources handed in) and whatever the
    process put into package.loaded / package.preload;
  * the registry's global table (the one lupa and the C API read) becomes a private copy
    of the standard library, so nothing the process does to its own `_G` can run while
    the runtime calls into Lua (see `private_globals`).

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
  local sethook, getregistry = debug.sethook, debug.getregistry
  local traceback = debug.traceback
  local co_create, co_resume = coroutine.create, coroutine.resume
  local os_date, os_time = os.date, os.time
  local str_dump = string.dump
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
  local stopped = false      -- true when the watchdog (not a counted limit) stopped it
  local limit_text = "instruction limit exceeded"
  local memory_text = "memory limit exceeded"
  local memory_limit = math.maxinteger
  -- The watchdog: seconds of wall clock a message may run (0: none), the text of its
  -- error, and the os.time() after which the current message is stopped.
  local watchdog, watchdog_text, deadline = 0, "the watchdog stopped the message", nil

  -- Raise a limit error. Disarming first keeps the hook from raising again once the
  -- error has unwound into the runtime's own code (between its pcall and `finish`);
  -- the process cannot catch it meanwhile, because every protected call re-raises
  -- while `exceeded` is set.
  local function trip(text)
    exceeded = exceeded or text
    armed = false
    raw_error(exceeded, 0)
  end

  -- The count hook. It also keeps the watchdog: os.time() is whole seconds, and "more than
  -- N seconds" is a time past start + N, so it never fires early and at most a second
  -- late. A "line" event is never asked for by this sandbox: it is aos.runtime.watchdog
  -- poking a state whose message is past its deadline (one slow instruction can keep the
  -- count hook from running for long), so it stops the message at once.
  local function hook(event)
    if not armed then return end
    if event == "line" then
      stopped = true
      trip(watchdog_text)
    end
    used = used + step
    if exceeded or used > limit then trip(limit_text) end
    if deadline and os_time() > deadline then
      stopped = true
      trip(watchdog_text)
    end
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

  -- A standard function the runtime wraps (meter.lua, pattern.lua, the functions below)
  -- calls the C original last, so an argument error names the public function (the
  -- registry's _LOADED, see meter.lua); but C puts the position of its caller in front
  -- of the message, and that caller is the wrapper: a stripped chunk (no position) or
  -- lupa's "<python>" chunk (this one). aos gives the position of the code that called the standard
  -- function ("[string "aos"]:1: bad argument #1 to 'rep' ..."). So the process's protected
  -- calls run with a message handler that, when a C function called from a runtime frame
  -- raised, puts the position of the first frame up the stack that is not the runtime's.
  -- It runs where the error was raised, before the stack unwinds, and only on an error.
  -- (A stripped chunk's functions have the source "=?".)
  local function runtime_source(source)
    return source == "=?" or source == "<python>"
  end
  -- The same holds for an error Lua raises inside a runtime frame (a stack overflow in a
  -- wrapper reads "?:-1: stack overflow"). An error the runtime raises on purpose goes
  -- through `error` with a level, which already names the caller: left alone.
  -- `up` is how many frames sit between the error and this function beyond a message
  -- handler's own (1 when a wrapper calls it, as safe_xpcall's does).
  local function place(e, up)
    if exceeded or raw_type(e) ~= "string" then return e end
    up = up or 0
    local raiser = getinfo(2 + up, "Sf")
    if raiser == nil or raiser.func == raw_error then return e end
    local level
    if raiser.what == "C" then
      local wrapper = getinfo(3 + up, "S")
      if wrapper == nil or not runtime_source(wrapper.source) then return e end
      level = 4 + up
    elseif runtime_source(raiser.source) then
      level = 3 + up
    else
      return e
    end
    -- The first frame above the runtime's is what C would have named (a C function there,
    -- such as pcall(string.rep), has no position, in aos too).
    local info = getinfo(level, "Sl")
    while info ~= nil and runtime_source(info.source) do
      level = level + 1
      info = getinfo(level, "Sl")
    end
    if info == nil or info.currentline <= 0 then return e end
    local bare, n = str_gsub(e, '^%[string "<python>"%]:%d+: ', "", 1)
    if n == 0 then bare = str_gsub(e, "^%?:%-1: ", "", 1) end
    return str_format("%s:%d: %s", info.short_src, info.currentline, bare)
  end

  local function safe_pcall(f, ...)
    return check_limits(raw_xpcall(f, place, ...))
  end

  local function safe_xpcall(f, handler, ...)
    return check_limits(raw_xpcall(f, function(e)
      if exceeded then return exceeded end
      return handler(place(e, 1))
    end, ...))
  end

  -- The count hook fires every `step` instructions *per thread*, so a thread that ends
  -- sooner is never counted. Charging `step` for each new thread bounds what escapes the
  -- count (and keeps a storm of short coroutines inside the budget).
  --
  -- The first coroutine a message creates (process.lua runs the handlers in it, so it is
  -- where process code runs) is a thread made beforehand, whose address the runtime
  -- already has, so that aos.runtime.watchdog can poke it too (see `control.spare`). It
  -- starts its function with a tail call, so it behaves as a thread created for it. (One
  -- thread reused for every message would spare the creation, but a process that kept
  -- coroutine.running() would then see it running again; in aos it is dead.)
  local spare, spare_box, spare_taken = nil, nil, false
  local function make_spare()
    local box = {}
    spare = co_create(function(...)
      local f = box.f
      box.f = nil
      return f(...)
    end)
    spare_box, spare_taken = box, false
  end

  local function safe_co_create(f)
    if armed then
      used = used + step
      if exceeded or used > limit then trip(limit_text) end
    end
    local co
    if armed and spare and not spare_taken and raw_type(f) == "function" then
      spare_taken = true
      spare_box.f = f
      co = spare
    else
      co = co_create(f)
    end
    arm(co)   -- new threads inherit the hook in 5.3; setting it again resets their count
    return co
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

  -- The order of keys and the ids of values (lua/order.lua), set by `install`.
  local det_next, det_pairs, id_of, log2, order
  local charge -- defined below, with the rest of the budget's interface

  local function det_tostring(v)
    local tv = raw_type(v)
    if tv == "table" or tv == "function" or tv == "thread" or tv == "userdata" then
      local mt = raw_getmetatable(v)
      if raw_type(mt) == "table" and raw_rawget(mt, "__tostring") ~= nil then
        local s = raw_rawget(mt, "__tostring")(v)
        if raw_type(s) ~= "string" then raw_error("'__tostring' must return a string", 2) end
        return s
      end
      if armed then   -- the format: charge(50), inline on this frequent path
        used = used + 50
        if exceeded or used > limit then trip(limit_text) end
      end
      if raw_type(mt) == "table" and raw_type(raw_rawget(mt, "__name")) == "string" then
        return str_format("%s: 0x%08x", raw_rawget(mt, "__name"), id_of(v))
      end
      return str_format("%s: 0x%08x", tv, id_of(v))
    end
    return raw_tostring(v)
  end

  -- load: text chunks only, whatever mode the caller asks for. Without an env argument
  -- a chunk gets the process's globals (C's load would give it the registry's table,
  -- which is private to the runtime, see `private_globals`). Compiling costs about 4
  -- instructions a byte (measured: 20-50 ns a byte), charged before it starts; a reader
  -- function's pieces are charged as they arrive.
  local COMPILE = 4
  local process_env = nil
  local function charged_reader(reader)
    return function()
      local piece = reader()
      if raw_type(piece) == "string" then charge(#piece * COMPILE) end
      return piece
    end
  end
  -- load runs the parser (and a reader) protected: a limit hit while compiling comes back
  -- as load's own nil and message, and must end the message as it would anywhere else.
  local function loaded(f, err)
    if exceeded then raw_error(exceeded, 0) end
    if f == nil and is_memory_error(err) then trip(memory_text) end
    return f, err
  end
  local function safe_load(chunk, chunkname, mode, ...)
    local tc = raw_type(chunk)
    if tc == "string" then
      if str_byte(chunk, 1) == 27 then
        return nil, "attempt to load a binary chunk (only text chunks are allowed)"
      end
      charge(#chunk * COMPILE)
    elseif tc == "function" then
      chunk = charged_reader(chunk)
    end
    if raw_select("#", ...) > 0 then
      return loaded(raw_load(chunk, chunkname, "t", (...)))
    end
    return loaded(raw_load(chunk, chunkname, "t", process_env))
  end

  -- A process can see what a full collection does (the entries of its weak tables), so
  -- "collect" is a real one: only then does what a weak table holds after it follow from
  -- the log (which objects are unreachable), whatever the collector did before. Its cost
  -- grows with the heap, but a charge by heap size would depend on how the heap was laid
  -- out (a restored snapshot, a checkpoint's garbage): the charge is fixed, so a loop of
  -- it stops after BUDGET / COLLECT_CHARGE calls (20 at the default budget).
  local COLLECT_CHARGE = 5000000
  local function safe_collect(opt, ...)
    if opt == nil or opt == "collect" then
      charge(COLLECT_CHARGE)
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

  -- Charge `n` instructions of work done outside the VM (meter.lua, pattern.lua).
  charge = function(n)
    if armed then
      used = used + n
      if exceeded or used > limit then trip(limit_text) end
    end
  end

  -- A result larger than the whole memory cap can never be allocated: refused at once.
  local function too_big()
    if armed then trip(memory_text) end
  end

  -- debug.traceback: 7 to 18 µs for a deep stack (measured), plus copying its message.
  local function safe_traceback(...)
    local msg = ...
    charge(1500 + (raw_type(msg) == "string" and #msg // 2 or 0))
    return traceback(...)
  end

  -- The runtime's own chunks, stripped of debug information: an error raised by a C
  -- function they call then carries no runtime file and line (see meter.lua).
  local function stripped(source, name)
    return str_dump(raw_load(source, name, "t"), true)
  end
  -- `chunk` is source, or with `binary` what `stripped` made of it (compile_library).
  local function load_stripped(chunk, name, env, binary)
    if not binary then chunk = stripped(chunk, name) end
    local fn, err = raw_load(chunk, name, "b", env)
    if not fn then raw_error(err, 0) end
    return fn()
  end

  -- The registry's global table is what lupa reads on every call from Python (it looks
  -- up `debug.traceback` before its lua_pcall, outside any protected call) and what the C
  -- API's lua_getglobal reads. While it is the process's `_G`, a process that removes
  -- `debug` and sets an __index metamethod on `_G` runs code outside every protected call,
  -- and an error there aborts the OS process. So the registry gets a private table: a
  -- copy of the standard library as it is now, plus `debug = {traceback = false}`, which
  -- keeps lupa from installing a message handler and keeps the two strings it looks up
  -- alive (creating them could fail for memory, unprotected). The process keeps its
  -- `_G`: every function loaded so far holds it as _ENV, and `load` passes it explicitly.
  -- The runtime's own chunks (pattern.lua, bridge.lua) run with the private table.
  local LUA_RIDX_GLOBALS = 2
  local LIBRARIES = { "string", "table", "math", "utf8", "coroutine", "os" }
  local function private_globals(G)
    local private = {}
    for k, v in raw_next, G do private[k] = v end
    for _, name in ipairs(LIBRARIES) do
      local copy = {}
      for k, v in raw_next, G[name] do copy[k] = v end
      private[name] = copy
    end
    private.debug = { traceback = false }
    private.package, private.require, private.python = nil, nil, nil
    private._G = private
    local registry = getregistry()
    registry[LUA_RIDX_GLOBALS] = private
    -- luaL_traceback names functions by searching this table (two levels deep, in hash
    -- order): the process's package.loaded would make every traceback cost as much as
    -- the process's globals and modules are large, and the names depend on hash order.
    registry._LOADED = {}
    return private
  end

  install = function(sources, opts, parts, snapshots)
    limit = opts.instruction_limit or limit
    step = opts.step or step
    limit_text = str_format("instruction limit exceeded (%d instructions)", limit)
    memory_text = opts.memory_text or "memory limit exceeded"
    memory_limit = opts.memory_limit or memory_limit
    watchdog = opts.watchdog or 0
    watchdog_text = opts.watchdog_text or watchdog_text
    if opts.cover then covered, arm = opts.cover, cover_arm end
    local G = _G
    local clock_now = 0   -- msg.Timestamp (ms) of the message being handled
    local private = private_globals(G)
    process_env = G
    -- pattern.lua and meter.lua: loaded here, with the private globals, so that what
    -- their functions look up when they run is the original library whatever the process
    -- replaces.
    -- opts.bytecode: {key: bytecode} of `sources`, and `parts` as stripped bytecode, as
    -- control.compile_library made them in another state of this build (loading bytecode
    -- is about five times faster than compiling; the functions are the same). `sources`
    -- stays text: the runtime drops the bytecode once the library is loaded
    -- (control.forget_bytecode), so the state holds what it held without it.
    local bytecode = opts.bytecode
    local pattern = load_stripped(parts.pattern, "=pattern", private, bytecode ~= nil)
    local meter = load_stripped(parts.meter, "=meter", private, bytecode ~= nil)
    order = load_stripped(parts.order, "=order", private, bytecode ~= nil)({
      next = raw_next, type = raw_type, rawget = raw_rawget, error = raw_error,
      setmetatable = raw_setmetatable, getmetatable = raw_getmetatable, format = str_format,
      math_type = math_type, sort = tsort, concat = c_concat, getinfo = getinfo,
    }, charge)
    det_next, det_pairs, id_of = order.next, order.pairs, order.id_of
    log2 = order.log2
    local registry = getregistry()

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
    local matchers = pattern.guard(string, charge)
    local names = meter.install(G, { charge = charge, too_big = too_big,
      memory_limit = memory_limit, tostring = det_tostring, pcall = safe_pcall,
      log2 = log2 })
    -- The originals the wrappers tail-call, by the names an argument error should give
    -- them (see meter.lua); the process's modules are not in this table.
    for name, f in raw_next, matchers do names._G[name] = f end
    names._G.date, names._G.load = os_date, raw_load
    names._G.traceback, names._G.setmetatable = traceback, raw_setmetatable
    registry._LOADED = names
    coroutine.create = safe_co_create
    coroutine.resume = safe_resume
    coroutine.wrap = safe_wrap
    G.debug = { traceback = safe_traceback }
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
        -- strftime per conversion: about 240 ns a byte of format (measured).
        charge(#fmt * 20)
        return os_date(fmt, t)   -- a tail call: an error names 'date' at the caller
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

    -- Source key → the module's chunk name: "crypto/digest" → ".crypto.digest".
    local function canonical(key)
      return "." .. str_gsub(str_gsub(key, "/", "."), "_", "-")
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
      local canon = canonical(key)
      v = loaded[canon]
      if v == nil then
        if loading[key] then
          raw_error("module '" .. name .. "' is required in a loop", 2)
        end
        local chunk, mode = bytecode and bytecode[key], "b"
        if chunk == nil then chunk, mode = sources[key], "t" end
        local fn, err = raw_load(chunk, canon, mode, G)
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
      stopped = false
      clock_now = timestamp or 0
      deadline = watchdog > 0 and os_time() + watchdog or nil
      arm(nil)
      armed = true
    end
    -- Returns the instructions used, the limit error (or nil), and whether it was the
    -- watchdog's.
    function control.finish(err)
      armed = false
      -- `begin` sets the hook again, counting from zero as before.
      sethook()
      deadline = nil
      local e = exceeded
      if not e and is_memory_error(err) then e = memory_text end
      exceeded = nil
      local was_stopped = stopped
      stopped = false
      return used, e, was_stopped
    end
    control.charge = charge
    control.log2 = log2
    -- The budget stays armed (charges count) but the count hook is cleared: the bridge's
    -- encoding of the result charges its own work, and a count hook makes the VM take a
    -- slow path on every instruction.
    function control.quiet() sethook() end
    -- "thread: 0x…": the address of the main lua_State, for aos.runtime.watchdog.
    control.main_thread = raw_tostring((coroutine.running()))
    -- Before a message: the spare thread its first coroutine will be, as "thread: 0x…"
    -- (a new one once the last was taken). The sandbox holds it, so it stays alive until
    -- the next call, past the end of the message the watchdog may poke.
    function control.spare()
      if spare == nil or spare_taken then make_spare() end
      return raw_tostring(spare)
    end
    function control.collect() raw_collect("collect") end
    control.pcall = raw_pcall
    -- The process's `load` (text only, the process's globals), for a host chunk of aos
    -- itself (aos.runtime.script): the registry's `load` would give it the private globals.
    control.load = safe_load
    control.require = require
    control.raw_next = raw_next
    control.concat = c_concat
    -- The originals, for the bridge's own encoding (no cost estimate, no address hiding).
    control.strings = { find = raw_str_find, gsub = str_gsub, format = str_format, sub = str_sub }
    function control.forget_bytecode() bytecode = nil end
    if opts.compiler then
      -- {key: bytecode} of the sources this state was given (compiled, with debug
      -- information), and {pattern, meter, order} stripped: what opts.bytecode and `parts`
      -- take, each passed through `encode` (the host's way to carry bytes out, e.g.
      -- snapshot's as_text). Only in the state built for it: elsewhere nothing keeps `parts` alive.
      function control.compile_library(encode)
        local modules = {}
        for key, source in raw_next, sources do
          modules[key] = encode(str_dump(raw_load(source, canonical(key), "t")))
        end
        return modules, { pattern = encode(stripped(parts.pattern, "=pattern")),
          meter = encode(stripped(parts.meter, "=meter")),
          order = encode(stripped(parts.order, "=order")) }
      end
    end
    if snapshots then
      -- Built now, before the library loads, so that it names the runtime's functions.
      local tools = {}
      for k, v in raw_next, snapshot_raw do tools[k] = v end
      tools.ids = order.ids
      tools.get_next_id, tools.set_next_id = order.get_next_id, order.set_next_id
      tools.forget_order = order.forget
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
