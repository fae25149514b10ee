--[[ handlers.lua (`.handlers`, the `Handlers` global): the ordered list of
{name, pattern, handle, maxRuns} entries a message is run through (docs/compat.md §3.6).

A pattern's result decides what happens: a negative number / true / "break" runs the
handler and stops (the message counts as handled); a positive number / "continue" runs it
and goes on; 0 / false / any other string skips. When nothing handled the message, the
handler named `_default` runs.

What a process can observe follows aos 2.0.6 exactly, because processes depend on it:
`handle` is stored wrapped by `generateResolver` (so a resolver table works everywhere and
the handler gets only `msg`); maxRuns counts down after a run and the entry goes when it
reaches 0 (so 0 means forever); the list is walked live (removing an entry while it is
walked skips the next one); once() names start at `_once_0`; and an error in a handler is
raised again from this module with aos's position prefix (see `rethrow`).
]]

local utils = require(".utils")

local handlers = { _version = "0.0.5" }
handlers.utils = require(".handlers-utils")
handlers.list = {}
handlers.coroutines = {}
handlers.onceNonce = 0

-- aos re-raises a handler's error with error(err) from line 723 of its `.handlers`
-- chunk, and from line 199 when a Receive-ing coroutine fails; that prefix is part of every
-- handler error text users see, so it is written here as aos writes it.
local HANDLE_AT = '[string ".handlers"]:723: '
local RECEIVE_AT = '[string ".handlers"]:199: '
local PATTERN_AT = '[string ".handlers"]:667: '

local function rethrow(at, err)
  if type(err) == "string" then error(at .. err, 0) end
  error(err, 0)
end

local ARGS_HELP = "Invalid arguments given. Expected: \n" ..
  "\tname : string, " ..
  "\tpattern : Action : string | MsgMatch : table,\n" ..
  "\t\tfunction(msg: Message) : {-1 = break, 0 = skip, 1 = continue},\n" ..
  "\thandle(msg : Message) : void) | Resolver,\n" ..
  '\tMaxRuns? : number | "inf" | nil'

local function find(name)
  for i, h in ipairs(handlers.list) do
    if h.name == name then return i end
  end
  return nil
end

-- aos asserts this at line 113 of its bundled module; the position is part of the text.
local function check(name, pattern)
  local tp = type(pattern)
  if type(name) ~= "string" or (tp ~= "function" and tp ~= "table" and tp ~= "string") then
    error('[string ".handlers"]:113: ' .. ARGS_HELP, 0)
  end
end

-- (name, handle) takes the name as the Action pattern; a fourth argument is maxRuns.
local function arguments(...)
  local n = select("#", ...)
  local name, pattern, handle, maxRuns = ...
  if n == 2 then return name, name, pattern, nil end
  if n == 3 then return name, pattern, handle, nil end
  return name, pattern, handle, maxRuns
end

-- A known name is updated in place (its position kept); a new one goes in at `at`.
local function put(at, ...)
  local name, pattern, handle, maxRuns = arguments(...)
  check(name, pattern)
  handle = handlers.generateResolver(handle)
  local i = find(name)
  if i then
    local h = handlers.list[i]
    h.pattern, h.handle, h.maxRuns = pattern, handle, maxRuns
  else
    local h = { pattern = pattern, handle = handle, name = name, maxRuns = maxRuns }
    if at then table.insert(handlers.list, at, h) else table.insert(handlers.list, h) end
  end
end

--- Add or update (in place) a handler; returns the length of the list.
function handlers.add(...)
  put(nil, ...)
  return #handlers.list
end

--- The same as add, without the return value.
function handlers.append(...)
  put(nil, ...)
end

--- Add at the front (or update in place).
function handlers.prepend(...)
  put(1, ...)
end

local function relative(anchor, offset)
  if type(anchor) ~= "string" then error("Handler name MUST be a string", 0) end
  local i = find(anchor) -- where the anchor is now, not when add is called
  return {
    add = function(name, pattern, handle, maxRuns)
      check(name, pattern)
      handle = handlers.generateResolver(handle)
      if i then
        table.insert(handlers.list, i + offset,
          { pattern = pattern, handle = handle, name = name, maxRuns = maxRuns })
      end
    end,
  }
end

function handlers.before(anchor) return relative(anchor, 0) end
function handlers.after(anchor) return relative(anchor, 1) end

function handlers.remove(name)
  if type(name) ~= "string" then error("name MUST be string", 0) end
  local i = find(name)
  if i then table.remove(handlers.list, i) end
end

--- once([name,] pattern, handle): a handler that runs for the first match only.
function handlers.once(...)
  local name, pattern, handle
  if select("#", ...) == 3 then
    name, pattern, handle = ...
  else
    name = "_once_" .. tostring(handlers.onceNonce)
    handlers.onceNonce = handlers.onceNonce + 1
    pattern, handle = ...
  end
  handlers.prepend(name, pattern, handle, 1)
end

--- A handle function from a function (called with the message) or a resolver table
--- {[spec] = fn} (the first matching spec's fn handles the message).
function handlers.generateResolver(spec)
  return function(msg)
    if type(spec) == "function" then return spec(msg) end
    for match, fn in pairs(spec) do
      if utils.matchesSpec(msg, match) then return fn(msg) end
    end
  end
end

--- Wait (yield the message coroutine) until a message matching `pattern` arrives; the
--- waiting code resumes while that message is evaluated and gets it as the result.
function handlers.receive(pattern)
  local waiting = coroutine.running()
  handlers.once(pattern, function(msg)
    -- The waiting coroutine runs the process's pcall(evaluate): its second result is
    -- false when the code after Receive failed.
    local _, ok, err = coroutine.resume(waiting, msg)
    if not ok then rethrow(RECEIVE_AT, err) end
  end)
  return coroutine.yield(pattern)
end

local function decide(result)
  local t = type(result)
  if t == "boolean" then return result and -1 or 0 end
  if t == "string" then
    if result == "continue" then return 1 end
    if result == "break" then return -1 end
    return 0
  end
  if t == "number" then return result end
  error(PATTERN_AT .. "Pattern result is not valid, it MUST be string, number, or boolean", 0)
end

local matches_spec = utils.matchesSpec

-- utils.matchesSpec(msg, pattern), with its two common cases inline (it is called for
-- every handler of every message). A process that replaced Utils.matchesSpec gets its own.
local function match(msg, pattern)
  if utils.matchesSpec == matches_spec then
    local tp = type(pattern)
    if tp == "function" then return pattern(msg) end
    if tp == "string" then
      local action = msg.Action
      return action ~= nil and action == pattern
    end
  end
  return utils.matchesSpec(msg, pattern)
end

--- Run msg through the list; `_default` only when nothing handled it.
function handlers.evaluate(msg, env)
  local handled = false
  assert(type(msg) == "table", "msg is not valid")
  assert(type(env) == "table", "env is not valid")
  for _, h in ipairs(handlers.list) do
    if h.name ~= "_default" then
      local d = decide(match(msg, h.pattern))
      if d ~= 0 then
        if d < 0 then handled = true end
        local ok, err = pcall(h.handle, msg, env)
        if not ok then rethrow(HANDLE_AT, err) end
        if h.maxRuns ~= nil and h.maxRuns ~= "inf" then
          h.maxRuns = h.maxRuns - 1
          if h.maxRuns == 0 then handlers.remove(h.name) end
        end
      end
      if d < 0 then return handled end
    end
  end
  if not handled then
    handlers.list[find("_default")].handle(msg, env)
  end
end

return handlers
