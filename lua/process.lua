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

--- print: coloured like aos, captured into the message's Output.
function print(...)
  local n = select("#", ...)
  local text
  if n <= 1 then
    text = render((...))
  else
    local parts = { ... }
    for i = 1, n do parts[i] = render(parts[i]) end
    text = table.concat(parts, "\t")
  end
  logs[#logs + 1] = text
end

function Dump(value) return require(".dump")(value) end

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
  if type(msg) ~= "table" then
    error("Send: expected a message table, got " .. type(msg), 2)
  end
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
  if select("#", ...) >= 2 then module, msg = ... else msg = ... end
  module = module or ao._module
  if msg == nil then msg = {} end
  local spawned = ao.spawn(module, msg)
  return {
    output = "Spawn process request added to outbox",
    after = nil,
    receive = spawned.receive,
    onReply = spawned.onReply,
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
  math.randomseed = function(s) chance.seed(s) end
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

local function attach_reply(msg)
  function msg.reply(r)
    if type(r) ~= "table" then
      error("msg.reply: expected a message table, got " .. type(r), 2)
    end
    r.Target = msg["Reply-To"] or r.Target or msg.From
    r["X-Reference"] = msg["X-Reference"] or msg.Reference
    r["X-Origin"] = msg["X-Origin"]
    return ao.send(r)
  end
  function msg.forward(target, extra)
    if type(target) ~= "string" then
      error("msg.forward: target must be a process id string, got " .. type(target), 2)
    end
    local fwd = ao.sanitize(msg)
    fwd.reply, fwd.forward = nil, nil
    if type(extra) == "table" then
      for k, v in pairs(extra) do fwd[k] = v end
    end
    fwd.Target = target
    fwd["Reply-To"] = msg["Reply-To"] or msg.From
    fwd["X-Reference"] = msg["X-Reference"] or msg.Reference
    fwd["X-Origin"] = msg["X-Origin"] or msg.From
    return ao.send(fwd)
  end
end

local function output(msg, data)
  if msg.Action == "Eval" then
    local out = { data = data, prompt = Prompt() }
    local ok, dumped = pcall(Dump, logs)
    if ok then out.test = dumped end
    return out
  end
  return { data = data, prompt = Prompt(), print = true }
end

local function error_text(e)
  if type(e) == "string" then return e end
  local ok, s = pcall(tostring, e)
  if ok and type(s) == "string" then return s end
  return "(error object is a " .. type(e) .. " value)"
end

local function prune_coroutines()
  local live = {}
  for _, co in ipairs(handlers.coroutines) do
    if coroutine.status(co) ~= "dead" then live[#live + 1] = co end
  end
  handlers.coroutines = live
end

local traceback = debug.traceback
local function on_error(e)
  return { err = e, trace = traceback("", 2) }
end
local function run_handlers(msg, env)
  return xpcall(handlers.evaluate, on_error, msg, env)
end

--- True when the handler list already holds exactly the entry that re-adding `name`
--- would write (same pattern and handle, no maxRuns, no metatable): then adding it again
--- on every message (as aos does) changes nothing and can be skipped. (A field a process
--- added to that entry itself would survive, where aos drops it with the entry.)
local function in_place(name, pattern, handle)
  local list = handlers.list
  if type(list) ~= "table" then return false end
  for i = 1, #list do
    local h = list[i]
    if type(h) == "table" and rawget(h, "name") == name then
      return getmetatable(h) == nil and rawget(h, "pattern") == pattern
        and rawget(h, "handle") == handle and rawget(h, "maxRuns") == nil
    end
  end
  return false
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
    local ok, decoded = pcall(function() return require("json").decode(msg.Data) end)
    if ok then msg.Data = decoded end
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

  if not in_place("_eval", is_eval, eval_handler) then
    handlers.add("_eval", is_eval, eval_handler)
  end
  if env.Process and msg.Id == env.Process.Id then
    handlers.once("_boot", is_boot, boot_handler)
  end
  if not in_place("_default", always, default_handler) then
    handlers.append("_default", always, default_handler)
  end

  attach_reply(msg)

  local co = coroutine.create(run_handlers)
  local resumed, ok, failure = coroutine.resume(co, msg, env)
  -- Keep the coroutine only while it waits for a reply (Receive / .receive()).
  local waiting = handlers.coroutines
  if coroutine.status(co) == "suspended" then waiting[#waiting + 1] = co end
  if #waiting > 0 then prune_coroutines() end
  if not resumed then ok, failure = false, { err = ok, trace = "" } end

  local printed = table.concat(logs, "\n")
  if ok == false then
    local err = error_text(type(failure) == "table" and failure.err or failure)
    Errors[#Errors + 1] = err
    local text
    if msg.Action == "Eval" then
      text = printed .. "\n\n" .. colors.red .. "error:\n" .. colors.reset .. err
    else
      text = printed .. "\n\n" .. colors.red .. "Error" .. colors.gray ..
        " handling message with Action = " .. tostring(msg.Action) .. colors.reset .. "\n" ..
        colors.green .. "From: " .. tostring(msg.From) .. ", Id: " .. tostring(msg.Id) ..
        colors.reset .. "\n" .. colors.gray ..
        (type(failure) == "table" and tostring(failure.trace) or "") .. colors.reset ..
        "\n\n" .. colors.red .. "error:\n" .. colors.reset .. err
    end
    return { Error = text }
  end
  local e = ao.outbox.Error
  if e ~= nil then
    if type(e) ~= "string" and type(e) ~= "number" then e = error_text(e) end
    return { Error = e }
  end
  return ao.result({ Output = output(msg, printed) })
end

function process.handle(msg, env)
  return process.run(process.normalize(msg), env)
end

return process
