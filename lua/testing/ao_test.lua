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
  assert.sent(spec), assert.not_sent(spec)

A call leaves the spec through `coroutine.yield` of the test's coroutine (the runner owns
it) with the arguments as JSON; Python answers `true, value` or `false, message`, and a
message is raised at the spec's line.
]]

local json = require("json")

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

local function call(kind, args, level)
  local co = coroutine.running()
  if co == nil or co ~= test_coroutine() then
    error("ao_test: " .. kind .. " works only while a test runs (in it, before_each or " ..
      "after_each), not when the file loads nor in a coroutine of your own", level + 1)
  end
  local ok, value = coroutine.yield(MARK, kind, json.encode(args))
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
  if t == "string" then return v end
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

local function fields_of(what, m)
  if type(m) ~= "table" then
    error(what .. " needs a table of fields ({From = ..., Action = ...}), got " ..
      type(m), 0)
  end
  local out = {}
  for k, v in pairs(m) do
    if type(k) ~= "string" then
      error(what .. ": field names are strings, got " .. type(k), 0)
    elseif k == "Tags" then
      out.Tags = tags_of(what, v)
    elseif k == "From" or k == "Target" or k == "Owner" then
      out[k] = ref(v)
    elseif k == "Data" and type(v) ~= "string" then
      out.Data = type(v) == "table" and json.encode(v) or tostring(v)
    else
      out[k] = tag_text(v)
    end
  end
  return out
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
  local info = call("spawn", args, 2)
  return setmetatable(info, Process)
end

function Process:send(m)
  return call("send", { process = self.id, fields = fields_of("send", m) }, 2)
end

function Process:dryrun(m)
  return call("dryrun", { process = self.id, fields = fields_of("dryrun", m) }, 2)
end

function Process:eval(code)
  if type(code) ~= "string" then error("eval needs Lua code as a string", 2) end
  return call("eval", { process = self.id, code = code }, 2)
end

function Process:get(expression)
  if type(expression) ~= "string" then
    error("get needs a Lua expression as a string", 2)
  end
  return call("get", { process = self.id, expression = expression }, 2)
end

Process.__tostring = function(p) return "process " .. p.name end

function ao_test.deliver(n)
  if n ~= nil and math.type(n) ~= "integer" then
    error("ao_test.deliver takes a whole number of messages, got " .. tostring(n), 2)
  end
  return call("deliver", { limit = n }, 2)
end

function ao_test.clock(ms)
  if ms ~= nil and math.type(ms) ~= "integer" then
    error("ao_test.clock takes milliseconds as a whole number, got " .. tostring(ms), 2)
  end
  return call("clock", { ms = ms }, 2)
end

function ao_test.advance(by)
  if math.type(by) ~= "integer" and type(by) ~= "string" then
    error("ao_test.advance takes milliseconds or an interval like \"10-minutes\", got " ..
      tostring(by), 2)
  end
  return call("advance", { by = by }, 2)
end

function ao_test.height(n)
  if n ~= nil and math.type(n) ~= "integer" then
    error("ao_test.height takes a whole number, got " .. tostring(n), 2)
  end
  return call("height", { height = n }, 2)
end

function ao_test.sent(spec)
  return call("sent", { spec = spec and fields_of("ao_test.sent", spec) or {} }, 2)
end

--- assert.sent(spec): some message sent in this test has every field of spec.
function ao_test.assert_sent(spec)
  local answer = call("expect_sent", { spec = fields_of("assert.sent", spec) }, 2)
  if answer.message then
    local assert = require(".testing.assert")
    assert.failure("assert.sent failed: " .. answer.message)
  end
  return answer.found
end

--- assert.not_sent(spec): no message sent in this test has every field of spec.
function ao_test.assert_not_sent(spec)
  local found = call("sent", { spec = fields_of("assert.not_sent", spec) }, 2)
  if #found > 0 then
    local assert = require(".testing.assert")
    local m = found[1]
    assert.failure("assert.not_sent failed: " .. #found .. " message(s) match, the first " ..
      m.Id .. " to " .. tostring(m.Target))
  end
end

return ao_test
