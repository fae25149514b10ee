--[[ runner.lua: the host of one spec file in `aos test` (run by aos.runtime.script.LuaScript,
driven by aos.testing.runner).

Loading the file declares its tests: `describe(name, fn)` groups (fn runs at once),
`it(name, fn)` declares a test, `pending(name)` a skipped one, `before_each(fn)` and
`after_each(fn)` run around every test of their group and the groups inside it (outermost
first before, innermost first after; after_each runs even when the test failed). The
globals `assert` (.testing.assert) and `ao_test` (.testing.ao_test) are set here.

Python calls `entry(command, ...)`:

  entry("load", source, chunkname)  -> true, JSON [{name, line, pending}] | false, message
  entry("start", i, clock_ms)        start test i (1-based)
  entry("resume", clock_ms, ok, v)   the answer to the call the test is waiting on

start and resume return "call", kind, args... when the test called ao_test (Python
answers with resume), or "done", JSON outcome: {status = passed|failed|skipped, message,
where = "file:line", frames, expected, actual, expected_block, actual_block, output (what
the test printed)}.

Each test runs in a coroutine of its own, under the sandbox's instruction budget from one
call to the next; its failures are located from the traceback: the first frame in a spec
file (a chunk named "@path"), not in this runner or the libraries.
]]

