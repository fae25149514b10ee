--[[ process.lua (`.process`): the aos 2.x process, one message at a time
(docs/compat.md §3.2). Owns the globals a process sees (Owner, Name, Inbox, Errors, Colors,
Bell, Dump, Utils, Handlers, ao, Send, Spawn, Assign, Receive, Tab, Prompt, Version,
print) and the per-message pipeline:

  normalise → seed (first message) → trust gate → assignment gate → _eval/_boot/_default
  → Handlers.evaluate in a coroutine → result from the outbox

`process.handle(msg, env)` is the aos entry point (it normalises the raw msg first);
`process.run(msg, env)` takes a message whose keys and tag names are already Title-Case.
]]

local ao = require(".ao")
local handlers = require(".handlers")
local utils = require(".utils")
local stringify = require(".stringify")

local process = { _version = "2.0.4" }

local colors = stringify.colors
local MAX_INBOX = 10000

-- A value that cannot be indexed fails, in aos, with Lua's own "attempt to index" error at
-- a line of its bundled process module (its ao.send/ao.spawn wrappers, Send, msg.reply).
-- Users see that text inside the handler error, so these checks raise it as written.
local function indexable(v, line, name, writes)
  local t = type(v)
  if t ~= "table" and (writes or t ~= "string") then
    error(string.format("[string \".process\"]:%d: attempt to index a %s value (local '%s')",
      line, t, name), 0)
  end
end

local raw_send, raw_spawn = ao.send, ao.spawn
function ao.send(msg)
  indexable(msg, 103, "msg")
  return raw_send(msg)
end
function ao.spawn(module, msg)
  indexable(msg, 117, "msg")
  return raw_spawn(module, msg)
end

-- Globals every aos process has.
_G.ao = ao
_G.Handlers = handlers
_G.Utils = utils
-- aos makes these two global (through its apm bootstrap); blueprints rely on them.
json = require("json")
base64 = require(".base64")
Colors = { red = colors.red, green = colors.green, blue = colors.blue, gray = colors.gray,
  reset = colors.reset }
Bell = "\7"
Inbox = Inbox or {}
Errors = Errors or {}
HANDLER_PRINT_LOGS = {}

local logs = HANDLER_PRINT_LOGS

local function render(v)
  local t = type(v)
  if t == "table" then return stringify.format(v) end
  if t == "string" then return v end
  if t == "number" then return Colors.green .. tostring(v) .. Colors.reset end
  if t == "boolean" then return Colors.blue .. tostring(v) .. Colors.reset end
  if t == "nil" then return Colors.red .. "nil" .. Colors.reset end
  return tostring(v)
end

