--[[ ao_test.lua (`.testing.ao_test`, the `ao_test` global of spec files): the AO part of
`aos test`. Every call goes to the test's net (aos.testing.net in Python) and comes back with
its answer:

  ao_test.spawn{files=, blueprints=, tags=, owner=, module=, data=, name=}  -> process
  p:send{From=, Action=, ..., Data=, Tags=}   -> the result of the message
  p:eval(code)                                -> what the Eval returned, as text
  p:dryrun{...}                               -> the result of a read-only message
  p:get(expression)                           -> the value (through JSON), state untouched
  ao_test.deliver([n])     -> how many messages were delivered (until quiet, or n)
  ao_test.clock([ms]), ao_test.advance(ms | "10-minutes"), ao_test.height([n])
  ao_test.sent([spec])     -> the messages sent in this test (matching spec)
  ao_test.error_of(result) -> its Error as a person reads it (nil without one)
  assert.sent(spec), assert.not_sent(spec)

A call leaves the spec through `coroutine.yield` of the test's coroutine (the runner owns
it) with its kind and scalar arguments (a message's fields flattened, see `fields_of`; the
options of a spawn as JSON); Python answers `true, value` or `false, message`, and a
message is raised at the spec's line.
]]

local json = require("json")
local show = require(".testing.show")

local ao_test = {}
local Process = {}
Process.__index = Process

local MARK = {}            -- what the runner looks for in a yield
local test_coroutine = function() return nil end

--- (runner) Tell ao_test how to find the running test's coroutine; returns the mark.
function ao_test._attach(current)
  test_coroutine = current
  return MARK
end