return function(control)
  local json = require("json")
  local assert_lib = require(".testing.assert")
  local ao_test = require(".testing.ao_test")
  local show = require(".testing.show")
  local traceback = debug.traceback
  local raw_pcall = control.pcall

  local running = nil            -- the coroutine of the running test
  local MARK = ao_test._attach(function() return running end)
  assert_lib.sent = ao_test.assert_sent
  assert_lib.not_sent = ao_test.assert_not_sent

  local tests = {}
  local loading = false
  local function group(name, parent)
    return { name = name, parent = parent, before = {}, after = {} }
  end
  local root = group(nil, nil)
  local current = root

  -- Frames of a traceback that are in spec files: "path:line: in ...".
  local function spec_frames(tb)
    local frames = {}
    for line in tb:gmatch("[^\n]+") do
      local where, rest = line:match("^%s*(.-:%d+): in (.*)$")
      if where and not where:find("^%[") and not where:find("^aos%-test") then
        frames[#frames + 1] = where .. ": in " .. rest
      end
    end
    return frames
  end

  local function where_of(frames)
    return frames[1] and frames[1]:match("^(.-:%d+):") or nil
  end

  -- The spec line that declared a test (the innermost spec frame).
  local function declared_at()
    local where = where_of(spec_frames(traceback("", 2)))
    return where and tonumber(where:match(":(%d+)$")) or 0
  end

  local function full_name(g, name)
    local parts = { name }
    while g and g.name do
      table.insert(parts, 1, g.name)
      g = g.parent
    end
    return table.concat(parts, " ")
  end

  local function declaring(what)
    if not loading then
      error(what .. "() declares tests while the file loads; it cannot run inside a test", 3)
    end
  end

  local function check(what, name, fn, optional)
    if type(name) ~= "string" then
      error(what .. " needs a name (a string) first, got " .. type(name), 3)
    end
    if not (fn == nil and optional) and type(fn) ~= "function" then
      error(what .. "(" .. string.format("%q", name) .. ", fn) needs a function, got " ..
        type(fn), 3)
    end
  end

  local function describe(name, fn)
    declaring("describe")
    check("describe", name, fn)
    local g = group(name, current)
    current = g
    fn()   -- an error here fails the whole file, so there is nothing to restore
    current = g.parent
  end

  local function it(name, fn)
    declaring("it")
    check("it", name, fn, true)
    tests[#tests + 1] = { name = full_name(current, name), group = current, fn = fn,
      line = declared_at(), pending = fn == nil }
  end

  local SKIP = {}
  local function pending(name)
    if running ~= nil and coroutine.running() == running then
      error(setmetatable({ reason = name }, SKIP), 0)
    end
    declaring("pending")
    check("pending", name, nil, true)
    tests[#tests + 1] = { name = full_name(current, name), group = current,
      line = declared_at(), pending = true }
  end

  local function before_each(fn)
    declaring("before_each")
    if type(fn) ~= "function" then error("before_each needs a function", 2) end
    table.insert(current.before, fn)
  end

  local function after_each(fn)
    declaring("after_each")
    if type(fn) ~= "function" then error("after_each needs a function", 2) end
    table.insert(current.after, fn)
  end

  -- print: what a test prints is kept with its outcome (the report shows it for a failed
  -- test), never written between the progress marks.
  local printed = {}
  local function print(...)
    local parts = {}
    for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
    printed[#printed + 1] = table.concat(parts, "\t")
  end

  -- The spec's globals; everything else of the runner stays in these upvalues.
  _G.describe, _G.it, _G.pending = describe, it, pending
  _G.before_each, _G.after_each = before_each, after_each
  _G.assert, _G.ao_test, _G.print = assert_lib, ao_test, print

  -- What the runner knows of an error: the failure fields, or the message; where it
  -- happened, taken while the stack is still there.
  local function on_error(e)
    local out = { frames = spec_frames(traceback("", 2)) }
    if getmetatable(e) == SKIP then
      out.status, out.message = "skipped", e.reason and tostring(e.reason) or ""
      return out
    end
    out.status = "failed"
    if assert_lib.is_failure(e) then
      for k, v in pairs(e) do out[k] = v end
    else
      out.message = type(e) == "string" and e or ("error: " .. tostring(e))
      out.error = true
    end
    out.where = where_of(out.frames)
    return out
  end

  local function run(test)
    local chain = {}
    local g = test.group
    while g do
      table.insert(chain, 1, g)
      g = g.parent
    end
    local outcome = nil
    local function protect(fn)
      local ok, err = xpcall(fn, on_error)
      if not ok and outcome == nil then outcome = err end
      return ok
    end
    local ran = 0
    for _, grp in ipairs(chain) do
      for _, fn in ipairs(grp.before) do
        if outcome == nil then protect(fn) end
      end
      ran = ran + 1
      if outcome ~= nil then break end
    end
    if outcome == nil then protect(test.fn) end
    for i = ran, 1, -1 do
      local after = chain[i].after
      for j = #after, 1, -1 do protect(after[j]) end
    end
    return outcome or { status = "passed" }
  end

  -- Resume the test until it waits on ao_test or ends; the instruction budget counts
  -- from each resume.
  local function step(clock, ...)
    control.begin(clock)
    local r = table.pack(raw_pcall(coroutine.resume, running, ...))
    local _, limit = control.finish(not r[1] and r[2] or nil)
    local outcome
    if limit then
      outcome = { status = "failed", error = true, message = limit, frames = {} }
    elseif not r[1] or not r[2] then
      outcome = { status = "failed", error = true, frames = {},
        message = "the test ended with an error outside it: " .. tostring(r[1] and r[3] or r[2]) }
    elseif coroutine.status(running) == "suspended" then
      if r[3] == MARK then return "call", table.unpack(r, 4, r.n) end
      outcome = { status = "failed", error = true, frames = {},
        message = "the test yielded outside a coroutine of its own (coroutine.yield)" }
    else
      outcome = r[3]
    end
    running = nil
    if #printed > 0 then outcome.output = table.concat(printed, "\n") end
    return "done", show.utf8(json.encode(outcome))
  end

  local commands = {}

  function commands.load(source, chunkname)
    local fn, err = load(source, chunkname, "t")
    if not fn then return false, show.utf8(json.encode({ message = err })) end
    loading = true
    control.begin(0)
    local ok, xok, res = raw_pcall(xpcall, fn, function(e)
      local text = assert_lib.is_failure(e) and e.message or tostring(e)
      return { message = text, where = where_of(spec_frames(traceback("", 2))) }
    end)
    local _, limit = control.finish(not ok and xok or nil)
    loading = false
    if limit then return false, json.encode({ message = limit }) end
    if not ok then return false, show.utf8(json.encode({ message = tostring(xok) })) end
    if not xok then return false, show.utf8(json.encode(res)) end
    local list = {}
    for i, t in ipairs(tests) do
      list[i] = { name = t.name, line = t.line, pending = t.pending }
    end
    if #list == 0 then return true, "[]" end
    return true, show.utf8(json.encode(list))
  end

  function commands.start(i, clock)
    local test = tests[i]
    if test.pending then
      return "done", json.encode({ status = "skipped", message = "" })
    end
    running = coroutine.create(run)
    printed = {}
    return step(clock, test)
  end

  function commands.resume(clock, ok, value)
    return step(clock, ok, value)
  end

  return function(command, ...)
    return commands[command](...)
  end
end