--- print: coloured like aos, captured into the message's Output. Like aos's, it shows
--- only its first argument (`print("a", "b")` prints `a`).
function print(a)
  logs[#logs + 1] = render(a)
end

local dump
local function our_dump(...)
  dump = dump or require(".dump")
  return dump(...)
end
Dump = our_dump

-- Output.test of an Eval is Dump(HANDLER_PRINT_LOGS), as in aos. With our Dump and a log
-- of strings (print only ever appends strings) the layout is written here directly: it is
-- on every Eval's path, and walking the log with the deterministic `pairs` costs more
-- than the rest of a small Eval. (A process that writes keys other than 1..n into
-- HANDLER_PRINT_LOGS itself would not see them in `test`.)
local function dump_log(list)
  if Dump ~= our_dump or type(list) ~= "table" then return Dump(list) end
  local n = #list
  if n == 0 then return Dump(list) end
  local lines = {}
  for i = 1, n do
    local v = list[i]
    if type(v) ~= "string" then return Dump(list) end
    lines[i] = "    [" .. i .. "] = " .. string.format("%q", v)
  end
  return "{\n" .. table.concat(lines, ",\n") .. "\n}"
end

function Prompt()
  return Colors.green .. tostring(Name) .. Colors.gray .. "@" .. Colors.blue .. "aos-" ..
    process._version .. Colors.gray .. "[Inbox:" .. Colors.red .. tostring(#Inbox) ..
    Colors.gray .. "]" .. Colors.reset .. "> "
end

function Version()
  print("version: " .. process._version)
end

--- A {name, value} tag array as a map (the first occurrence of a name wins).
function Tab(msg)
  local out = {}
  local tags = msg.TagArray or msg.Tags or {}
  for _, t in ipairs(tags) do
    if out[t.name] == nil then out[t.name] = t.value end
  end
  return out
end

function Send(msg)
  indexable(msg, 409, "msg")
  if msg.Target == nil then
    print("WARN: No target specified for message. Data will be stored, but no process " ..
      "will receive it.")
  end
  local sent = ao.send(msg)
  return {
    output = "Message added to outbox",
    receive = sent.receive,
    onReply = sent.onReply,
  }
end

function Spawn(...)
  local module, msg
  if select("#", ...) == 1 then
    module, msg = ao._module, ...
  else
    module, msg = ...
  end
  if not msg then msg = {} end
  local spawned = ao.spawn(module, msg)
  return {
    output = "Spawn process request added to outbox",
    after = spawned.after,
    receive = spawned.receive,
  }
end

function Assign(assignment)
  ao.assign(assignment)
  print("Assignment added to outbox.")
  return "Assignment added to outbox."
end

Receive = handlers.receive

local function insert_inbox(msg)
  Inbox[#Inbox + 1] = msg
  local extra = #Inbox - MAX_INBOX
  if extra > 0 then
    -- Drop the oldest entries in one move rather than one shift per entry.
    table.move(Inbox, extra + 1, #Inbox, 1)
    for i = #Inbox, #Inbox - extra + 1, -1 do Inbox[i] = nil end
  end
end

local eval_handler = require(".eval")(ao)
local default_handler = require(".default")(insert_inbox)
local boot_handler = require(".boot")(ao)

local function is_eval(msg)
  return msg.Action == "Eval" and Owner == msg.From
end
local function is_boot(msg)
  return msg.Tags.Type == "Process" and Owner == msg.From
end
local function always() return true end

local function tag_of(tags, name)
  if type(tags) ~= "table" then return nil end
  for _, t in ipairs(tags) do
    if t.name == name then return t.value end
  end
  return nil
end

local function process_tags(env)
  local p = env.Process or {}
  return p.TagArray or p.Tags or {}
end

--- Seed math.random (chance MT19937) from the first message, as aos does.
local function seed(msg)
  local sum = 0
  local text = tostring(msg.Owner or "") .. tostring(msg.Module or "") .. tostring(msg.Id or "")
  for i = 1, #text do sum = sum + string.byte(text, i) end
  local n = math.tointeger(tonumber(tostring(msg["Block-Height"] or "") .. tostring(sum)))
  local chance = require(".chance")
  chance.seed(n or sum)
  math.random = function(a, b)
    if a == nil then return chance.random() end
    if b == nil then return chance.integer(1, a) end
    return chance.integer(a, b)
  end
  Seeded = true
end

local function initialize_state(msg, env)
  if not Seeded then seed(msg) end
  local pid = env.Process and env.Process.Id
  if pid ~= nil and msg.Id == pid and Owner == nil then
    Owner = tag_of(process_tags(env), "From-Process") or msg.From
  end
  if Name == nil then
    Name = tag_of(process_tags(env), "Name") or "aos"
  end
end

local last_env
local function init_env(env)
  if env == last_env then return end
  last_env = env
  ao.init(env)
  local p = env.Process
  if type(p) == "table" and p.TagArray == nil and type(p.Tags) == "table" then
    p.TagArray = p.Tags
    p.Tags = Tab(p)
  end
end

--- Title-Case every root key and tag name, lift tags onto the root, build msg.Tags (map)
--- and msg.TagArray. Used for a raw msg; the runtime bridge builds msg this way itself.
function process.normalize(raw)
  local msg = {}
  for k, v in pairs(raw) do
    if k ~= "Tags" then msg[utils.normalize(k)] = v end
  end
  local tags = {}
  local src = raw.TagArray or raw.Tags or {}
  for i, t in ipairs(src) do
    tags[i] = { name = utils.normalize(t.name), value = t.value }
  end
  msg.Tags = tags
  ao.normalize(msg)
  msg.TagArray = tags
  local map = {}
  for _, t in ipairs(tags) do
    if map[t.name] == nil then map[t.name] = t.value end
  end
  msg.Tags = map
  return msg
end

-- Neither checks its arguments, as in aos: a bad one fails with Lua's own message
-- (e.g. "attempt to index a string value (local 'replyMsg')").
local function attach_reply(msg)
  function msg.reply(replyMsg)
    indexable(replyMsg, 847, "replyMsg", true)
    replyMsg.Target = msg["Reply-To"] or (replyMsg.Target or msg.From)
    replyMsg["X-Reference"] = msg["X-Reference"] or msg.Reference
    replyMsg["X-Origin"] = msg["X-Origin"] or nil
    return ao.send(replyMsg)
  end
  function msg.forward(target, forwardMsg)
    local fwd = ao.sanitize(msg)
    forwardMsg = forwardMsg or {}
    for k, v in pairs(forwardMsg) do fwd[k] = v end
    fwd.Target = target
    fwd["Reply-To"] = msg["Reply-To"] or msg.From
    fwd["X-Reference"] = msg["X-Reference"] or msg.Reference
    fwd["X-Origin"] = msg["X-Origin"] or msg.From
    fwd.reply, fwd.forward = nil, nil
    ao.send(fwd)
  end
end

local function output(msg, data)
  if msg.Action == "Eval" then
    local out = { data = data, prompt = Prompt() }
    local ok, dumped = pcall(dump_log, logs)
    if ok then out.test = dumped end
    return out
  end
  return { data = data, prompt = Prompt(), print = true }
end

-- aos runs the handlers as pcall(Handlers.evaluate) inside a coroutine, so a waiting
-- Receive leaves a suspended coroutine that a later message resumes.
local function run_handlers(msg, env)
  return pcall(handlers.evaluate, msg, env)
end

-- The list of coroutines, kept as aos keeps it: every message's coroutine goes in, then
-- one pass removes dead ones (an ipairs pass with table.remove, which skips the entry
-- after each removal, so `#Handlers.coroutines` counts what aos counts).
local function keep_coroutine(co)
  local list = handlers.coroutines
  list[#list + 1] = co
  for i, x in ipairs(list) do
    if coroutine.status(x) == "dead" then table.remove(list, i) end
  end
end

-- What aos prints as the stack of a handler error: debug.traceback() taken in its
-- process.handle, less the loader's own frames. It is the same for every error.
local TRACEBACK = "stack traceback:\n\t[string \".process\"]:967: in function '.process.handle'"

-- aos adds `_eval` and appends `_default` again on every message. When the list still
-- holds exactly the entry we put there last time (same pattern, the handle wrapper that
-- add made, no maxRuns, no metatable), adding again changes nothing a process can see
-- but the wrapper's identity, so it is skipped: it is on every message's path.
local installed = {}
local function ensure(name, pattern, handle, put)
  local list = handlers.list
  if type(list) ~= "table" then return put(name, pattern, handle) end
  for i = 1, #list do
    local h = list[i]
    if type(h) == "table" and rawget(h, "name") == name then
      if getmetatable(h) == nil and rawget(h, "pattern") == pattern
          and rawget(h, "maxRuns") == nil and installed[name] ~= nil
          and rawget(h, "handle") == installed[name] then
        return
      end
      break
    end
  end
  put(name, pattern, handle)
  list = handlers.list
  for i = 1, #list do
    if list[i].name == name then installed[name] = list[i].handle end
  end
end

--- Handle one message whose keys and tag names are already normalised.
function process.run(msg, env)
  env = env or {}
  init_env(env)
  ao.id = (env.Process and env.Process.Id) or ao.id
  ao.clearOutbox()
  logs = {}
  HANDLER_PRINT_LOGS = logs
  initialize_state(msg, env)

  local content_type = msg.Tags["Content-Type"]
  if content_type == "application/json" and type(msg.Data) == "string" then
    -- Not protected, as in aos: a body that is not JSON fails the message.
    msg.Data = require("json").decode(msg.Data or "{}")
  end

  if msg.From ~= msg.Owner and not ao.isTrusted(msg) then
    print("Message is not trusted! From: " .. tostring(msg.From) .. " - Owner: " ..
      tostring(msg.Owner))
    return ao.result({ Output = output({}, table.concat(logs, "\n")) })
  end

  if ao.isAssignment(msg) and not ao.isAssignable(msg) then
    if msg.From ~= ao.id then
      ao.send({ Target = msg.From, Data = "Assignment is not trusted by this process!" })
    end
    print("Assignment is not trusted! From: " .. tostring(msg.From) .. " - Owner: " ..
      tostring(msg.Owner))
    return ao.result({ Output = output({}, table.concat(logs, "\n")) })
  end

  ensure("_eval", is_eval, eval_handler, handlers.add)
  if env.Process and msg.Id == env.Process.Id then
    handlers.once("_boot", is_boot, boot_handler)
  end
  ensure("_default", always, default_handler, handlers.append)

  attach_reply(msg)

  local co = coroutine.create(run_handlers)
  local _, ok, err = coroutine.resume(co, msg, env)
  keep_coroutine(co)

  if not ok then
    -- aos concatenates the error value into its text: a table, nil or boolean error fails
    -- the message there with Lua's own concatenation error, from that line of its
    -- process.handle. That text is what the user sees, so it is raised here as written.
    local te = type(err)
    if te ~= "string" and te ~= "number" then
      error(string.format("[string \".process\"]:%d: attempt to concatenate a %s value " ..
        "(local 'result')", msg.Action == "Eval" and 947 or 965, te), 0)
    end
    if msg.Action == "Eval" then
      Errors[#Errors + 1] = err
      return { Error = table.concat(logs, "\n") .. "\n\n" .. colors.red .. "error:\n" ..
        colors.reset .. err }
    end
    if msg.Action then
      print(colors.red .. "Error" .. colors.gray .. " handling message with Action = " ..
        msg.Action .. colors.reset)
    else
      print(colors.red .. "Error" .. colors.gray .. " handling message " .. colors.reset)
    end
    print(colors.green .. err .. colors.reset)
    print("\n" .. colors.gray .. TRACEBACK .. colors.reset)
    return { Error = table.concat(logs, "\n") .. "\n\n" .. colors.red .. "error:\n" ..
      colors.reset .. err }
  end
  -- An Eval's compile error (or truthy second value) is in ao.outbox.Error: ao.result
  -- answers with it alone.
  return ao.result({ Output = output(msg, table.concat(logs, "\n")) })
end

function process.handle(msg, env)
  return process.run(process.normalize(msg), env)
end

return process