-- Leave the spec for Python with `kind` and its arguments (scalars only: no JSON on the
-- way out, Lua's is slow), and come back with Python's answer.
local function call(kind, level, ...)
  local co = coroutine.running()
  if co == nil or co ~= test_coroutine() then
    error("ao_test: " .. kind .. " works only while a test runs (in it, before_each or " ..
      "after_each), not when the file loads nor in a coroutine of your own", level + 1)
  end
  local ok, value = coroutine.yield(MARK, kind, ...)
  if not ok then error(value, level + 1) end
  return value
end

local function is_process(v)
  return getmetatable(v) == Process
end

local function ref(v)
  if is_process(v) then return v.id end
  return v
end

-- A tag value as a process's ao.send writes it: numbers and booleans as text, a table as
-- JSON, a process handle as its id. (The converters raise without a position: the runner
-- reports the spec line the call came from.)
local function tag_text(v)
  if is_process(v) then return v.id end
  local t = type(v)
  if t == "string" then return show.utf8(v) end
  if t == "number" or t == "boolean" then return tostring(v) end
  if t == "table" then return json.encode(v) end
  error("a tag value cannot be a " .. t, 0)
end

-- Tags as {name = value} (sent in name order) or as a list of {name = , value = } (sent
-- in that order, which matters for repeated names and for cron tags).
local function tags_of(what, t)
  if type(t) ~= "table" then error(what .. ": Tags must be a table, got " .. type(t), 0) end
  local tags = {}
  if t[1] ~= nil then
    for i, tag in ipairs(t) do
      if type(tag) ~= "table" or type(tag.name) ~= "string" or tag.value == nil then
        error(what .. ": Tags[" .. i .. "] must be {name = \"...\", value = ...}", 0)
      end
      tags[i] = { name = tag.name, value = tag_text(tag.value) }
    end
  else
    for name, value in pairs(t) do
      if type(name) ~= "string" then
        error(what .. ": tag names are strings, got " .. type(name), 0)
      end
      tags[#tags + 1] = { name = name, value = tag_text(value) }
    end
  end
  return tags
end

-- A message's fields as the flat list Python reads: the number of fields, then name and
-- value of each, then name and value of each tag of a Tags field.
local function fields_of(what, m)
  if type(m) ~= "table" then
    error(what .. " needs a table of fields ({From = ..., Action = ...}), got " ..
      type(m), 0)
  end
  local flat, n, tags = { 0 }, 0, nil
  for k, v in pairs(m) do
    if type(k) ~= "string" then
      error(what .. ": field names are strings, got " .. type(k), 0)
    elseif k == "Tags" then
      tags = tags_of(what, v)
    else
      if k == "From" or k == "Target" or k == "Owner" then
        v = ref(v)
      elseif k == "Data" and type(v) ~= "string" then
        v = type(v) == "table" and json.encode(v) or tostring(v)
      end
      flat[#flat + 1] = k
      flat[#flat + 1] = tag_text(v)
      n = n + 1
    end
  end
  flat[1] = n
  for _, t in ipairs(tags or {}) do
    flat[#flat + 1] = t.name
    flat[#flat + 1] = t.value
  end
  return flat
end

local SPAWN_OPTIONS = { files = "list", blueprints = "list", tags = "table",
  owner = "any", module = "string", data = "string", name = "string" }

function ao_test.spawn(opts)
  opts = opts or {}
  if type(opts) ~= "table" then
    error("ao_test.spawn needs a table of options, got " .. type(opts), 2)
  end
  local args = {}
  for k, v in pairs(opts) do
    local kind = SPAWN_OPTIONS[k]
    if kind == nil then
      error("ao_test.spawn: unknown option " .. tostring(k) .. " (options: blueprints, " ..
        "data, files, module, name, owner, tags)", 2)
    end
    if kind == "list" and type(v) == "string" then
      v = { v }
    elseif kind == "list" and type(v) ~= "table" then
      error("ao_test.spawn: " .. k .. " must be a list of names, got " .. type(v), 2)
    elseif kind ~= "any" and kind ~= "list" and type(v) ~= kind then
      error("ao_test.spawn: " .. k .. " must be a " .. kind .. ", got " .. type(v), 2)
    end
    args[k] = v
  end
  args.owner = ref(args.owner)
  if args.tags then args.tags = tags_of("ao_test.spawn", args.tags) end
  local info = call("spawn", 2, json.encode(args))
  return setmetatable(info, Process)
end

function Process:send(m)
  return call("send", 2, self.id, table.unpack(fields_of("send", m)))
end

function Process:dryrun(m)
  return call("dryrun", 2, self.id, table.unpack(fields_of("dryrun", m)))
end

function Process:eval(code)
  if type(code) ~= "string" then error("eval needs Lua code as a string", 2) end
  return call("eval", 2, self.id, code)
end

function Process:get(expression)
  if type(expression) ~= "string" then
    error("get needs a Lua expression as a string", 2)
  end
  return call("get", 2, self.id, expression)
end

Process.__tostring = function(p) return "process " .. p.name end

function ao_test.deliver(n)
  if n ~= nil and math.type(n) ~= "integer" then
    error("ao_test.deliver takes a whole number of messages, got " .. tostring(n), 2)
  end
  return call("deliver", 2, n)
end

function ao_test.clock(ms)
  if ms ~= nil and math.type(ms) ~= "integer" then
    error("ao_test.clock takes milliseconds as a whole number, got " .. tostring(ms), 2)
  end
  return call("clock", 2, ms)
end

function ao_test.advance(by)
  if math.type(by) ~= "integer" and type(by) ~= "string" then
    error("ao_test.advance takes milliseconds or an interval like \"10-minutes\", got " ..
      tostring(by), 2)
  end
  return call("advance", 2, by)
end

function ao_test.height(n)
  if n ~= nil and math.type(n) ~= "integer" then
    error("ao_test.height takes a whole number, got " .. tostring(n), 2)
  end
  return call("height", 2, n)
end

function ao_test.sent(spec)
  return call("sent", 2, table.unpack(fields_of("ao_test.sent", spec or {})))
end

--- The error of a result (or an Error text) as a person reads it: without what the
--- message printed before it, without colours and without the runtime's position
--- (`[string ".handlers"]:723: `); nil when the result has no Error.
function ao_test.error_of(result)
  local raw = result
  if type(result) == "table" then raw = result.Error end
  if raw == nil then return nil end
  local s = tostring(raw):gsub("\27%[[%d;?]*%a", "")
  s = s:match(".*error:\n(.*)$") or s
  return (s:gsub('%[string "%.[^"]*"%]:%d+: ', ""))
end

--- assert.sent(spec): some message sent in this test has every field of spec.
function ao_test.assert_sent(spec)
  local answer = call("expect_sent", 2, table.unpack(fields_of("assert.sent", spec)))
  if answer.message then
    local assert = require(".testing.assert")
    assert.failure("assert.sent failed: " .. answer.message)
  end
  return answer.found
end

--- assert.not_sent(spec): no message sent in this test has every field of spec.
function ao_test.assert_not_sent(spec)
  local found = call("sent", 2, table.unpack(fields_of("assert.not_sent", spec)))
  if #found > 0 then
    local assert = require(".testing.assert")
    local m = found[1]
    assert.failure("assert.not_sent failed: " .. #found .. " message(s) match, the first " ..
      m.Id .. " to " .. tostring(m.Target))
  end
end

return ao_test
