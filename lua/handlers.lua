--[[ handlers.lua (`.handlers`, the `Handlers` global): the ordered list of
(name, pattern, handle) entries a message is run through (docs/compat.md §3.6).

A pattern's result decides what happens: a negative number / true / "break" runs the
handler and stops (the message counts as handled); a positive number / "continue" runs it
and goes on; 0 / false / any other string skips. When nothing handled the message, the
handler named `_default` runs.
]]

local utils = require(".utils")

local handlers = { _version = "0.0.5" }
handlers.utils = require(".handlers-utils")
handlers.list = {}
handlers.coroutines = {}
handlers.onceNonce = 0

local ARGS_HELP = "Handlers.add(name : string, pattern : string | table | function, " ..
  "handle : function | table [, maxRuns : number | 'inf'])"

local function find(name)
  local list = handlers.list
  for i = 1, #list do
    if list[i].name == name then return i end
  end
  return nil
end

local function check(name, pattern, handle, maxRuns, fn)
  if type(name) ~= "string" then
    error("Handlers." .. fn .. ": name must be a string, got " .. type(name) ..
      " (" .. ARGS_HELP .. ")", 3)
  end
  local tp = type(pattern)
  if tp ~= "string" and tp ~= "table" and tp ~= "function" then
    error("Handlers." .. fn .. " '" .. name .. "': pattern must be a string, table or " ..
      "function, got " .. tp .. " (" .. ARGS_HELP .. ")", 3)
  end
  local th = type(handle)
  if th ~= "function" and th ~= "table" then
    error("Handlers." .. fn .. " '" .. name .. "': handle must be a function or a " ..
      "resolver table, got " .. th .. " (" .. ARGS_HELP .. ")", 3)
  end
  if maxRuns ~= nil and maxRuns ~= "inf" and type(maxRuns) ~= "number" then
    error("Handlers." .. fn .. " '" .. name .. "': maxRuns must be a number or 'inf', got " ..
      type(maxRuns), 3)
  end
end

-- add(name, handle) uses the name as an Action pattern.
local function args(name, pattern, handle, maxRuns)
  if handle == nil and (type(pattern) == "function" or type(pattern) == "table")
      and type(name) == "string" then
    return name, name, pattern, maxRuns
  end
  return name, pattern, handle, maxRuns
end

local function entry(name, pattern, handle, maxRuns)
  return { name = name, pattern = pattern, handle = handle, maxRuns = maxRuns }
end

-- A known name is updated in place (its position kept); a new one goes to the end.
local function upsert(caller, ...)
  local name, pattern, handle, maxRuns = args(...)
  check(name, pattern, handle, maxRuns, caller)
  local i = find(name) or #handlers.list + 1
  handlers.list[i] = entry(name, pattern, handle, maxRuns)
end

--- Add or update (in place) a handler; returns the length of the list.
function handlers.add(...)
  upsert("add", ...)
  return #handlers.list
end

--- The same as add, without the return value.
function handlers.append(...)
  upsert("append", ...)
end

function handlers.prepend(...)
  local name, pattern, handle, maxRuns = args(...)
  check(name, pattern, handle, maxRuns, "prepend")
  local i = find(name)
  if i then
    handlers.list[i] = entry(name, pattern, handle, maxRuns)
  else
    table.insert(handlers.list, 1, entry(name, pattern, handle, maxRuns))
  end
end

local function relative(anchor, offset, fn)
  if type(anchor) ~= "string" then
    error("Handlers." .. fn .. ": the anchor name must be a string, got " .. type(anchor), 3)
  end
  return {
    add = function(...)
      local name, pattern, handle, maxRuns = args(...)
      check(name, pattern, handle, maxRuns, fn .. "(" .. anchor .. ").add")
      local i = find(anchor)
      if i then
        table.insert(handlers.list, i + offset, entry(name, pattern, handle, maxRuns))
      end
    end,
  }
end

function handlers.before(anchor) return relative(anchor, 0, "before") end
function handlers.after(anchor) return relative(anchor, 1, "after") end

function handlers.remove(name)
  if type(name) ~= "string" then
    error("Handlers.remove: name must be a string, got " .. type(name), 2)
  end
  local i = find(name)
  if i then table.remove(handlers.list, i) end
end

--- once([name,] pattern, handle): a handler that runs for the first match only.
function handlers.once(...)
  local name, pattern, handle
  if select("#", ...) >= 3 then
    name, pattern, handle = ...
  else
    pattern, handle = ...
  end
  if name == nil then
    handlers.onceNonce = handlers.onceNonce + 1
    name = "_once_" .. tostring(handlers.onceNonce)
  end
  handlers.prepend(name, pattern, handle, 1)
end

--- A resolver table {[spec] = fn}: the first matching spec's fn handles the message.
function handlers.generateResolver(resolveSpec)
  return function(msg)
    for spec, fn in pairs(resolveSpec) do
      if utils.matchesSpec(msg, spec) then return fn(msg) end
    end
  end
end

--- Wait (yield the message coroutine) until a message matching `pattern` arrives; the
--- waiting code resumes while that message is evaluated and gets it as the result.
function handlers.receive(pattern)
  local waiting = coroutine.running()
  handlers.once(pattern, function(msg)
    local resumed, ok, failure = coroutine.resume(waiting, msg)
    if not resumed then error(ok, 0) end
    -- The waiting code ran under the process's xpcall: its failure is this message's.
    if ok == false then
      error(type(failure) == "table" and failure.err or failure, 0)
    end
  end)
  return coroutine.yield(pattern)
end

local function decide(result)
  local t = type(result)
  if t == "number" then return result end
  if t == "boolean" then return result and -1 or 0 end
  if t == "string" then
    if result == "continue" then return 1 end
    if result == "break" then return -1 end
    return 0
  end
  error("Pattern result is not valid, it MUST be string, number, or boolean", 0)
end

local function match(pattern, msg)
  local t = type(pattern)
  if t == "function" then return pattern(msg) end
  if t == "string" then return msg.Action == pattern end
  return utils.matchesSpec(msg, pattern)
end

local function run(h, msg, env)
  if type(h.handle) == "table" then
    return handlers.generateResolver(h.handle)(msg, env)
  end
  return h.handle(msg, env)
end

--- Run msg through the list; `_default` only when nothing handled it.
function handlers.evaluate(msg, env)
  local handled = false
  local default
  local snapshot = {}
  local list = handlers.list
  for i = 1, #list do snapshot[i] = list[i] end
  for i = 1, #snapshot do
    local h = snapshot[i]
    if h.name == "_default" then
      default = h
    else
      local d = decide(match(h.pattern, msg))
      if d ~= 0 then
        if d < 0 then handled = true end
        if h.maxRuns ~= nil and h.maxRuns ~= "inf" then
          h.maxRuns = h.maxRuns - 1
          if h.maxRuns <= 0 then
            local at = find(h.name)
            if at and handlers.list[at] == h then table.remove(handlers.list, at) end
          end
        end
        local ok, err = pcall(run, h, msg, env)
        if not ok then error(err, 1) end
        if d < 0 then break end
      end
    end
  end
  if not handled then
    default = default or handlers.list[find("_default") or 0]
    if default then run(default, msg, env) end
  end
end

return handlers
